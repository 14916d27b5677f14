"""The Django admin for topologies and scenarios: lists, search, filters, inlines.

Rows are normally written through `lab.specs` (loadscenarios, fork, import, the editor);
the admin is for looking things up and for small repairs.
"""

from __future__ import annotations

from django.contrib import admin

from lab.scenarios.models import Link, Node, Scenario, Site, Topology, TunnelDef


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class NodeInline(admin.StackedInline):
    model = Node
    extra = 0
    fields = [
        ("position", "key", "kind", "site", "label"),
        ("platform", "version", "address", "inside_address"),
        ("tcp_profile", "tcp_retries2"),
        "config",
    ]


class LinkInline(admin.TabularInline):
    model = Link
    extra = 0


class TunnelInline(admin.TabularInline):
    model = TunnelDef
    extra = 0


class ScenarioInline(admin.TabularInline):
    model = Scenario
    fields = ["slug", "title", "origin"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Topology)
class TopologyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "node_count", "link_count", "created"]
    search_fields = ["name", "nodes__key", "nodes__label", "links__key", "scenarios__slug"]
    list_filter = ["created", "nodes__kind", "nodes__platform"]
    date_hierarchy = "created"
    inlines = [ScenarioInline, SiteInline, NodeInline, LinkInline, TunnelInline]

    @admin.display(description="nodes")
    def node_count(self, obj: Topology) -> int:
        return obj.nodes.count()

    @admin.display(description="links")
    def link_count(self, obj: Topology) -> int:
        return obj.links.count()

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "topology", "position"]
    list_select_related = ["topology"]
    search_fields = ["key", "name", "topology__name"]
    list_filter = ["key"]  # the built-ins' sites are bo and ho


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "kind", "platform", "version", "address", "topology"]
    list_select_related = ["topology"]
    search_fields = ["key", "label", "address", "inside_address", "config", "topology__name"]
    list_filter = ["kind", "platform", "version", "tcp_profile"]


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["key", "a", "b", "rate_bps", "delay_us", "loss", "topology"]
    list_select_related = ["topology"]
    search_fields = ["key", "a", "b", "topology__name"]
    list_filter = ["key", "rate_bps"]


@admin.register(TunnelDef)
class TunnelDefAdmin(admin.ModelAdmin):
    list_display = ["key", "a", "b", "kind", "topology"]
    list_select_related = ["topology"]
    search_fields = ["key", "a", "b", "topology__name"]
    list_filter = ["kind"]


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "title",
        "topic",
        "difficulty",
        "origin",
        "forked_from",
        "owner",
        "updated",
    ]
    list_select_related = ["forked_from", "owner"]
    search_fields = ["slug", "title", "teaches", "rule", "owner__username"]
    list_filter = ["origin", "topic", "difficulty", ("owner", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "updated"
    readonly_fields = ["edit_key", "created", "updated"]
    raw_id_fields = ["topology", "forked_from", "owner"]
    fieldsets = [
        (None, {"fields": ["slug", "title", "topic", "difficulty", "origin", "topology"]}),
        ("The lesson", {"fields": ["teaches", "rule", "instructions", "explanation"]}),
        ("Run", {"fields": ["flows", "events", "expect", "variants", "seed", "until_s"]}),
        (
            "Ownership",
            {"fields": ["forked_from", "owner", "edit_key", "created", "updated", "start_clock"]},
        ),
    ]
