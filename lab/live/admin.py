from __future__ import annotations

from django.contrib import admin

from lab.live.models import Run, RunAction


class RunActionInline(admin.TabularInline):
    model = RunAction
    extra = 0
    can_delete = False
    readonly_fields = ("seq", "epoch", "t_us", "wall", "action")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # the log is append-only, written by the run host


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "speed", "sim_t_us", "lease_owner", "lease_until", "created")
    list_filter = ("speed", "clock_running")
    search_fields = ("id", "title", "scenario__slug")
    readonly_fields = ("control_digest", "watch_digest", "lease_owner", "lease_until")
    inlines = [RunActionInline]


@admin.register(RunAction)
class RunActionAdmin(admin.ModelAdmin):
    list_display = ("run", "seq", "epoch", "t_us", "wall")
    search_fields = ("run__id",)
    list_select_related = ("run",)
