from __future__ import annotations

from django.contrib import admin

from lab.teaching.models import Attempt, ClassSession, Participant


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    readonly_fields = ("name", "joined")


@admin.register(ClassSession)
class ClassSessionAdmin(admin.ModelAdmin):
    list_display = ("code", "scenario", "step", "paused", "created")
    list_filter = ("step",)
    search_fields = ("code", "scenario__slug")
    readonly_fields = ("broadcast_run",)
    inlines = [ParticipantInline]


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("run", "participant", "choice", "passed", "taken_s", "judged_at")
    list_filter = ("passed",)
    search_fields = ("run__id", "participant__name")
    readonly_fields = ("run", "participant", "held", "reasons", "commands")
