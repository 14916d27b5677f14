from __future__ import annotations

from django.contrib import admin

from lab.scenarios.models import Link, Node, Scenario, Site, Topology, TunnelDef


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class LinkInline(admin.TabularInline):
    model = Link
    extra = 0


class TunnelInline(admin.TabularInline):
    model = TunnelDef
    extra = 0


@admin.register(Topology)
class TopologyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created"]
    search_fields = ["name", "nodes__key", "links__key"]
    list_filter = ["created"]
    inlines = [SiteInline, LinkInline, TunnelInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "topology", "position"]
    search_fields = ["key", "name"]
    list_filter = ["key"]


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "platform", "version", "address", "topology"]
    search_fields = ["key", "label", "address", "config"]
    list_filter = ["kind", "platform", "tcp_profile"]


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["key", "a", "b", "rate_bps", "delay_us", "loss", "topology"]
    search_fields = ["key", "a", "b"]
    list_filter = ["key"]


@admin.register(TunnelDef)
class TunnelDefAdmin(admin.ModelAdmin):
    list_display = ["key", "a", "b", "kind", "topology"]
    search_fields = ["key", "a", "b"]
    list_filter = ["kind"]


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "topic", "difficulty", "origin", "owner", "updated"]
    search_fields = ["slug", "title", "teaches", "rule"]
    list_filter = ["origin", "topic", "difficulty"]
    readonly_fields = ["edit_key", "created", "updated"]
    raw_id_fields = ["topology", "forked_from", "owner"]
