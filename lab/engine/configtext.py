"""How ASA config text is laid out: command order, and recovering run-together text.

`rank` gives the place a top-level command takes in `show running-config` (the ASA prints
its config in a fixed order of sections, not in the order it was typed; reference: the
seed's sample config). Lines the lab keeps verbatim are stored in that order so a config
printed and read again is the same config.

`split_run_together` is the best-effort reader for config text whose line breaks were
lost (the seed document prints most of its sample config as running prose): it joins the
words, drops `!---` commentary, mends words broken at a hyphen, and cuts the stream into
commands where a top-level command word starts, with a few rules for the words that are
also arguments (`interface`, `access-list`, `timeout`, `hostname`). Each recovered command
keeps the line number of its first word.
"""

from __future__ import annotations

import re

# (first words, rank): the longest matching prefix wins. [U] The order between sections
# the seed's sample does not show is our best reading of ASA 8.x `show running-config`.
RANKS: tuple[tuple[str, int], ...] = (
    ("hostname", 10),
    ("domain-name", 11),
    ("enable", 12),
    ("passwd", 13),
    ("names", 14),
    ("name", 15),
    ("interface", 20),
    ("boot", 30),
    ("ftp", 31),
    ("clock", 32),
    ("dns", 33),
    ("same-security-traffic", 34),
    ("object", 35),
    ("object-group", 36),
    ("access-list", 40),
    ("pager", 41),
    ("logging", 42),
    ("mtu", 43),
    ("failover", 44),
    ("icmp", 45),
    ("asdm", 46),
    ("arp", 47),
    ("nat-control", 48),
    ("global", 49),
    ("nat", 50),
    ("static", 51),
    ("access-group", 52),
    ("route", 53),
    ("timeout xlate", 54),
    ("timeout pat-xlate", 55),
    ("timeout", 57),  # the modelled `timeout conn ...` line takes 56
    ("dynamic-access-policy-record", 58),
    ("aaa", 59),
    ("aaa-server", 59),
    ("http", 60),
    ("snmp-server", 61),
    ("sysopt", 62),
    ("service resetoutside", 63),
    ("service", 63),
    ("crypto ipsec", 64),
    ("crypto dynamic-map", 65),
    ("crypto map", 66),
    ("crypto ca", 67),
    ("crypto isakmp", 68),
    ("crypto ikev1", 68),
    ("crypto", 69),
    ("telnet", 70),
    ("ssh", 71),
    ("console", 72),
    ("threat-detection", 73),
    ("ntp", 74),
    ("webvpn", 75),
    ("group-policy", 76),
    ("username", 77),
    ("tunnel-group", 78),
    ("class-map", 79),
    ("policy-map", 80),
    ("service-policy", 81),
    ("prompt", 82),
    ("call-home", 83),
)
RANK_UNKNOWN = 74  # [U] commands we do not place: with the other late system commands
RANK_TIMEOUT_CONN = 56


def known_rank(line: str) -> int | None:
    """The place of a command in `show running-config` (a `no` form sits with its
    command: `no failover` with `failover`); None for a command the table does not place."""
    words = line.split()
    words = words[1:] if words[:1] == ["no"] else words
    best, best_len = None, 0
    for prefix, value in RANKS:
        parts = prefix.split()
        if words[: len(parts)] == parts and len(parts) > best_len:
            best, best_len = value, len(parts)
    return best


def rank(line: str) -> int:
    found = known_rank(line)
    return RANK_UNKNOWN if found is None else found


# -- run-together text ------------------------------------------------------------------

# Words that start a top-level command in the stream (the seed's sample uses these).
STARTS = frozenset(
    {
        "access-group",
        "access-list",
        "arp",
        "asdm",
        "boot",
        "class-map",
        "console",
        "crypto",
        "domain-name",
        "dynamic-access-policy-record",
        "enable",
        "ftp",
        "global",
        "hostname",
        "http",
        "icmp",
        "interface",
        "logging",
        "mtu",
        "names",
        "nat",
        "pager",
        "passwd",
        "policy-map",
        "prompt",
        "route",
        "service",
        "service-policy",
        "snmp-server",
        "ssh",
        "static",
        "sysopt",
        "telnet",
        "threat-detection",
        "timeout",
        "tunnel-group",
        "username",
    }
)
# Sub-mode words that start an indented line after their block's head.
SUB_STARTS = {
    "crypto isakmp policy": ("authentication", "encryption", "hash", "group", "lifetime"),
    "interface": ("nameif", "security-level", "ip", "speed", "duplex", "shutdown", "no"),
    "tunnel-group ipsec-attributes": ("pre-shared-key", "isakmp"),
    "class-map": ("match",),
    "policy-map": ("parameters", "message-length", "class", "inspect"),
}
IFNAME = re.compile(r"^[A-Za-z-]+\d+(/\d+)*(\.\d+)?$")
ACL_KINDS = ("extended", "standard", "remark", "webtype", "ethertype", "permit", "deny")
ARG_BEFORE = {  # a start word after one of these is an argument, not a command
    "timeout": {"telnet", "ssh", "console", "idle-timeout", "session-timeout"},
    "hostname": {"prompt", "context", "state", "domain", "priority"},
    "interface": {"global", "static", "nat", "map", "enable"},
}
SKIP = ("Cryptochecksum", ":")


# Words that begin a command and are never an argument of an ordinary line: a line is
# read as run-together text only if two recovered commands begin with one of these
# (`aaa authentication ssh console LOCAL` is one real command, not three).
STRONG_STARTS = frozenset(
    {"interface", "access-list", "crypto", "tunnel-group", "route", "sysopt", "hostname"}
)


def looks_run_together(line: str) -> bool:
    """A physical line holding commentary or several commands."""
    if "!---" in line:
        return True
    commands = split_run_together([(1, line)])
    strong = sum(1 for _, text in commands if text.split()[0] in STRONG_STARTS)
    return len(commands) >= 3 and strong >= 2


def _words(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for number, text in lines:
        for word in text.split():
            if out and out[-1][1].endswith("-") and len(out[-1][1]) > 1 and word[0].isalnum():
                out[-1] = (out[-1][0], out[-1][1] + word)  # a word broken at a hyphen
            else:
                out.append((number, word))
    return out


def _drop_commentary(words: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    in_comment = False
    prev = ""
    for number, word in words:
        prev, word_prev = word, prev
        if word.startswith("!---"):
            in_comment = True
            if word.endswith(("Suppressed", ".")) and word != "!---":
                in_comment = False
            continue
        if in_comment:
            if word == "!" or word.endswith(".") or word == "Suppressed":
                in_comment = False
            continue
        if word == "!" or word.startswith(SKIP) or (word == "end" and word_prev == ":"):
            continue
        out.append((number, word))
    return out


def _starts(words: list[str], i: int, current: list[str]) -> bool:
    word = words[i]
    if word not in STARTS or current == ["no"]:  # `no logging console`: one command
        return False
    prev = words[i - 1] if i else ""
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if prev in ARG_BEFORE.get(word, ()) or prev == "inspect":  # `inspect ftp`, `inspect http`
        return False
    if current[:1] == ["timeout"] and word == "icmp":  # `... udp 0:02:00 icmp 0:00:02`
        return False
    if word == "interface":
        return bool(IFNAME.match(nxt))
    if word == "access-list":
        after = words[i + 2] if i + 2 < len(words) else ""
        return after in ACL_KINDS
    if word == "enable":
        return nxt == "password"
    if word == "timeout" and current[:1] == ["timeout"]:
        return True
    return word not in ("nat", "global", "static") or nxt.startswith("(")


def _block_key(head: list[str]) -> str:
    if head[:3] == ["crypto", "isakmp", "policy"] or head[:3] == ["crypto", "ikev1", "policy"]:
        return "crypto isakmp policy"
    if head[:1] == ["tunnel-group"] and head[2:3] == ["ipsec-attributes"]:
        return "tunnel-group ipsec-attributes"
    return head[0] if head else ""


def _head_length(key: str, command: list[str]) -> int:
    """How many words of a block command are its head (the rest are sub-lines)."""
    if key == "crypto isakmp policy":
        return 4
    if key == "tunnel-group ipsec-attributes":
        return 3
    if key in ("interface", "class-map"):
        return 2
    if key == "policy-map":
        return 5 if command[1:2] == ["type"] else 2
    return len(command)


def _sub_lines(command: list[str]) -> list[str]:
    key = _block_key(command)
    subs = SUB_STARTS.get(key)
    if not subs:
        return [" ".join(command)]
    cut = _head_length(key, command)
    lines = [" ".join(command[:cut])]
    current: list[str] = []
    for word in command[cut:]:
        if word in subs and current and current != ["no"]:
            lines.append(" " + " ".join(current))
            current = []
        current.append(word)
    if current:
        lines.append(" " + " ".join(current))
    return lines


def split_run_together(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(line number, text) pairs in, one (line number, command) per recovered command out;
    sub-mode lines come back indented by one space."""
    words = _drop_commentary(_words(lines))
    plain = [w for _, w in words]
    commands: list[tuple[int, list[str]]] = []
    for i, (number, word) in enumerate(words):
        if not commands or _starts(plain, i, commands[-1][1]):
            commands.append((number, [word]))
        else:
            commands[-1][1].append(word)
    out: list[tuple[int, str]] = []
    for number, command in commands:
        out.extend((number, text) for text in _sub_lines(command))
    return out
