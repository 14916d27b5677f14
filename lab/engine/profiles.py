"""What each ASA software train prints differently, as one table (`PROFILES`).

A node's version string (`8.2(1)`, `9.8(4)`) picks its profile: the last train whose
first version is not later than it (`for_node`). Every `show` renderer, the `show run`
printer, the CLI's command set and the syslog wording that differ between releases read
the profile; nothing else in the engine compares version numbers for output.

How sure each row is: [C] confirmed by the source named, [P] partly, [U] our choice
(listed in the README's unverified choices). Sources:
- IKEv1/IKEv2 split of commands and headers from 8.4(1): Cisco document 113597 [C].
- `sysopt connection preserve-vpn-flows` from 8.0(4): the seed (S0) [C].
- `show conn` flag legends: 9.16 from the reference (S7) [C]; 8.4 after Cisco document
  113602 (ASA TCP Connection Flags, based on 8.4) [P: its flag table, legend layout ours];
  8.0/8.2 after tunnelsup "Understanding Cisco ASA connection flags" (the list "earlier
  versions" printed) plus V (VPN orphan, which came with preserve-vpn-flows) [P].
- `pre-shared-key *` on 8.x: the seed's sample config [C]; `ikev1 pre-shared-key *****`
  on 9.x: ntc-templates tests/cisco_asa/show_run_tunnel-group (a real 9.x capture) [C].
- `sctp 0:02:00` in `timeout conn` from 9.5: reference "Versions and formats" [C].
- `show version` banner lines: ntc-templates tests/cisco_asa/show_version (9.5(2)) [C];
  the Device Manager version paired with each train [U].
- 302014's `from <interface>` after the reason on 9.x (`teardown_initiator`): Cisco's
  syslog guide `[reason [from teardown-initiator]]` and real lines [P].
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .platforms import parse_version

# `show conn detail|long` legends ------------------------------------------------------

LEGEND_8_0 = """Flags: A - awaiting inside ACK to SYN, a - awaiting outside ACK to SYN,
       B - initial SYN from outside, C - CTIQBE media, D - DNS, d - dump,
       E - outside back connection, F - outside FIN, f - inside FIN,
       G - group, g - MGCP, H - H.323, h - H.225.0, I - inbound data,
       i - incomplete, J - GTP, j - GTP data, k - Skinny media,
       M - SMTP data, m - SIP media, n - GUP
       O - outbound data, P - inside back connection,
       q - SQL*Net data, R - outside acknowledged FIN,
       R - UDP SUNRPC, r - inside acknowledged FIN, S - awaiting inside SYN,
       s - awaiting outside SYN, T - SIP, t - SIP transient, U - up,
       V - VPN orphan
"""

LEGEND_8_4 = """Flags: A - awaiting inside ACK to SYN, a - awaiting outside ACK to SYN,
       B - initial SYN from outside, b - TCP state-bypass or nailed, C - CTIQBE media,
       D - DNS, d - dump, E - outside back connection, F - outside FIN, f - inside FIN,
       G - group, g - MGCP, H - H.323, h - H.225.0, I - inbound data,
       i - incomplete, J - GTP, j - GTP data, K - GTP t3-response
       k - Skinny media, M - SMTP data, m - SIP media, n - GUP
       O - outbound data, P - inside back connection, p - Phone-proxy TFTP connection,
       q - SQL*Net data, R - outside acknowledged FIN,
       R - UDP SUNRPC, r - inside acknowledged FIN, S - awaiting inside SYN,
       s - awaiting outside SYN, T - SIP, t - SIP transient, U - up,
       V - VPN orphan, W - WAAS,
       X - inspected by service module
"""

LEGEND_9_16 = """Flags: A - awaiting inside ACK to SYN, a - awaiting outside ACK to SYN,
       B - initial SYN from outside, b - TCP state-bypass or nailed,
       C - CTIQBE media, c - cluster centralized,
       D - DNS / Umbrella, d - dump, E - outside back connection, e - semi-distributed,
       F - outside FIN, f - inside FIN,
       G - group, g - MGCP, H - H.323, h - H.225.0, I - inbound data,
       i - incomplete, J - GTP, j - GTP data, K - GTP t3-response
       k - Skinny media, L - LISP triggered flow owner mobility
       l - local director/backup stub flow
       M - SMTP data, m - SIP media, n - GUP
       N - inspected by Snort
       O - outbound data, o - offloaded,
       P - inside back connection
       Q - Diameter, q - SQL*Net data,
       R - outside acknowledged FIN,
       R - UDP SUNRPC, r - inside acknowledged FIN, S - awaiting inside SYN,
       s - awaiting outside SYN, T - SIP, t - SIP transient, U - up, u - STUN,
       V - VPN orphan, v - M3UA W - WAAS,
       w - secondary domain backup,
       X - inspected by service module,
       x - per session, Y - director stub flow, y - backup stub flow,
       Z - Scansafe redirection, z - forwarding stub flow
"""  # [C] reference section 4, S7 (ASA 9.16)

# [U] 9.1 and 9.8 legends: the 8.4 one plus the cluster flags 9.0 brought (c, e, L, l,
# Y, y, z) and, from 9.6, Snort (N) / Umbrella; the lab prints the 9.16 legend from 9.8.
LEGEND_9_1 = LEGEND_8_4.replace(
    "       X - inspected by service module\n",
    "       X - inspected by service module,\n"
    "       c - cluster centralized, e - semi-distributed,\n"
    "       Y - director stub flow, y - backup stub flow, z - forwarding stub flow\n",
)


@dataclass(frozen=True)
class Profile:
    """One software train: what its CLI accepts and how its output reads."""

    train: str  # the label a reader looks up: "8.2", "9.8"
    since: tuple[int, ...]  # its first version
    preserve_vpn_flows: bool  # `sysopt connection preserve-vpn-flows` exists [C, S0]
    ike_keywords: bool  # `ikev1`/`ikev2` keywords, IKEv2, `IKEv1 SAs:` headers [C, 113597]
    conn_legend: str
    tfc: bool  # `#TFC rcvd/sent` and `TFC packets:` lines in `show crypto ipsec sa` [U]
    psk_mask: str  # how `show running-config` masks a pre-shared key
    timeout_sctp: bool  # `sctp 0:02:00` in `timeout conn` [C, 9.5+]
    asdm: str  # the Device Manager version `show version` pairs with the train [U]
    image: str  # the image file name pattern; {v} = digits of the version [U]
    ipsec_pmtu_aging: bool  # `crypto ipsec security-association pmtu-aging infinite` [P]
    compiled: str  # `Compiled on ...` date of the train's first image [U]
    hardware: str  # `Hardware:` line: a box that ran the train [U]
    syntax: str = "asa"  # "pix6": PIX 6 command syntax in `show run` and the importer
    # 302014's `[reason [from teardown-initiator]]` (Cisco's syslog guide; real 9.x lines
    # `... TCP FINs from inside`) [P]; [U] from 9.1, the first 9.x train the lab offers.
    teardown_initiator: bool = False

    @property
    def ike_sa_command(self) -> str:
        return "show crypto ikev1 sa" if self.ike_keywords else "show crypto isakmp sa"

    @property
    def ike(self) -> str:
        """The config keyword of IKEv1 commands: `crypto isakmp` / `crypto ikev1`."""
        return "ikev1" if self.ike_keywords else "isakmp"

    def refused_at(self, words: tuple[str, ...] | list[str]) -> int | None:
        """The index of the first word (expanded keywords) this train does not have."""
        body = list(words[1:]) if words[:1] in (["no"], ("no",)) else list(words)
        shift = len(words) - len(body)
        for prefix in self._missing():
            n = len(prefix)
            for start in range(3):  # `show crypto ikev1`, `show running-config all crypto ikev1`
                if tuple(body[start : start + n]) == prefix:
                    return shift + start + n - 1
        return None

    def _missing(self) -> tuple[tuple[str, ...], ...]:
        out: list[tuple[str, ...]] = []
        if not self.preserve_vpn_flows:
            out.append(("sysopt", "connection", "preserve-vpn-flows"))
        if not self.ike_keywords:
            for kw in ("ikev1", "ikev2"):
                out += [
                    ("crypto", kw),
                    ("crypto", "ipsec", kw),
                    ("show", "crypto", kw),
                    ("clear", "crypto", kw),
                    ("running-config", "crypto", kw),
                    ("all", "crypto", kw),
                ]
        return tuple(out)


def _p(
    train: str,
    since: tuple[int, ...],
    legend: str,
    *,
    preserve: bool = True,
    ike: bool = False,
    tfc: bool = False,
    nine: bool = False,
    sctp: bool = False,
    asdm: str,
    compiled: str,
) -> Profile:
    return Profile(
        train=train,
        since=since,
        preserve_vpn_flows=preserve,
        ike_keywords=ike,
        conn_legend=legend,
        tfc=tfc,
        psk_mask="*****" if ike else "*",  # [U] 8.4 taken to mask as 9.x does
        timeout_sctp=sctp,
        asdm=asdm,
        image="asa{v}-smp-k8.bin" if nine else "asa{v}-k8.bin",
        ipsec_pmtu_aging=nine,
        compiled=compiled,
        teardown_initiator=nine,
        hardware=(
            "ASA5506, 4096 MB RAM, CPU Atom C2000 series 1250 MHz, 1 CPU (4 cores)"
            if sctp
            else "ASA5510, 256 MB RAM, CPU Pentium 4 Celeron 1600 MHz"
        ),
    )


# The table a reader looks up ("what does 8.2 print differently?"). Older releases (7.x,
# a PIX) fall to the first row.
PROFILES: tuple[Profile, ...] = (
    _p("8.0(3)", (0,), LEGEND_8_0, preserve=False, asdm="6.0(3)", compiled="Tue 29-Jul-08 11:51"),
    _p("8.0(4)", (8, 0, 4), LEGEND_8_0, asdm="6.1(3)", compiled="Thu 07-Aug-08 20:53"),
    _p("8.2", (8, 2), LEGEND_8_0, asdm="6.2(1)", compiled="Tue 05-May-09 22:45"),
    _p("8.4", (8, 4), LEGEND_8_4, ike=True, asdm="6.4(1)", compiled="Mon 31-Jan-11 02:11"),
    _p(
        "9.1",
        (9, 1),
        LEGEND_9_1,
        ike=True,
        tfc=True,
        nine=True,
        asdm="7.1(1)",
        compiled="Wed 28-Nov-12 11:15",
    ),
    _p(
        "9.8",
        (9, 8),
        LEGEND_9_16,
        ike=True,
        tfc=True,
        nine=True,
        sctp=True,
        asdm="7.8(2)",
        compiled="Thu 20-Jul-17 17:41",
    ),
    _p(
        "9.16",
        (9, 16),
        LEGEND_9_16,
        ike=True,
        tfc=True,
        nine=True,
        sctp=True,
        asdm="7.16(1)",
        compiled="Thu 09-Sep-21 13:08",
    ),
)


# A PIX running 6.x: the oldest train's output, in PIX 6 command syntax (`nameif ethernet0
# outside security0`, `isakmp key ...`; see pix6.py). PIX 7.0 took the ASA syntax.
PIX_6 = replace(PROFILES[0], train="PIX 6", since=(6,), preserve_vpn_flows=False, syntax="pix6")


def for_node(version: str, platform: str = "asa") -> Profile:
    """The profile of a node's version string (`8.2(1)`, `9.8(4)`); junk: the oldest.
    A PIX below 7.0 speaks PIX 6 syntax (`PIX_6`)."""
    parsed = parse_version(version)
    if platform == "pix" and parsed < (7,):
        return PIX_6
    chosen = PROFILES[0]
    for profile in PROFILES:
        if parsed >= profile.since:
            chosen = profile
    return chosen
