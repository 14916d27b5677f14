"""Property tests (hypothesis): random and mutated command lines and configs.

Whatever is typed, the CLI answers with text (never an exception), and a line it refuses
leaves the device's config and mode exactly as they were. Whatever config is imported,
`import_config` returns a result (never an exception), its line numbers point into the
text, and an error-free config survives `show running-config` and a second import.

The default suite runs a few hundred examples; the full counts of issue #4 (100,000 lines,
10,000 configs) run with `LAB_STRESS=1 .venv/bin/pytest tests/engine/test_cli_properties.py`
(see docs/cli.md).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.engine import Simulation, parse_scenario
from lab.engine.asaconfig import import_config
from lab.engine.cli import CliSession, render_running_config
from lab.engine.cli.grammar import KW, Node
from lab.engine.cli.session import root_for
from lab.engine.library import builtin_dict

STRESS = bool(os.environ.get("LAB_STRESS"))
LINE_EXAMPLES = 20_000 if STRESS else 300  # x 5 lines each: 100,000 lines under stress
CONFIG_EXAMPLES = 10_000 if STRESS else 150
SEED = (Path(__file__).resolve().parent / "fixtures" / "seed-ciscoasa.cfg").read_text()
SCENARIO = parse_scenario(builtin_dict("default-drop"))


def _keywords() -> list[str]:
    seen: set[int] = set()
    words: set[str] = set()
    stack: list[Node] = [root_for(None, True), root_for(None, False)]
    stack += [root_for(k, True) for k in ("config", "if", "isakmp-policy", "tunnel-ipsec")]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.kind == KW and node.word:
            words.add(node.word)
        stack.extend(node.children)
    return sorted(words)


KEYWORDS = _keywords()
ARGS = ["0", "1", "5", "60", "120", "86400", "2147483648", "10.0.0.1", "209.165.200.10",
        "1:00:00", "0:01:00", "0:0:0", "outside", "Ethernet0/0", "|", "?", "-", "\t",
        "no", "do", "x" * 70]  # fmt: skip
VALID = [
    "configure terminal",
    "sysopt connection preserve-vpn-flows",
    "crypto isakmp policy 10",
    "lifetime 0",
    "tunnel-group 209.165.200.10 ipsec-attributes",
    "isakmp keepalive threshold 10 retry 2",
    "interface Ethernet0/0",
    "shutdown",
    "show running-config all sysopt",
    "show conn detail | include TCP",
    "clear crypto ipsec sa peer 209.165.200.10",
    "timeout conn 1:00:00 half-closed 0:10:00",
    "logging buffered informational",
    "end",
]

words = st.one_of(
    st.sampled_from(KEYWORDS),
    st.sampled_from(ARGS),
    st.builds(lambda w, n: w[:n], st.sampled_from(KEYWORDS), st.integers(1, 6)),
    st.text(max_size=8),
)
random_line = st.lists(words, max_size=9).map(" ".join)


@st.composite
def mutated_line(draw: st.DrawFn) -> str:
    line = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(line)))
        action = draw(st.sampled_from(["drop", "insert", "swap"]))
        if action == "drop":
            line = line[:i] + line[i + 1 :]
        elif action == "insert":
            line = line[:i] + draw(st.sampled_from([" ", "?", "|", "x", "9", "-"])) + line[i:]
        elif i + 1 < len(line):
            line = line[:i] + line[i + 1] + line[i] + line[i + 2 :]
    return line


@settings(
    max_examples=LINE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    privileged=st.booleans(),
    lines=st.lists(st.one_of(random_line, mutated_line()), min_size=1, max_size=5),
)
def test_it_answers_every_line_and_refused_lines_change_nothing(
    privileged: bool, lines: list[str]
) -> None:
    sim = Simulation(SCENARIO)
    cli = CliSession(sim, "bo-asa", privileged=privileged)
    gw = sim.gateways["bo-asa"]
    for line in lines:
        before = (copy.deepcopy(gw.cfg), cli.mode and cli.mode.head(), cli.privileged)
        errors = cli.errors
        text = cli.type(line)
        assert isinstance(text, str) and text.startswith(before_prompt(text))
        if cli.errors > errors:
            if "\x1a" in line:  # Ctrl-Z leaves config mode even after a refused line
                before = (before[0], None, before[2])
            assert (gw.cfg, cli.mode and cli.mode.head(), cli.privileged) == before, line


def before_prompt(text: str) -> str:
    return text.split("\n", 1)[0][:1]


config_lines = SEED.splitlines()


@st.composite
def corrupted_config(draw: st.DrawFn) -> str:
    lines = list(config_lines)
    for _ in range(draw(st.integers(0, 12))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "corrupt", "insert", "dedent", "join"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "corrupt":
            j = draw(st.integers(0, max(0, len(lines[i]) - 1)))
            lines[i] = lines[i][:j] + draw(st.text(max_size=3)) + lines[i][j + 1 :]
        elif action == "insert":
            lines.insert(i, draw(random_line))
        elif action == "dedent":
            lines[i] = lines[i].lstrip()
        elif i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + " " + lines[i + 1]]
    return "\n".join(lines)


@settings(max_examples=CONFIG_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(corrupted_config(), st.text(max_size=300)))
def test_it_imports_any_text_and_round_trips_what_it_accepts(text: str) -> None:
    result = import_config(text)
    count = len(text.splitlines())
    assert all(1 <= n <= count for n, _ in result.warnings + result.errors)
    if result.errors:
        return
    again = import_config(render_running_config(result.config, mask=False))
    assert again.errors == []
    assert again.config == result.config
