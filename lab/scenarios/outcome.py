"""The expected outcome (`expect`) of a scenario, said in plain words for the reveal."""

from __future__ import annotations

from typing import Any

STATE_WORDS = {
    "completed": "completes",
    "aborted": "is aborted: its connection is torn down and it never finishes",
    "stalled": "stalls and stays stuck",
    "running": "is still running when the lab ends",
}


def _flow_sentence(flow: str, want: dict[str, Any]) -> str:
    state = want.get("state", "")
    text = f"The {flow} flow {STATE_WORDS.get(state, state)}"
    if want.get("resumed") is True:
        text += "; after the outage it resumes moving data"
    elif want.get("resumed") is False:
        text += "; it does not resume after the outage"
    if "attempts" in want:
        text += f" (attempts: {want['attempts']})"
    return text + "."


def _quoted(texts: list[str]) -> str:
    return ", ".join(f"“{t}”" for t in texts)


def describe_expect(expect: dict[str, Any]) -> list[str]:
    """One sentence per expectation; empty when the scenario states no expected outcome."""
    lines = [_flow_sentence(f, w) for f, w in expect.get("flows", {}).items()]
    for device, texts in expect.get("syslog_has", {}).items():
        lines.append(f"{device} logs {_quoted(texts)}.")
    for device, texts in expect.get("syslog_lacks", {}).items():
        lines.append(f"{device} never logs {_quoted(texts)}.")
    for device, count in expect.get("cli_errors", {}).items():
        lines.append(f"{device} refuses at least {count} CLI line(s).")
    return lines
