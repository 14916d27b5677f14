"""A device CLI session: modes, prompts, config lines, clear commands.

This is the core the full ASA command line grows from: it already routes every config
line through `asaconfig.apply_line` (the one place config changes), enforces the platform
rules of the seed (the sysopt exists only on ASA 8.0(4) and later), and runs the clear
commands against the simulation. Output is what the device prints after the echoed line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import vpn
from .asaconfig import INVALID, ConfigLineError, Mode, Unmodelled, apply_line
from .platforms import has_preserve_vpn_flows

if TYPE_CHECKING:
    from .sim import Simulation

NOT_SIMULATED = "% The lab does not simulate this command; it was not applied."


def caret(prompt: str, line: str, word_index: int) -> str:
    """The caret line under the offending word, as IOS/ASA print it."""
    words = line.split()
    column = (
        len(prompt) + line.find(words[word_index])
        if word_index < len(words)
        else len(prompt) + len(line)
    )
    return " " * column + "^\n"


def platform_refusal(platform: str, version: str, prompt: str, line: str) -> str | None:
    """How a platform without the feature refuses `sysopt connection preserve-vpn-flows`."""
    words = line.split()
    body = words[1:] if words and words[0] == "no" else words
    if body[:3] != ["sysopt", "connection", "preserve-vpn-flows"] or has_preserve_vpn_flows(
        platform, version
    ):
        return None
    index = len(words) - len(body) + 2
    if platform in ("asa", "ios"):  # ASA before 8.0(4): the keyword does not exist
        prefix = "" if platform == "ios" else "ERROR: "
        return caret(prompt, line, index) + f"{prefix}% Invalid input detected at '^' marker.\n"
    if platform == "pix":  # [U] PIX 6.x wording, reconstructed
        bad = " ".join(words[: index + 1])
        hint = "Type help or '?' for a list of available commands."
        return f"{bad}: not a valid sysopt option\n{hint}\n"
    return "% Unknown command.\n"


class CliSession:
    def __init__(self, sim: Simulation, device: str, *, privileged: bool = False) -> None:
        self.sim = sim
        self.gw = sim.gateways[device]
        self.privileged = privileged
        self.mode: Mode | None = None  # None: EXEC; otherwise a config mode
        self.errors = 0

    @property
    def prompt(self) -> str:
        host = self.gw.name
        if self.mode is not None:
            return f"{host}{self.mode.prompt_suffix}# "
        return f"{host}{'#' if self.privileged else '>'} "

    def type(self, line: str) -> str:
        """Echo the prompt and line, then the device's answer (a transcript chunk)."""
        prompt = self.prompt
        out = self.execute(line, prompt)
        self.sim.loop.record("cli", device=self.gw.id, line=line, output=out)
        return f"{prompt}{line}\n{out}"

    def execute(self, line: str, prompt: str = "") -> str:
        words = line.split()
        if not words:
            return ""
        if (
            words in (["configure", "terminal"], ["conf", "t"])
            and self.privileged
            and self.mode is None
        ):
            self.mode = Mode()
            return ""
        if words == ["end"] and self.mode is not None:
            self.mode = None
            return ""
        if words == ["exit"]:
            if self.mode is not None:
                self.mode = None if self.mode.kind == "config" else Mode()
            return ""
        if words == ["enable"]:
            self.privileged = True
            return ""
        if self.mode is not None:
            return self._config(line, prompt)
        if words[0] == "clear" and self.privileged:
            return self._clear(words, prompt, line)
        return self._error(caret(prompt, line, 0) + INVALID + "\n")

    def _error(self, text: str) -> str:
        self.errors += 1
        self.gw.cli_errors += 1
        return text

    def _config(self, line: str, prompt: str) -> str:
        assert self.gw.cfg is not None and self.mode is not None
        refusal = platform_refusal(self.gw.node.platform, self.gw.node.version, prompt, line)
        if refusal:
            return self._error(refusal)
        try:
            self.mode = apply_line(self.gw.cfg, self.mode, line)
        except ConfigLineError as exc:
            return self._error(f"{exc}\n")
        except Unmodelled:
            return self._error(NOT_SIMULATED + "\n")
        self.sim.path_changed()
        return ""

    def _clear(self, words: list[str], prompt: str, line: str) -> str:
        rest = words[1:]
        if rest[:3] == ["crypto", "ipsec", "sa"]:
            peer = rest[4] if len(rest) == 5 and rest[3] == "peer" else None
            if len(rest) not in (3, 5) or (len(rest) == 5 and peer is None):
                return self._error(caret(prompt, line, 4) + INVALID + "\n")
            vpn.clear(self.sim, self.gw, ike=False, peer=peer)
            return ""
        if rest[:3] in (["crypto", "isakmp", "sa"], ["crypto", "ikev1", "sa"]):
            vpn.clear(self.sim, self.gw, ike=True)
            return ""
        if rest == ["logging", "buffer"]:
            self.gw.buffer.clear()
            self.sim.touch()
            return ""
        return self._error(NOT_SIMULATED + "\n")
