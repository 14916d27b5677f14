"""Topologies (sites, nodes, links, tunnels) and the scenarios that run on them.

Rows hold exactly the fields of the scenario format (docs/scenario-format.md); turning them
into engine specs and back is `lab.specs`'s job, so the engine's rules are never copied
here. Lists keep their order through a `position` column.
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from lab.engine import spec as engine_spec
from lab.engine.library import BUILTIN_SLUGS
from lab.scenarios.fields import OrderedJSONField

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

EDIT_KEY_BYTES = 32  # secrets.token_urlsafe(32): 256 bits, well over the 128 required
SLUG_SUFFIX_LENGTH = 6
SLUG_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
_SUFFIX_RE = re.compile(rf"-[a-z0-9]{{{SLUG_SUFFIX_LENGTH}}}$")


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class Topology(models.Model):
    """A network: sites, nodes, the links between them and the tunnels over them."""

    name = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "topologies"

    def __str__(self) -> str:
        return self.name or f"topology {self.pk}"

    def to_dict(self) -> dict[str, Any]:
        """The `topology` object of the scenario format."""
        from lab import specs

        return specs.topology_to_dict(self)

    def to_graph(self) -> Any:
        """The networkx graph in the schema of `lab.engine.topology.to_graph`."""
        from lab import specs

        return specs.topology_graph(self)

    @classmethod
    def from_graph(cls, g: Any, *, name: str = "") -> Topology:
        """Build and save a topology (with its rows) from an engine-schema graph."""
        from lab import specs

        return specs.topology_from_graph(g, name=name)

    def object_at(self, path: str) -> models.Model | None:
        """The row a spec error path (`topology.nodes[2].address`) points at; None: none."""
        match = re.match(r"(?:topology\.)?(sites|nodes|links|tunnels)\[(\d+)\]", path)
        if not match:
            return None
        manager = {
            "sites": self.sites,
            "nodes": self.nodes,
            "links": self.links,
            "tunnels": self.tunnels,
        }[match.group(1)]
        return manager.order_by("position").filter(position=int(match.group(2))).first()

    def clean(self) -> None:
        """Validate with the engine's parser; the error names the node or link at fault."""
        from lab import specs

        problem = specs.topology_problem(self)
        if problem:
            raise ValidationError(problem)


class Site(models.Model):
    topology = models.ForeignKey(Topology, on_delete=models.CASCADE, related_name="sites")
    position = models.PositiveIntegerField(default=0)
    key = models.CharField("id", max_length=64)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["topology", "position"]
        constraints = [
            models.UniqueConstraint(fields=["topology", "key"], name="unique_site_key"),
        ]

    def __str__(self) -> str:
        return f"site {self.key}"


class Node(models.Model):
    KINDS = engine_spec.NODE_KINDS
    topology = models.ForeignKey(Topology, on_delete=models.CASCADE, related_name="nodes")
    position = models.PositiveIntegerField(default=0)
    key = models.CharField("id", max_length=64)
    kind = models.CharField(max_length=16, choices=_choices(engine_spec.NODE_KINDS))
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="nodes")
    label = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=16, blank=True, choices=_choices(engine_spec.PLATFORMS))
    version = models.CharField(max_length=32, blank=True)
    config = models.TextField("ASA config", blank=True)
    address = models.CharField(max_length=15, blank=True)
    inside_address = models.CharField(max_length=15, blank=True)
    tcp_profile = models.CharField(
        max_length=16, default="linux", choices=_choices(engine_spec.TCP_PROFILES)
    )
    tcp_retries2 = models.PositiveIntegerField(default=15)

    class Meta:
        ordering = ["topology", "position"]
        constraints = [
            models.UniqueConstraint(fields=["topology", "key"], name="unique_node_key"),
        ]

    def __str__(self) -> str:
        return f"node {self.key}"

    @property
    def is_gateway(self) -> bool:
        return self.kind in engine_spec.GATEWAY_KINDS

    @property
    def is_host(self) -> bool:
        return self.kind in ("client", "server")

    @property
    def has_config(self) -> bool:
        """Whether this node is an ASA or PIX that runs from a config."""
        return self.platform in ("asa", "pix")


class Link(models.Model):
    topology = models.ForeignKey(Topology, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveIntegerField(default=0)
    key = models.CharField("id", max_length=64)
    a = models.CharField(max_length=100, help_text="node id, or node:nameif")
    b = models.CharField(max_length=100, help_text="node id, or node:nameif")
    rate_bps = models.BigIntegerField(default=100_000_000)
    delay_us = models.BigIntegerField(default=1_000)
    buffer_bytes = models.BigIntegerField(default=65_536)
    loss = models.FloatField(default=0.0)

    class Meta:
        ordering = ["topology", "position"]
        constraints = [
            models.UniqueConstraint(fields=["topology", "key"], name="unique_link_key"),
        ]

    def __str__(self) -> str:
        return f"link {self.key}"


class TunnelDef(models.Model):
    topology = models.ForeignKey(Topology, on_delete=models.CASCADE, related_name="tunnels")
    position = models.PositiveIntegerField(default=0)
    key = models.CharField("id", max_length=64)
    a = models.CharField(max_length=64, help_text="branch-side gateway node id")
    b = models.CharField(max_length=64, help_text="head-office gateway node id")
    kind = models.CharField(
        max_length=16, default="l2l", choices=_choices(engine_spec.TUNNEL_KINDS)
    )

    class Meta:
        verbose_name = "tunnel"
        ordering = ["topology", "position"]
        constraints = [
            models.UniqueConstraint(fields=["topology", "key"], name="unique_tunnel_key"),
        ]

    def __str__(self) -> str:
        return f"tunnel {self.key}"


class ScenarioQuerySet(models.QuerySet["Scenario"]):
    def library(
        self,
        *,
        topic: str = "",
        mine: bool = False,
        user: AbstractBaseUser | AnonymousUser | None = None,
        slugs: list[str] | tuple[str, ...] = (),
    ) -> ScenarioQuerySet:
        """The library's cards: built-ins, or with `mine` the visitor's own copies.

        A visitor's copies are those they own (logged in) and those whose edit keys their
        session holds (`slugs`); `topic` "" means every topic.
        """
        if mine:
            own = models.Q(slug__in=list(slugs))
            if user is not None and user.is_authenticated:
                own |= models.Q(owner_id=user.pk)
            qs = self.filter(own).exclude(origin=Scenario.BUILTIN).order_by("-updated")
        else:
            qs = self.filter(origin=Scenario.BUILTIN).order_by("pk")
        return qs.filter(topic=topic) if topic else qs

    def topics(self) -> list[str]:
        """The built-ins' topics, sorted."""
        values = self.filter(origin=Scenario.BUILTIN).values_list("topic", flat=True)
        return sorted({t for t in values if t})


class Scenario(models.Model):
    """A topology plus flows, a timed event script, the lesson and its expected outcome."""

    BUILTIN = "builtin"
    FORK = "fork"
    IMPORT = "import"
    ORIGINS = [
        (BUILTIN, "built-in"),
        (FORK, "fork"),
        (IMPORT, "imported"),
    ]
    DEFAULT_START_CLOCK = engine_spec.DEFAULT_START_CLOCK

    slug = models.SlugField(max_length=100, unique=True)
    topology = models.ForeignKey(Topology, on_delete=models.CASCADE, related_name="scenarios")
    title = models.CharField(max_length=300)
    teaches = models.TextField(blank=True)
    rule = models.TextField(blank=True)
    topic = models.CharField(max_length=100, blank=True, db_index=True)
    difficulty = models.CharField(max_length=32, default="beginner")
    instructions = models.TextField(blank=True)
    explanation = models.TextField(blank=True)
    flows = OrderedJSONField(default=list, blank=True)
    events = OrderedJSONField("timed event script", default=list, blank=True)
    expect = OrderedJSONField("expected outcome", default=dict, blank=True)
    variants = OrderedJSONField(default=dict, blank=True)
    teaching = OrderedJSONField(
        default=dict, blank=True, help_text="question, choices, challenge goal, hints"
    )
    seed = models.BigIntegerField(default=1)
    until_s = models.FloatField(default=3600)
    start_clock = models.CharField(max_length=40, default=DEFAULT_START_CLOCK)
    origin = models.CharField(max_length=16, choices=ORIGINS, default=FORK, db_index=True)
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    edit_key = models.CharField(max_length=64, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scenarios",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["origin", "topic", "title"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        """The public scenario page (the admin's "View on site")."""
        from django.urls import reverse

        return reverse("scenario-detail", args=[self.slug])

    @property
    def is_builtin(self) -> bool:
        return self.origin == self.BUILTIN

    @staticmethod
    def new_edit_key() -> str:
        return secrets.token_urlsafe(EDIT_KEY_BYTES)

    def key_matches(self, key: str | None) -> bool:
        """Whether `key` is this scenario's edit key; never for built-ins or a missing key."""
        if self.is_builtin or not key or not self.edit_key:
            return False
        return hmac.compare_digest(key.encode(), self.edit_key.encode())

    def can_edit(
        self, *, key: str | None, user: AbstractBaseUser | AnonymousUser | None = None
    ) -> bool:
        """Edit key holders and the owning user may edit; nobody edits a built-in."""
        if self.is_builtin:
            return False
        if user is not None and user.is_authenticated and self.owner_id == user.pk:
            return True
        return self.key_matches(key)

    @classmethod
    def slug_for_copy(cls, slug: str) -> str:
        """A new slug for a copy of `slug`: its base (no fork suffix) plus 6 random chars."""
        base = slug if slug in BUILTIN_SLUGS else _SUFFIX_RE.sub("", slug)
        return cls.unused_slug(slugify(base) or "imported")

    @classmethod
    def unused_slug(cls, base: str) -> str:
        """`<base>-<6 random chars>`, not yet taken."""
        base = base[: 100 - SLUG_SUFFIX_LENGTH - 1]
        while True:
            suffix = "".join(secrets.choice(SLUG_SUFFIX_ALPHABET) for _ in range(6))
            slug = f"{base}-{suffix}"
            if not cls.objects.filter(slug=slug).exists():
                return slug

    def fork(self, *, owner: AbstractBaseUser | None = None) -> Scenario:
        """Copy this scenario (topology included) into a new editable fork."""
        from lab import specs

        d = specs.scenario_to_dict(self)
        d["slug"] = self.slug_for_copy(self.slug)
        return specs.scenario_from_dict(d, origin=self.FORK, forked_from=self, owner=owner)
