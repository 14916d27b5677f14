"""A VPN gateway's own state: config, conn table, vpn-contexts, syslog buffer, ASP drops.

The rules that *use* this state while a packet crosses the box live in forwarding.py;
this module only holds it and formats what the device prints about it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .asaconfig import AsaConfig
from .platforms import PLATFORMS, Platform
from .sacounters import Baseline, SaTraffic
from .spec import Node
from .syslog import LogLine, clock_text, make_line
from .units import hms

# `show asp drop` reason texts (reference section 1 and S23).
ASP_DROPS = {
    "tcp-not-syn": "First TCP packet not SYN",
    "ipsec-need-sa": "IPSEC SA not negotiated yet",  # [U] short name; text from S23
    "ipsec-tun-down": "IPSEC tunnel is down",
    "vpn-handle-not-found": "VPN handle not found",
}


@dataclass
class Conn:
    """One entry of an ASA conn table. Endpoint `o` is the one on the lower-security side."""

    id: int
    proto: str  # tcp | udp
    key: tuple[str, int]  # (flow id, attempt)
    o_ifc: str
    o_addr: str
    o_port: int
    i_ifc: str
    i_addr: str
    i_port: int
    inbound: bool  # initiated from the lower-security side
    created_us: int
    last_us: int
    established: bool = False
    moving: bool = False  # data passing right now: idle stays 0
    tunnel: str | None = None  # the tunnel the conn's packets use
    clear: bool = False  # built while no tunnel covered it (reclassify-vpn)
    bytes_offset: int = 0  # flow's transferred bytes when the conn was built
    timer: Any = None

    def idle_us(self, now: int) -> int:
        return 0 if self.moving else now - self.last_us

    def flags(self, orphan: bool) -> str:
        if self.proto == "udp":
            return "-"
        if not self.established:
            # s/a/A: awaiting the handshake; B: initial SYN from outside (S7 legend).
            return "SaAB" if self.inbound else "saA"
        # [U, inference] V (VPN orphan) marks a preserved conn whose tunnel has no SA.
        return "UIO" + ("B" if self.inbound else "") + ("V" if orphan else "")

    def endpoints(self) -> dict[str, object]:
        return {
            "ifa": self.o_ifc,
            "a": self.o_addr,
            "ap": self.o_port,
            "ifb": self.i_ifc,
            "b": self.i_addr,
            "bp": self.i_port,
        }


@dataclass
class SideSa:
    """One gateway's half of an IPsec SA pair, with its vpn-context flags."""

    spi_in: int
    spi_out: int
    created_us: int
    preserve: bool  # stamped at creation from the sysopt (S0: clear to take effect)
    lifetime_s: int
    lifetime_kb: int
    bytes_at_create: int
    keys_in: Any = None
    keys_out: Any = None
    ctx_in: int = 0
    ctx_out: int = 0
    # Traffic counters are read lazily from the flows (sacounters.py): the bytes each
    # crossing flow had transferred when this SA was created.
    baseline: Baseline = field(default_factory=dict)
    zeroed: SaTraffic = field(default_factory=SaTraffic)  # at `clear crypto ipsec sa counters`


# Bytes a buffered line costs beyond its text (the ASA's own accounting is undocumented [U]).
LOG_LINE_OVERHEAD = 16


class LogBuffer:
    """The syslog buffer: lines oldest first, with a running byte count so trimming to
    `logging buffer-size` costs O(1) per line however big the buffer is."""

    def __init__(self) -> None:
        self._lines: deque[LogLine] = deque()
        self.size = 0  # bytes held (text + LOG_LINE_OVERHEAD per line)

    def append(self, line: LogLine, limit: int) -> None:
        self._lines.append(line)
        self.size += len(line.text) + LOG_LINE_OVERHEAD
        while self._lines and self.size > limit:
            self.size -= len(self._lines.popleft().text) + LOG_LINE_OVERHEAD

    def clear(self) -> None:
        self._lines.clear()
        self.size = 0

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)

    def __bool__(self) -> bool:
        return bool(self._lines)


@dataclass
class Gateway:
    node: Node
    cfg: AsaConfig | None
    start_clock: str
    conns: dict[tuple[str, int], Conn] = field(default_factory=dict)
    buffer: LogBuffer = field(default_factory=LogBuffer)
    asp_drops: Counter[str] = field(default_factory=Counter)
    sas: dict[str, SideSa] = field(default_factory=dict)  # tunnel id -> current SA
    ike_up: dict[str, int] = field(default_factory=dict)  # tunnel id -> IKE SA created at
    # tunnel id -> traffic of the IKE session's SAs already deleted or rekeyed (113019)
    retired: dict[str, SaTraffic] = field(default_factory=dict)
    next_conn_id: int = 1
    most_used: int = 0
    cli_errors: int = 0
    asp_cleared_us: int | None = None  # `clear asp drop` (None: never)
    logged: int = 0  # messages ever accepted into the buffer (`show logging` count)
    tools: dict[str, Any] = field(default_factory=dict)  # captures, saved config (cli/)

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def platform(self) -> Platform:
        return PLATFORMS[self.node.platform]

    @property
    def stateful(self) -> bool:
        return self.platform.conn_table and self.cfg is not None

    @property
    def name(self) -> str:
        return self.cfg.hostname if self.cfg else self.node.label or self.node.id

    def address(self, nameif: str) -> str:
        if self.cfg is None:
            return self.node.address if nameif == "outside" else self.node.inside_address
        ifc = self.cfg.interface_by_nameif(nameif)
        return ifc.address if ifc else ""

    def security_level(self, nameif: str) -> int:
        if self.cfg is None:
            return 0 if nameif == "outside" else 100
        ifc = self.cfg.interface_by_nameif(nameif)
        return ifc.security_level if ifc and ifc.security_level is not None else 0

    # -- syslog ------------------------------------------------------------------------
    def accepts(self, severity: int) -> bool:
        lg = self.cfg.logging if self.cfg else None
        return bool(lg and lg.enabled and lg.buffered is not None and severity <= lg.buffered)

    def log(self, t_us: int, msg_id: int, **fields: object) -> LogLine:
        line = make_line(t_us, self.id, msg_id, **fields)
        if self.accepts(line.severity):
            assert self.cfg is not None
            # The buffer holds `logging buffer-size` bytes (4096 by default), oldest out.
            self.buffer.append(line, self.cfg.logging.buffer_size)
            self.logged += 1
        return line

    # -- conns -------------------------------------------------------------------------

    def add_conn(self, conn: Conn) -> None:
        self.conns[conn.key] = conn
        self.next_conn_id += 1
        self.most_used = max(self.most_used, len(self.conns))

    def teardown_fields(self, conn: Conn, now: int, nbytes: int) -> dict[str, object]:
        return {
            "id": conn.id,
            "duration": hms(now - conn.created_us),
            "bytes": nbytes,
            **conn.endpoints(),
        }

    def timeout_for(self, conn: Conn) -> int:
        assert self.cfg is not None
        if conn.proto == "udp":
            return self.cfg.timeout_us("udp")
        return self.cfg.timeout_us("conn" if conn.established else "embryonic")


def render_log(gw: Gateway, line: LogLine) -> str:
    """A buffered line as `show logging` prints it."""
    stamp = clock_text(gw.start_clock, line.t_us) if gw.cfg and gw.cfg.logging.timestamp else None
    return line.render(gw.platform.syslog_prefix or "%ASA", stamp)
