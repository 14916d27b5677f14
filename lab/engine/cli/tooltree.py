"""The command trees of the troubleshooting tools (tools.py runs them), as data for tree.py:
packet-tracer, capture, debug, ping, write/copy, and their `show` and `no` forms."""

from __future__ import annotations

from ..gateway import ASP_DROPS
from .grammar import INT, IP, LINE, WORD, Node, arg, kw


def _port(*children: Node, action: str | None = None) -> Node:
    return arg(INT, "", "Port", *children, action=action, lo=0, hi=65535)


def packet_tracer() -> Node:
    done = "tools.tracer"
    detailed = kw("detailed", "Show detailed trace information", action=done)
    dst_port = _port(detailed, action=done)
    dst = arg(IP, "A.B.C.D", "Destination address", dst_port)
    tcp_udp = [
        kw(p, f"{p.upper()} packet", arg(IP, "A.B.C.D", "Source address", _port(dst)))
        for p in ("tcp", "udp")
    ]
    icmp_dst = arg(IP, "A.B.C.D", "Destination address", detailed, action=done)
    icmp = kw(
        "icmp",
        "ICMP packet",
        arg(
            IP,
            "A.B.C.D",
            "Source address",
            arg(
                INT,
                "",
                "ICMP type",
                arg(INT, "", "ICMP code", icmp_dst, lo=0, hi=255),
                lo=0,
                hi=255,
            ),
        ),
    )
    return kw(
        "packet-tracer",
        "Trace a packet through the box",
        kw("input", "Input interface", arg(WORD, "WORD", "Interface nameif", *tcp_udp, icmp)),
    )


def _match_tail() -> Node:
    return arg(LINE, "LINE", "PROTOCOL SOURCE DESTINATION [eq PORT]", action="tools.capture")


def capture() -> Node:
    reasons = [kw(r, f"Drops: {text}", action="tools.capture") for r, text in ASP_DROPS.items()]
    reasons.append(kw("all", "All drop reasons", action="tools.capture"))
    return kw(
        "capture",
        "Capture packets",
        arg(
            WORD,
            "WORD",
            "Capture name",
            kw(
                "interface",
                "Capture on an interface",
                arg(
                    WORD,
                    "WORD",
                    "Interface nameif",
                    kw("match", "Capture only matching packets", _match_tail()),
                    action="tools.capture",
                ),
            ),
            kw(
                "type",
                "Capture type",
                kw("asp-drop", "Packets the security path drops", *reasons, action="tools.capture"),
            ),
        ),
    )


def debug() -> Node:
    def level() -> Node:
        return arg(INT, "", "Debug level", action="tools.debug", lo=1, hi=255)

    ikev2 = kw(
        "ikev2",
        "IKEv2 debugging",
        kw("protocol", "IKEv2 protocol messages", level(), action="tools.debug"),
        kw("platform", "IKEv2 platform messages", level(), action="tools.debug"),
        level(),
        action="tools.debug",
    )
    return kw(
        "debug",
        "Debugging functions",
        kw(
            "crypto",
            "Crypto debugging",
            kw("isakmp", "ISAKMP (IKEv1) debugging", level(), action="tools.debug"),
            kw("ikev1", "IKEv1 debugging", level(), action="tools.debug"),
            ikev2,
            arg(LINE, "LINE", "Other crypto debugging", action="unsim"),
        ),
        arg(LINE, "LINE", "Other debugging", action="unsim"),
    )


def undebug() -> Node:
    return kw("undebug", "Disable debugging", kw("all", "All debugging", action="tools.undebug"))


def ping() -> Node:
    host = arg(IP, "A.B.C.D", "Destination address", action="tools.ping")
    return kw(
        "ping",
        "Send echo messages",
        host,
        arg(
            WORD,
            "WORD",
            "Source interface nameif",
            arg(IP, "A.B.C.D", "Destination address", action="tools.ping"),
        ),
    )


def write() -> Node:
    return kw(
        "write",
        "Write the running configuration",
        kw("memory", "Write to flash (the startup configuration)", action="tools.write"),
        arg(LINE, "LINE", "Other targets", action="unsim"),
    )


def copy() -> Node:
    return kw(
        "copy",
        "Copy files",
        kw(
            "running-config",
            "The running configuration",
            kw("startup-config", "To the startup configuration", action="tools.write"),
            arg(LINE, "LINE", "Other targets", action="unsim"),
        ),
        arg(LINE, "LINE", "Other sources", action="unsim"),
    )


def no_exec() -> Node:
    """`no capture NAME`, `no debug all` in privileged EXEC."""
    return kw(
        "no",
        "Negate a command",
        kw(
            "capture",
            "Remove a capture",
            arg(WORD, "WORD", "Capture name", action="tools.nocapture"),
        ),
        kw("debug", "Disable debugging", kw("all", "All debugging", action="tools.undebug")),
    )


def show_nodes() -> list[Node]:
    """The `show` commands the tools add (tree.py takes these names off its unsimulated list)."""
    return [
        kw(
            "access-list",
            "Show hit counters for access policies",
            arg(WORD, "WORD", "Access list name", action="show.acl"),
            action="show.acl",
        ),
        kw(
            "capture",
            "Show packet capture information",
            arg(WORD, "WORD", "Capture name", action="tools.showcapture"),
            action="tools.showcapture",
        ),
        kw("debug", "Show enabled debugging", action="tools.showdebug"),
        kw("local-host", "Show hosts with connections through the box", action="show.localhost"),
        kw("nat", "Show NAT policy", action="show.nat"),
        kw("route", "Show the routing table", action="show.route"),
        kw("startup-config", "Show the startup configuration", action="show.startup"),
        kw("xlate", "Show current translation information", action="show.xlate"),
    ]


SHOW_NAMES = (
    "access-list",
    "capture",
    "debug",
    "local-host",
    "nat",
    "route",
    "startup-config",
    "xlate",
)
EXEC_NAMES = ("capture", "copy", "debug", "packet-tracer", "ping", "write")


def exec_nodes() -> list[Node]:
    return [packet_tracer(), capture(), debug(), undebug(), ping(), write(), copy(), no_exec()]
