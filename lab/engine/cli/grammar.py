"""Command grammar as data, and the matcher that reads a typed line against it.

Theory of operation: each CLI mode's commands form a tree of `Node`s (built in tree.py).
A keyword node matches any prefix of its word, case-insensitively; an exact match wins and
two or more prefix matches are ambiguous, as on IOS/ASA. An argument node matches one token
of its kind (IPv4 address, integer in a range, h:mm:ss, any word) or, for `line`, the rest
of the line. Keywords are tried before arguments. A node with an `action` may end the line
(`<cr>` in help). `parse` walks the tree word by word and returns a `Match` (the action,
the words with abbreviations expanded, the argument values) or a `ParseError` naming the
kind of error and the index of the offending word; the session turns that into the
device's error text and caret. `help_items` lists what may follow (`?`), `complete`
finishes a unique prefix (Tab). Trees may contain cycles (repeated option lists); every
walk is bounded by the number of words typed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..units import parse_hms

KW, IP, INT, HMS, WORD, LINE = "kw", "ip", "int", "hms", "word", "line"
MAX_WORD = 64  # [U] longest name (tunnel-group, ACL, map) the lab accepts in one token


@dataclass(eq=False)
class Node:
    """One word position. `word` is the keyword, or for an argument its `?` label."""

    word: str
    help: str = ""
    kind: str = KW
    action: str | None = None
    children: list[Node] = field(default_factory=list)
    lo: int = 0
    hi: int = 0
    no_end: bool = False  # the `no` form may stop here (e.g. `no logging buffered`)

    def accepts(self, token: str) -> bool:
        """Does this argument node take `token`? (Keywords are matched by prefix instead.)"""
        if self.kind == IP:
            try:
                ipaddress.IPv4Address(token)
            except ValueError:
                return False
            return True
        if self.kind == INT:
            return token.isdigit() and len(token) <= 10 and self.lo <= int(token) <= self.hi
        if self.kind == HMS:
            try:
                parse_hms(token)
            except ValueError:
                return False
            return True
        if self.kind == WORD:
            return 0 < len(token) <= MAX_WORD
        return self.kind == LINE

    def add(self, *children: Node) -> Node:
        self.children.extend(children)
        return self


def kw(
    word: str, help: str, *children: Node, action: str | None = None, no_end: bool = False
) -> Node:
    return Node(word, help, KW, action, list(children), no_end=no_end)


def arg(
    kind: str,
    label: str,
    help: str,
    *children: Node,
    action: str | None = None,
    lo: int = 0,
    hi: int = 0,
) -> Node:
    if kind == INT and label == "":
        label = f"<{lo}-{hi}>"
    return Node(label, help, kind, action, list(children), lo, hi)


@dataclass(frozen=True)
class Match:
    action: str
    words: tuple[str, ...]  # the line with keywords expanded, arguments as typed
    args: tuple[str, ...]  # argument values in order (a `line` argument: the rest, joined)


class ArgError(Exception):
    """A handler refuses word `index` of a line the tree accepted (an unknown interface, a
    `show conn` option given twice): the session answers with the caret, as for a parse
    error, and changes nothing."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


@dataclass(frozen=True)
class ParseError:
    kind: str  # invalid | incomplete | ambiguous
    index: int  # offending word (for incomplete: the number of words)


def candidates(node: Node, token: str) -> list[Node]:
    """The children `token` can select: an exact keyword, else prefix keywords, else args."""
    low = token.lower()
    keywords = [c for c in node.children if c.kind == KW and c.word.startswith(low)]
    for c in keywords:
        if c.word == low:
            return [c]
    if keywords:
        return keywords
    return [c for c in node.children if c.kind != KW and c.accepts(token)][:1]


def walk(root: Node, words: list[str]) -> tuple[Node, list[str], list[str]] | ParseError:
    """Follow `words` from root; return the node reached, expanded words and args."""
    node = root
    expanded: list[str] = []
    args: list[str] = []
    for i, token in enumerate(words):
        found = candidates(node, token)
        if not found:
            return ParseError("invalid", i)
        if len(found) > 1:
            return ParseError("ambiguous", i)
        node = found[0]
        if node.kind == LINE:
            rest = " ".join(words[i:])
            expanded.append(rest)
            args.append(rest)
            return node, expanded, args
        expanded.append(node.word if node.kind == KW else token)
        if node.kind != KW:
            args.append(token)
    return node, expanded, args


def parse(root: Node, words: list[str], *, negated: bool = False) -> Match | ParseError:
    """Read a whole line. In a `no` form a line may also stop where only arguments follow."""
    reached = walk(root, words)
    if isinstance(reached, ParseError):
        return reached
    node, expanded, args = reached
    action = node.action
    if action is None and negated and words:
        only_args = bool(node.children) and all(c.kind != KW for c in node.children)
        if node.no_end or only_args:
            action = _first_action(node)
    if action is None:
        return ParseError("incomplete", len(words))
    return Match(action, tuple(expanded), tuple(args))


def _first_action(node: Node) -> str | None:
    """The action a truncated `no` line takes: the nearest one below (breadth first)."""
    seen: set[int] = set()
    queue = [node]
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.action is not None:
            return current.action
        queue.extend(current.children)
    return None


def help_items(node: Node) -> list[tuple[str, str]]:
    """What may follow `node`, as (`?` label, one-line help), keywords first, `<cr>` last."""
    items = [(c.word, c.help) for c in node.children if c.kind == KW]
    items.sort()
    items += [(c.word, c.help) for c in node.children if c.kind != KW]
    if node.action is not None:
        items.append(("<cr>", ""))
    return items


def prefix_matches(node: Node, prefix: str) -> list[str]:
    """Keywords below `node` that start with `prefix` (the `word?` form)."""
    low = prefix.lower()
    words = sorted(c.word for c in node.children if c.kind == KW and c.word.startswith(low))
    if not words:
        words = [c.word for c in node.children if c.kind != KW and c.accepts(prefix)]
    return words


def format_help(items: list[tuple[str, str]]) -> str:
    """IOS-style columns: two spaces, the label padded, then the help text."""
    if not items:
        return ""
    width = max(len(label) for label, _ in items)
    return "".join(f"  {label:<{width}}  {text}".rstrip() + "\n" for label, text in items)
