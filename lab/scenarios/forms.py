"""Editor and import forms. Each editor form knows how to apply itself to a scenario dict.

An editor form is built from the current scenario dict; `apply(d)` returns the changed
dict (the caller validates the whole result with the engine before anything is saved),
and `add_spec_error` puts an engine SpecError next to the field it names.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from django import forms

from lab.engine import spec as engine_spec
from lab.engine.asaconfig import import_config
from lab.engine.commands import SYSOPT_OPTIONS
from lab.engine.errors import SpecError
from lab.scenarios import outages
from lab.specs import describe_error

# Size limits (characters of text, bytes of files): a real ASA running config is tens of
# kilobytes; these leave room and keep hostile posts cheap. The whole request is capped
# too (settings.LAB_MAX_REQUEST_BYTES, answered with a 413).
CONFIG_MAX = 256 * 1024
SCENARIO_MAX = 512 * 1024


def _upload_text(upload: Any, limit: int, what: str) -> str:
    """An uploaded file's text, or a ValidationError naming the size and the limit."""
    if upload.size > limit:
        raise forms.ValidationError(
            f"{what} is {upload.size // 1024} KB; the limit is {limit // 1024} KB"
        )
    return str(upload.read().decode("utf-8", errors="replace"))


_PATH = re.compile(r"^(?:topology\.)?(links|nodes|tunnels|flows)\[(\d+)\]\.(\w+)")


def number(value: float) -> int | float:
    """120.0 -> 120, so edited scripts read like the built-in files."""
    return int(value) if float(value).is_integer() else value


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def live(form: forms.BaseForm, url: str) -> None:
    """Ask the validate endpoint about each field when it changes (htmx; no JS: nothing)."""
    for name, field in form.fields.items():
        bound = form[name]
        field.widget.attrs.update(
            {
                "hx-post": url,
                "hx-trigger": "change",
                "hx-target": f"#{bound.auto_id}-errors",
                "hx-swap": "outerHTML",
                "hx-include": "closest form",
                "hx-vals": json.dumps({"field": bound.html_name}),
            }
        )


class EditorForm(forms.Form):
    """Base: fields mapped to (collection, index, attribute) of the scenario dict."""

    action = ""

    def __init__(self, d: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scenario = d
        self.targets: dict[str, tuple[str, int, str]] = {}
        self.scales: dict[str, int] = {}  # field -> engine units per shown unit (Mbit/s...)

    def add_spec_error(self, error: SpecError, d: dict[str, Any]) -> None:
        match = _PATH.match(error.path)
        if match:
            where = (match.group(1), int(match.group(2)), match.group(3))
            for name, target in self.targets.items():
                if target == where:
                    self.add_error(name, error.message)
                    return
        self.add_error(None, describe_error(error, d))

    def apply(self, d: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(d)
        topology = out["topology"]
        for name, (collection, index, attr) in self.targets.items():
            holder = out if collection == "flows" else topology
            value = self.cleaned_data[name]
            if name in self.scales:
                value = round(value * self.scales[name])
            holder[collection][index][attr] = value
        return out


class SettingsForm(EditorForm):
    """Link rate and delay, file sizes, gateway platforms, tunnel kinds, TCP stacks."""

    action = "settings"

    def __init__(self, d: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(d, *args, **kwargs)
        topology = d["topology"]
        for i, link in enumerate(topology["links"]):
            self._add(
                f"link-{link['id']}-rate_mbps",
                forms.FloatField(label=f"{link['id']}: rate (Mbit/s)", min_value=0.008),
                ("links", i, "rate_bps"),
                link.get("rate_bps", 100_000_000),
                scale=10**6,
            )
            self._add(
                f"link-{link['id']}-delay_ms",
                forms.FloatField(label=f"{link['id']}: one-way delay (ms)", min_value=0),
                ("links", i, "delay_us"),
                link.get("delay_us", 1_000),
                scale=1_000,
            )
        for i, flow in enumerate(d.get("flows", [])):
            if flow.get("proto") == "tcp":
                self._add(
                    f"flow-{flow['id']}-size_mb",
                    forms.FloatField(label=f"{flow['id']}: file size (MB)", min_value=0.000001),
                    ("flows", i, "size_bytes"),
                    flow.get("size_bytes"),
                    scale=10**6,
                )
        for i, node in enumerate(topology["nodes"]):
            if node["kind"] in engine_spec.GATEWAY_KINDS:
                self._add(
                    f"node-{node['id']}-platform",
                    forms.ChoiceField(
                        label=f"{node['id']}: platform", choices=_choices(engine_spec.PLATFORMS)
                    ),
                    ("nodes", i, "platform"),
                    node.get("platform", "asa"),
                )
                self._add(
                    f"node-{node['id']}-version",
                    forms.CharField(label=f"{node['id']}: version", required=False, max_length=32),
                    ("nodes", i, "version"),
                    node.get("version", ""),
                )
            elif node["kind"] in ("client", "server"):
                self._add(
                    f"node-{node['id']}-tcp_profile",
                    forms.ChoiceField(
                        label=f"{node['id']}: TCP stack",
                        choices=_choices(engine_spec.TCP_PROFILES),
                    ),
                    ("nodes", i, "tcp_profile"),
                    node.get("tcp_profile", "linux"),
                )
        for i, tunnel in enumerate(topology.get("tunnels", [])):
            self._add(
                f"tunnel-{tunnel['id']}-kind",
                forms.ChoiceField(
                    label=f"tunnel {tunnel['id']}: kind", choices=_choices(engine_spec.TUNNEL_KINDS)
                ),
                ("tunnels", i, "kind"),
                tunnel.get("kind", "l2l"),
            )

    def _add(
        self,
        name: str,
        field: forms.Field,
        target: tuple[str, int, str],
        initial: Any,
        *,
        scale: int = 1,
    ) -> None:
        """A field for `target`, shown in units of `scale` engine units (1: as stored)."""
        if scale != 1:
            self.scales[name] = scale
            if isinstance(initial, int):
                shown = initial / scale
                initial = int(shown) if shown == int(shown) else shown
        field.initial = initial
        self.fields[name] = field
        self.targets[name] = target

    def apply(self, d: dict[str, Any]) -> dict[str, Any]:
        out = super().apply(d)
        for node in out["topology"]["nodes"]:  # keep files minimal: drop default values
            if node.get("tcp_profile") == "linux":
                del node["tcp_profile"]
            if "version" in node and not node["version"]:
                del node["version"]
        return out


class ConfigsForm(EditorForm):
    """Each ASA's or PIX's running config, read by the engine's config importer."""

    action = "configs"

    def __init__(self, d: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(d, *args, **kwargs)
        self.warnings: dict[str, list[str]] = {}
        for i, node in enumerate(d["topology"]["nodes"]):
            if "config" in node:
                config = node["config"]
                name = f"config-{node['id']}"
                self.fields[name] = forms.CharField(
                    max_length=CONFIG_MAX,
                    label=f"{node['id']}: running config",
                    widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
                    initial="\n".join(config) if isinstance(config, list) else config,
                    strip=False,
                )
                self.targets[name] = ("nodes", i, "config")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.targets:
            text = cleaned.get(name)
            if text is None:
                continue
            result = import_config(text)
            self.warnings[name] = [f"line {n}: {message}" for n, message in result.warnings]
            for n, message in result.errors:
                self.add_error(name, f"line {n}: {message}")
            if name in cleaned:
                cleaned[name] = [line.rstrip() for line in text.splitlines()]
        return cleaned

    def config_fields(self) -> list[tuple[forms.BoundField, list[str]]]:
        return [(self[name], self.warnings.get(name, [])) for name in self.targets]


class EventsForm(EditorForm):
    """The raw timed event script as JSON."""

    action = "events"
    events = forms.CharField(
        max_length=SCENARIO_MAX,
        label="Event script (JSON list)",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        strip=False,
    )

    def __init__(self, d: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(d, *args, **kwargs)
        self.fields["events"].initial = json.dumps(d.get("events", []), indent=2)

    def clean_events(self) -> list[Any]:
        try:
            value = json.loads(self.cleaned_data["events"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except (ValueError, RecursionError):  # nested too deep, or a number too long
            raise forms.ValidationError("not valid JSON: nested too deeply or too long") from None
        if not isinstance(value, list):
            raise forms.ValidationError("must be a JSON list of events")
        return value

    def add_spec_error(self, error: SpecError, d: dict[str, Any]) -> None:
        self.add_error("events", describe_error(error, d))

    def apply(self, d: dict[str, Any]) -> dict[str, Any]:
        return {**copy.deepcopy(d), "events": self.cleaned_data["events"]}


class OutageForm(forms.Form):
    start_s = forms.FloatField(label="Start (s)", min_value=0)
    duration_s = forms.FloatField(label="Duration (s)", min_value=0, required=False)
    cause = forms.ChoiceField(choices=[("", "—"), *outages.CAUSES])  # "—": an empty new row
    link = forms.ChoiceField(label="Link (path cut)", required=False)
    device = forms.ChoiceField(label="Device (SA clear, shutdown)", required=False)

    def __init__(self, *args: Any, links: list[str], devices: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["link"].choices = [("", "—"), *((x, x) for x in links)]
        self.fields["device"].choices = [("", "—"), *((x, x) for x in devices)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cause = cleaned.get("cause")
        if cause == outages.CUT and not cleaned.get("link"):
            self.add_error("link", "a path cut needs the link to cut")
        if cause in (outages.CLEAR_SA, outages.SHUTDOWN) and not cleaned.get("device"):
            self.add_error("device", "choose the device")
        if cause == outages.SHUTDOWN and cleaned.get("duration_s") is None:
            self.add_error("duration_s", "a shutdown needs a duration (then `no shutdown`)")
        return cleaned

    def outage(self, interfaces: dict[str, str]) -> outages.Outage:
        c = self.cleaned_data
        cause = c["cause"]
        target = c["link"] if cause == outages.CUT else c["device"]
        duration = None if c.get("duration_s") is None else number(c["duration_s"])
        return outages.Outage(
            start_s=number(c["start_s"]),
            cause=cause,
            target=target,
            duration_s=None if cause == outages.CLEAR_SA else duration,
            interface=interfaces.get(target, outages.DEFAULT_INTERFACE),
        )


class BaseOutageFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, scenario: dict[str, Any], **kwargs: Any) -> None:
        self.scenario = scenario
        topology = scenario["topology"]
        self.links = [x["id"] for x in topology["links"]]
        self.devices = [
            n["id"] for n in topology["nodes"] if n["kind"] in engine_spec.GATEWAY_KINDS
        ]
        self.outages, self.others = outages.split_events(scenario.get("events", []))
        kwargs.setdefault(
            "initial",
            [
                {
                    "start_s": o.start_s,
                    "duration_s": o.duration_s,
                    "cause": o.cause,
                    "link": o.target if o.cause == outages.CUT else "",
                    "device": "" if o.cause == outages.CUT else o.target,
                }
                for o in self.outages
            ],
        )
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"links": self.links, "devices": self.devices}

    def add_spec_error(self, error: SpecError, d: dict[str, Any]) -> None:
        self._non_form_errors = self.error_class([describe_error(error, d)])

    def apply(self, d: dict[str, Any], interfaces: dict[str, str]) -> dict[str, Any]:
        kept = [
            f.outage(interfaces)
            for f in self.forms
            if f.cleaned_data.get("cause") and not (self.can_delete and self._should_delete_form(f))
        ]
        return {**copy.deepcopy(d), "events": outages.merge(kept, self.others)}


# Rows per editor formset: a posted TOTAL_FORMS of 10^6 builds at most this many forms
# and is refused with "Please submit at most N forms" (the engine's own event limit).
MAX_ROWS = engine_spec.MAX_EVENTS
OutageFormSet = forms.formset_factory(
    OutageForm,
    formset=BaseOutageFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)


EVENT_COMMANDS = [
    ("cli", "type lines at a device's CLI"),
    ("set_sysopt", "turn a sysopt on or off"),
    ("clear_ipsec_sa", "clear crypto ipsec sa (optionally one peer)"),
    ("clear_isakmp_sa", "clear crypto isakmp sa"),
    ("restore", "restore a cut link now"),
    ("start_flow", "start a flow that has not started"),
    ("restart_flow", "the user downloads again from the start"),
    ("cut", "cut a link"),
]
# The fields each command writes, in the order the scenario files write them.
EVENT_FIELDS = {
    "cut": ("link", "for_s"),
    "restore": ("link",),
    "cli": ("device", "lines"),
    "set_sysopt": ("device", "option", "enabled"),
    "clear_ipsec_sa": ("device", "peer"),
    "clear_isakmp_sa": ("device",),
    "restart_flow": ("flow",),
    "start_flow": ("flow",),
}
EVENT_REQUIRED = {"peer": False, "for_s": False}
# Which field an engine refusal of an event is about, by a word of its message.
_EVENT_ERROR_FIELDS = (
    ("no link", "link"),
    ("ASA/PIX", "device"),
    ("flow", "flow"),
    ("for_s", "for_s"),
    ("option", "option"),
    ("lines", "lines"),
)


class EventForm(forms.Form):
    """One timed command of the event script (not an outage: those have their own rows)."""

    at_s = forms.FloatField(label="At (s)", min_value=0)
    do = forms.ChoiceField(label="Command", choices=[("", "—"), *EVENT_COMMANDS])
    device = forms.ChoiceField(label="Device", required=False)
    link = forms.ChoiceField(label="Link", required=False)
    flow = forms.ChoiceField(label="Flow", required=False)
    for_s = forms.FloatField(label="For (s), cut only", required=False, min_value=0.001)
    option = forms.ChoiceField(
        label="Sysopt",
        required=False,
        choices=[("", "—"), *((o, f"sysopt connection {o}") for o in SYSOPT_OPTIONS)],
    )
    enabled = forms.ChoiceField(
        label="Turn it",
        required=False,
        choices=[("", "—"), ("on", "on"), ("off", "off (the `no` form)")],
    )
    peer = forms.GenericIPAddressField(label="Peer (optional)", required=False, protocol="IPv4")
    lines = forms.CharField(
        label="CLI lines (one per line, from privileged mode)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def __init__(
        self, *args: Any, devices: list[str], links: list[str], flows: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, values in (("device", devices), ("link", links), ("flow", flows)):
            self.fields[name].choices = [("", "—"), *((x, x) for x in values)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        do = cleaned.get("do")
        for name in EVENT_FIELDS.get(do or "", ()):
            value = cleaned.get(name)
            if EVENT_REQUIRED.get(name, True) and (value is None or value == ""):
                self.add_error(name, f"{do} needs this")
        if do == "cli" and not self._lines() and "lines" not in self.errors:
            self.add_error("lines", "type at least one line")
        return cleaned

    def _lines(self) -> list[str]:
        text = self.cleaned_data.get("lines") or ""
        return [line.rstrip() for line in text.splitlines() if line.strip()]

    def event(self) -> dict[str, Any]:
        """The event dict of this row, fields in the order of the scenario files."""
        c = self.cleaned_data
        out: dict[str, Any] = {"at_s": number(c["at_s"]), "do": c["do"]}
        for name in EVENT_FIELDS[c["do"]]:
            value = c.get(name)
            if name == "lines":
                out["lines"] = self._lines()
            elif name == "enabled":
                out["enabled"] = value == "on"
            elif name == "for_s":
                if value is not None:
                    out["for_s"] = number(value)
            elif value:
                out[name] = value
        return out

    def attach_error(self, message: str) -> None:
        """Put an engine refusal of this row's event next to the field it is about."""
        fields = set(EVENT_FIELDS.get(self.cleaned_data.get("do", ""), ()))
        for word, name in _EVENT_ERROR_FIELDS:
            if word in message and name in fields:
                self.add_error(name, message)
                return
        self.add_error(None, message)


def _event_initial(e: dict[str, Any]) -> dict[str, Any]:
    initial = {k: v for k, v in e.items() if k != "lines" and k != "enabled"}
    if "lines" in e:
        initial["lines"] = "\n".join(e["lines"])
    if "enabled" in e:
        initial["enabled"] = "on" if e["enabled"] else "off"
    return initial


class BaseEventFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """The event script's commands other than outages, one row each; add, edit, remove."""

    def __init__(self, *args: Any, scenario: dict[str, Any], **kwargs: Any) -> None:
        self.scenario = scenario
        topology = scenario["topology"]
        self.devices = [n["id"] for n in topology["nodes"] if "config" in n]
        self.links = [x["id"] for x in topology["links"]]
        self.flows = [f["id"] for f in scenario.get("flows", [])]
        self.outages, others = outages.split_events(scenario.get("events", []))
        kwargs.setdefault("initial", [_event_initial(e) for e in others])
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"devices": self.devices, "links": self.links, "flows": self.flows}

    def kept_forms(self) -> list[EventForm]:
        return [
            f
            for f in self.forms
            if f.cleaned_data.get("do") and not (self.can_delete and self._should_delete_form(f))
        ]

    def add_spec_error(self, error: SpecError, d: dict[str, Any]) -> None:
        match = re.match(r"^events\[(\d+)\]", error.path)
        if match:
            event = d["events"][int(match.group(1))]
            for form in self.kept_forms():
                if form.event() == event:
                    form.attach_error(error.message)
                    return
        self._non_form_errors = self.error_class([describe_error(error, d)])

    def apply(self, d: dict[str, Any], interfaces: dict[str, str]) -> dict[str, Any]:
        others = [f.event() for f in self.kept_forms()]
        return {**copy.deepcopy(d), "events": outages.merge(self.outages, others)}


EventFormSet = forms.formset_factory(
    EventForm,
    formset=BaseEventFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)


class ConfigImportForm(forms.Form):
    """Two running configs, pasted or uploaded (an upload wins over the pasted text)."""

    bo_text = forms.CharField(
        max_length=CONFIG_MAX,
        label="BO ASA running config",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
    )
    bo_file = forms.FileField(label="or upload it", required=False)
    ho_text = forms.CharField(
        max_length=CONFIG_MAX,
        label="HO ASA running config",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
    )
    ho_file = forms.FileField(label="or upload it", required=False)

    def clean_bo_file(self) -> Any:
        return self._sized("bo_file", "the BO config file")

    def clean_ho_file(self) -> Any:
        return self._sized("ho_file", "the HO config file")

    def _sized(self, name: str, what: str) -> Any:
        upload = self.cleaned_data.get(name)
        if upload and upload.size > CONFIG_MAX:
            raise forms.ValidationError(
                f"{what} is {upload.size // 1024} KB; the limit is {CONFIG_MAX // 1024} KB"
            )
        return upload

    def config(self, side: str) -> str:
        upload = self.cleaned_data.get(f"{side}_file")
        if upload:
            return _upload_text(upload, CONFIG_MAX, f"the {side.upper()} config file")
        return str(self.cleaned_data.get(f"{side}_text") or "")


class JsonImportForm(forms.Form):
    """A scenario file (the export format), pasted or uploaded."""

    json_text = forms.CharField(
        max_length=SCENARIO_MAX,
        label="Scenario JSON",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )
    json_file = forms.FileField(label="or upload a .json file", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("json_file")
        text = (
            _upload_text(upload, SCENARIO_MAX, "the scenario file")
            if upload
            else cleaned.get("json_text", "")
        )
        if not text.strip():
            raise forms.ValidationError("paste a scenario JSON or choose a file")
        try:
            cleaned["data"] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except (ValueError, RecursionError):  # nested too deep, or a number too long
            raise forms.ValidationError("not valid JSON: nested too deeply or too long") from None
        if not isinstance(cleaned["data"], dict):
            raise forms.ValidationError("a scenario must be a JSON object")
        return cleaned
