"""A device CLI session: modes and prompts, parsing, errors, `?`, `do`, output filters.

Theory of operation: `type(line)` is one line typed at the terminal; it returns the
transcript chunk the device shows (prompt, echo, output). The line is tokenised, read
against the current mode's command tree (tree.py, matched by grammar.py), and dispatched:
config lines go to `asaconfig.apply_line` (the one place config changes) with their
abbreviations expanded, `show` to show.py, `clear` to actions.py, mode changes here. A
refused line changes nothing and counts in `errors`. Errors use the device's own text,
with the caret under the offending word.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from ..asaconfig import (
    INCOMPLETE,
    INVALID,
    AsaConfig,
    ConfigLineError,
    Mode,
    Unmodelled,
    apply_line,
)
from ..platforms import has_preserve_vpn_flows
from . import actions, show, tools
from .grammar import (
    LINE,
    ArgError,
    Match,
    Node,
    ParseError,
    format_help,
    help_items,
    parse,
    prefix_matches,
    walk,
)
from .tree import PIPE, config_tree, exec_tree

if TYPE_CHECKING:
    from ..sim import Simulation

NOT_SIMULATED = "% The lab does not simulate this command; it was not applied."
AMBIGUOUS = 'ERROR: % Ambiguous command:  "{}"'  # [U] ASA wording of IOS's message
BAD_PASSWORD = "Invalid password"  # [U]
MAX_LINE = 512  # [U] longer lines are refused whole, like commands.Cli's limit

TOKEN = re.compile(r"\||[^\s|]+")
PIPE_ROOT = Node("").add(PIPE)
NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*{][^()]*\)[+*{]")
CTRL_Z = "\x1a"


@cache
def root_for(kind: str | None, privileged: bool) -> Node:
    """The command tree of a mode (None: EXEC). Built once; trees are never mutated."""
    return exec_tree(privileged) if kind is None else config_tree(kind)


def tokens(line: str) -> list[tuple[str, int]]:
    """Words with their columns; `|` is always a word of its own."""
    return [(m.group(), m.start()) for m in TOKEN.finditer(line)]


def caret_at(column: int) -> str:
    return " " * column + "^\n"


def caret(prompt: str, line: str, word_index: int) -> str:
    """The caret line under word `word_index` of `line` typed after `prompt`."""
    toks = tokens(line)
    column = toks[word_index][1] if word_index < len(toks) else len(line.rstrip())
    return caret_at(len(prompt) + column)


def platform_refusal(platform: str, version: str, prompt: str, line: str) -> str | None:
    """How a platform without the feature refuses `sysopt connection preserve-vpn-flows`."""
    words = [w for w, _ in tokens(line)]
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


@dataclass(frozen=True)
class Help:
    """What `?` offers after a partial line, for the web terminal."""

    items: tuple[tuple[str, str], ...]  # (word or <label>, help)
    restore: str  # the line to put back at the prompt (the text before `?`)
    error: str = ""  # the device's error text when the partial line is already wrong


class CliSession:
    def __init__(
        self, sim: Simulation, device: str, *, privileged: bool = False, terminal: bool = False
    ) -> None:
        self.sim = sim
        self.terminal = terminal  # a run's own terminal (run.py): its lines are replayed
        self.gw = sim.gateways[device]
        self.privileged = privileged
        self.mode: Mode | None = None  # None: EXEC; otherwise a config mode
        self.errors = 0
        self.awaiting_password = False
        self.debugs = tools.debug.Debugs()  # this terminal's `debug` settings

    @property
    def prompt(self) -> str:
        if self.awaiting_password:
            return "Password: "
        host = self.gw.name
        if self.mode is not None:
            return f"{host}{self.mode.prompt_suffix}# "
        return f"{host}{'#' if self.privileged else '>'} "

    # -- the terminal ----------------------------------------------------------------------
    def type(self, line: str) -> str:
        """Echo the prompt and line, then the device's answer (a transcript chunk).

        Ctrl-Z (`\\x1a`) ends the line: the text before it runs, then a config mode is left
        for privileged EXEC, as `end` does; the echo shows `^Z`, as IOS does.
        """
        pending = self.take_debug()  # debug lines that arrived before this line was typed
        prompt = self.prompt
        ctrl_z = CTRL_Z in line and not self.awaiting_password
        if ctrl_z:
            line = line.split(CTRL_Z, 1)[0]
        if self.awaiting_password:
            echo = "*" * len(line)
            out = self._password(line)
        else:
            echo = line + ("^Z" if ctrl_z else "")
            out = self.execute(line, prompt)
            if ctrl_z:
                self.mode = None
        self.sim.loop.record(
            "cli", device=self.gw.id, line=echo, output=out, terminal=self.terminal
        )
        return f"{pending}{prompt}{echo}\n{out}"

    def take_debug(self) -> str:
        """The debug lines of what happened since the last call (the terminal prints them
        as they come; Runtime asks after every engine event)."""
        return tools.debug.drain(self.sim, self.gw, self.debugs)

    def help(self, line: str) -> Help:
        """`?` data: what may follow `line` (a trailing `?` is ignored), in the current mode."""
        text = line[:-1] if line.endswith("?") else line
        items, error = self._help_items(text, self.prompt)
        return Help(tuple(items), text, error)

    def complete(self, line: str) -> str | None:
        """Tab: the line with its last word completed, if exactly one keyword fits."""
        toks = tokens(line)
        if not toks or line[-1:].isspace():
            return None
        root = self._root()
        reached = walk(root, [w for w, _ in toks[:-1]])
        if isinstance(reached, ParseError):
            return None
        words = prefix_matches(reached[0], toks[-1][0])
        if len(words) != 1 or words[0].startswith(("<", "A.B.C.D", "WORD", "LINE")):
            return None
        return line[: toks[-1][1]] + words[0] + " "

    # -- one line --------------------------------------------------------------------------
    def execute(self, line: str, prompt: str = "") -> str:
        if len(line) > MAX_LINE:
            return self._error(caret_at(len(prompt) + MAX_LINE) + INVALID + "\n")
        if line.rstrip().endswith("?"):
            items, error = self._help_items(line.rstrip()[:-1], prompt)
            return error or self._format_items(items, line.rstrip()[:-1])
        toks = tokens(line)
        if not toks:
            return ""
        return self._run(toks, line, prompt)

    def _root(self) -> Node:
        return root_for(self.mode.kind if self.mode else None, self.privileged)

    def _run(self, toks: list[tuple[str, int]], line: str, prompt: str, *, do: bool = False) -> str:
        words = [w for w, _ in toks]
        root = root_for(None, True) if do else self._root()
        pipe = words.index("|") if "|" in words else None
        if pipe is not None:
            head = self._parse(root, words[:pipe])
            if isinstance(head, Match) and head.action.startswith(("show.", "tools.show")):
                return self._show_filtered(head, toks, pipe, line, prompt)
        match = self._parse(root, words)
        if isinstance(match, ParseError):
            return self._parse_error(match, toks, line, prompt)
        refused = self._version_refusal(match.words)
        if refused is not None and not (
            match.action == "config" and self.gw.node.platform != "asa"
        ):  # a PIX or IOS refuses in its own words (platform_refusal)
            return self._parse_error(ParseError("invalid", refused), toks, line, prompt)
        return self._dispatch(match, toks, line, prompt)

    def _version_refusal(self, expanded: tuple[str, ...] | list[str]) -> int | None:
        """The word this node's software train does not have (`show crypto ikev1` on 8.2,
        `sysopt connection preserve-vpn-flows` on 8.0(3)); None if it has them all."""
        return show.profile_of(self.gw).refused_at(expanded)

    def _parse(self, root: Node, words: list[str]) -> Match | ParseError:
        negated = bool(words) and words[0].lower() == "no"
        result = parse(root, words, negated=negated)
        if (
            isinstance(result, ParseError)
            and self.mode is not None
            and self.mode.kind != "config"
            and root is self._root()
            and result.index == (1 if negated else 0)
            and result.kind == "invalid"
        ):
            top = parse(root_for("config", True), words, negated=negated)
            if isinstance(top, Match):  # a top-level command leaves the sub-mode (as on the ASA)
                return top
        return result

    def _parse_error(
        self, err: ParseError, toks: list[tuple[str, int]], line: str, prompt: str
    ) -> str:
        if err.kind == "incomplete":
            return self._error(INCOMPLETE + "\n")
        if err.kind == "ambiguous":
            end = toks[err.index][1] + len(toks[err.index][0])
            return self._error(AMBIGUOUS.format(line[:end].strip()) + "\n")
        column = toks[err.index][1] if err.index < len(toks) else len(line.rstrip())
        return self._error(caret_at(len(prompt) + column) + INVALID + "\n")

    def _error(self, text: str) -> str:
        self.errors += 1
        self.gw.cli_errors += 1
        return text

    # -- dispatch --------------------------------------------------------------------------
    def _dispatch(self, m: Match, toks: list[tuple[str, int]], line: str, prompt: str) -> str:
        action = m.action
        if action == "config":
            return self._config(m, toks, line, prompt)
        if action == "unsim":
            return self._error(NOT_SIMULATED + "\n")
        if action == "do":
            rest = toks[1:]
            return self._run(rest, line, prompt, do=True)
        try:
            if action == "tools.showdebug":
                return tools.debug.show_debug(self.gw, self.debugs)
            if action in tools.SESSION_ACTIONS:
                return tools.debug.command(self.sim, self.gw, self.debugs, m.words, m.args)
            if action in tools.HANDLERS:
                return tools.HANDLERS[action](self.sim, self.gw, m.words, m.args)
            if action.startswith("show."):
                return show.render(self.sim, self.gw, action, m.words, m.args)
            if action.startswith("clear."):
                return actions.clear(self.sim, self.gw, action, m.words, m.args)
        except ArgError as exc:  # the handler refused a word the tree let through
            return self._parse_error(ParseError("invalid", exc.index), toks, line, prompt)
        return self._mode_change(action)

    def _mode_change(self, action: str) -> str:
        if action == "configure":
            self.mode = Mode()
        elif action == "end":
            self.mode = None
        elif action == "exit":
            assert self.mode is not None
            self.mode = None if self.mode.kind == "config" else Mode()
        elif action == "enable":
            if not self.privileged:
                self.awaiting_password = True
        elif action == "disable":
            self.privileged = False
        elif action == "logout":  # [U] the lab starts a fresh session at the user prompt
            self.privileged = False
            self.mode = None
            return "\nLogoff\n\n"
        return ""

    def _password(self, typed: str) -> str:
        """`enable`: the configured password (none by default: Enter is enough)."""
        self.awaiting_password = False
        assert self.gw.cfg is not None
        configured = self.gw.cfg.enable_password
        # [U] An encrypted (hashed) password cannot be checked here: any answer opens it.
        hashed = configured.endswith((" encrypted", " pbkdf2"))
        if not configured or hashed or typed == configured:
            self.privileged = True
            return ""
        return self._error(BAD_PASSWORD + "\n")

    def _config(self, m: Match, toks: list[tuple[str, int]], line: str, prompt: str) -> str:
        cfg = self.gw.cfg
        assert cfg is not None
        mode = self.mode or Mode()
        expanded = " ".join(m.words)
        refusal = platform_refusal(self.gw.node.platform, self.gw.node.version, prompt, expanded)
        if refusal:
            if refusal.lstrip(" ").startswith("^"):  # re-aim the caret at the typed word
                index = 3 if m.words[0] == "no" else 2
                refusal = caret(prompt, line, index) + refusal.split("\n", 1)[1]
            return self._error(refusal)
        before = copy.deepcopy(cfg)
        try:
            self.mode = apply_line(cfg, mode, expanded)
        except ConfigLineError as exc:
            self._restore(before)
            return self._error(f"{exc}\n")
        except Unmodelled:
            self._restore(before)
            return self._error(NOT_SIMULATED + "\n")
        self.sim.path_changed()
        return ""

    def _restore(self, before: AsaConfig) -> None:
        """A refused line leaves the config exactly as it was."""
        assert self.gw.cfg is not None
        self.gw.cfg.__dict__.update(before.__dict__)

    # -- `?` and output filters ------------------------------------------------------------
    def _help_items(self, text: str, prompt: str) -> tuple[list[tuple[str, str]], str]:
        toks = tokens(text)
        words = [w for w, _ in toks]
        fresh = not text or text[-1].isspace()
        root = self._root()
        if "|" in words:
            cut = words.index("|")
            root, toks, words = PIPE_ROOT, toks[cut:], words[cut:]
        before = words if fresh else words[:-1]
        reached = walk(root, before)
        negated = 1 if words[:1] == ["no"] else 0
        if (
            isinstance(reached, ParseError)
            and reached.index == negated
            and self.mode is not None
            and self.mode.kind != "config"
            and root is self._root()
        ):
            reached = walk(root_for("config", True), before)  # top-level commands work too
        if isinstance(reached, ParseError):
            if reached.kind == "ambiguous":
                return [], AMBIGUOUS.format(text.strip()) + "\n"
            column = toks[reached.index][1] if reached.index < len(toks) else len(text)
            return [], caret_at(len(prompt) + column) + INVALID + "\n"
        node = reached[0]
        bad = self._version_refusal(list(reached[1]))
        if bad is not None and bad < len(toks):
            return [], caret_at(len(prompt) + toks[bad][1]) + INVALID + "\n"
        if node.kind == LINE:
            return [("LINE", node.help), ("<cr>", "")], ""
        expanded = list(reached[1])
        if fresh:
            items = [
                item
                for item in help_items(node)
                if self._version_refusal([*expanded, item[0]]) is None
            ]
            return items, ""
        found = [
            w
            for w in prefix_matches(node, words[-1])
            if self._version_refusal([*expanded, w]) is None
        ]
        if not found:
            return [], caret_at(len(prompt) + toks[-1][1]) + INVALID + "\n"
        return [(w, "") for w in found], ""

    def _format_items(self, items: list[tuple[str, str]], text: str) -> str:
        if items and all(not h for _, h in items) and not (not text or text[-1].isspace()):
            return "  ".join(w for w, _ in items) + "\n"  # `word?`: the words that fit
        return format_help(items)

    def _show_filtered(
        self, head: Match, toks: list[tuple[str, int]], pipe: int, line: str, prompt: str
    ) -> str:
        words = [w for w, _ in toks]
        filt = parse(PIPE_ROOT, words[pipe:])
        if isinstance(filt, ParseError):
            shifted = ParseError(filt.kind, filt.index + pipe)
            return self._parse_error(shifted, toks, line, prompt)
        pattern = line[toks[pipe + 2][1] :].strip()
        try:
            if head.action in tools.HANDLERS:
                text = tools.HANDLERS[head.action](self.sim, self.gw, head.words, head.args)
            elif head.action == "tools.showdebug":
                text = tools.debug.show_debug(self.gw, self.debugs)
            else:
                text = show.render(self.sim, self.gw, head.action, head.words, head.args)
        except ArgError as exc:
            return self._parse_error(ParseError("invalid", exc.index), toks, line, prompt)
        return filter_output(text, filt.action, pattern)


def filter_output(text: str, how: str, pattern: str) -> str:
    """`| include/exclude/begin/grep [-v] REGEX` over the output's lines."""
    invert = False
    if how == "grep" and pattern.startswith("-v "):
        invert, pattern = True, pattern[3:].strip()
    try:
        if NESTED_QUANTIFIER.search(pattern):  # `(x+)+`: exponential backtracking, never
            raise re.error("nested quantifier")
        regex = re.compile(pattern)
    except re.error:
        regex = re.compile(re.escape(pattern))  # [U] the lab falls back to a literal match
    lines = text.splitlines()
    if how == "begin":
        for i, x in enumerate(lines):
            if regex.search(x):
                lines = lines[i:]
                break
        else:
            lines = []
    elif how == "exclude" or invert:
        lines = [x for x in lines if not regex.search(x)]
    else:
        lines = [x for x in lines if regex.search(x)]
    return "".join(x + "\n" for x in lines)
