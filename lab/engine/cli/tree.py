"""The ASA command trees, as data: one root per CLI mode (see grammar.py for the rules).

Actions: `config` lines go to `asaconfig.apply_line` with abbreviations expanded (the one
place config changes); `unsim` marks a real command the lab does not simulate (the session
says so, and changes nothing); `show.*` and `clear.*` are handled in show.py and
actions.py; the rest are mode changes handled by the session. Help texts are our own
one-liners [U]: close to the ASA's wording, not captured from a device.
"""

from __future__ import annotations

from ..asaconfig import (
    DPD_RETRY_RANGE,
    DPD_THRESHOLD_RANGE,
    IKE_LIFETIME_MIN_S,
    IPSEC_LIFETIME_KB_MIN,
    IPSEC_LIFETIME_MAX_S,
    IPSEC_LIFETIME_MIN_S,
    LOG_LEVELS,
)
from . import tooltree
from .grammar import HMS, INT, IP, LINE, WORD, Node, arg, kw

CONFIG, UNSIM = "config", "unsim"

LEVEL_HELP = (
    "System is unusable",
    "Immediate action needed",
    "Critical conditions",
    "Error conditions",
    "Warning conditions",
    "Normal but significant conditions",
    "Informational messages",
    "Debugging messages",
)


def rest(action: str = UNSIM, label: str = "LINE", help: str = "Rest of the command") -> Node:
    return arg(LINE, label, help, action=action)


def unsim(word: str, help: str, *, bare: bool = True) -> Node:
    """A real command the lab keeps out of its model: any tail, answered plainly."""
    return kw(word, help, rest(), action=UNSIM if bare else None)


def levels(action: str) -> list[Node]:
    nodes = [
        kw(name, f"{LEVEL_HELP[i]} (severity={i})", action=action)
        for i, name in enumerate(LOG_LEVELS)
    ]
    nodes.append(arg(INT, "", "Enter syslog level (0 - 7)", action=action, lo=0, hi=7))
    return nodes


def word(label: str, help: str, *children: Node, action: str | None = CONFIG) -> Node:
    return arg(WORD, label, help, *children, action=action)


def ip(help: str, *children: Node, action: str | None = None) -> Node:
    return arg(IP, "A.B.C.D", help, *children, action=action)


# -- show and clear (privileged EXEC; usable in every config mode too, as on the ASA) ----

RUN_SECTIONS = (
    ("access-list", "Show configured access control elements"),
    ("crypto", "Show crypto configuration"),
    ("domain-name", "Show domain name"),
    ("hostname", "Show the host name"),
    ("interface", "Show interface configuration"),
    ("logging", "Show logging configuration"),
    ("route", "Show static routes"),
    ("service", "Show service configuration"),
    ("sysopt", "Show system options"),
    ("timeout", "Show timeout configuration"),
    ("tunnel-group", "Show tunnel-group configuration"),
)

SHOW_UNSIM = (
    ("access-list", "Show hit counters for access policies"),
    ("arp", "Show the ARP table"),
    ("blocks", "Show system buffer utilization"),
    ("capture", "Show packet capture information"),
    ("cpu", "Show CPU usage"),
    ("failover", "Show failover status"),
    ("flash", "Show the flash file system"),
    ("history", "Show the session command history"),
    ("memory", "Show system memory utilization"),
    ("nat", "Show NAT policy"),
    ("processes", "Show active processes"),
    ("route", "Show the routing table"),
    ("service-policy", "Show service policies"),
    ("startup-config", "Show the startup configuration"),
    ("tech-support", "Show system information for Cisco technical support"),
    ("threat-detection", "Show threat detection statistics"),
    ("traffic", "Show interface transmit/receive activity"),
    ("xlate", "Show current translation information"),
)


def run_sections() -> list[Node]:
    """The `show running-config [all]` sections; some take a name (interface, ACL, group)."""
    crypto_parts = [
        kw(w, h, action="show.run")
        for w, h in (
            ("ikev1", "Show IKEv1 configuration (8.4 and later)"),
            ("ikev2", "Show IKEv2 configuration (8.4 and later)"),
            ("ipsec", "Show IPsec configuration"),
            ("isakmp", "Show ISAKMP configuration"),
            ("map", "Show crypto map configuration"),
        )
    ]
    named = {
        "access-list": arg(WORD, "WORD", "Access list name", action="show.run"),
        "interface": arg(WORD, "WORD", "Interface name or nameif", action="show.run"),
        "tunnel-group": arg(WORD, "WORD", "Tunnel group name", action="show.run"),
    }
    nodes = []
    for w, h in RUN_SECTIONS:
        node = kw(w, h, action="show.run")
        if w in named:
            node.add(named[w])
        if w == "crypto":
            node.add(*crypto_parts)
        nodes.append(node)
    return nodes


def conn_options() -> list[Node]:
    """`show conn` options; they combine in any order, each once (checked in show.py)."""
    options: list[Node] = []
    port = arg(INT, "", "Port number", action="show.conn", lo=0, hi=65535)
    mask = ip("Netmask", action="show.conn")
    address = ip("IP address", kw("netmask", "Netmask of the address", mask), action="show.conn")
    ends = [
        kw("all", "Show all connections, to-the-box ones too", action="show.conn"),
        kw("detail", "Show connections in detail, with the flag legend", action="show.conn"),
        kw("long", "Show connections in long format", action="show.conn"),
        kw("tcp", "TCP connections", action="show.conn"),
        kw("udp", "UDP connections", action="show.conn"),
        address,
        mask,
        port,
    ]
    options += [
        ends[0],
        ends[1],
        ends[2],
        kw("address", "Connections to or from an address", address),
        kw("port", "Connections to or from a port", port),
        kw("protocol", "Connections of one protocol", ends[3], ends[4]),
    ]
    for end in ends:
        end.children.extend(options)  # the option list repeats after each option
    return options


def show_tree() -> Node:
    sections = run_sections()
    run_all = kw(
        "all", "Show the running configuration with defaults", *sections, action="show.run"
    )
    running = kw("running-config", "Show the current operating configuration", run_all)
    running.add(*sections)
    running.action = "show.run"
    detail_ctx = kw("detail", "Show the detail of each VPN context", action="show.vpnctx")
    asp = kw(
        "asp",
        "Show accelerated security path information",
        kw(
            "table",
            "Show accelerated security path tables",
            kw("vpn-context", "Show VPN context table", detail_ctx, action="show.vpnctx"),
        ),
        kw(
            "drop",
            "Show accelerated security path drop counters",
            kw("frame", "Show frame drop counters", action="show.aspdrop"),
            kw("flow", "Show flow drop counters", action="show.aspdrop"),
            action="show.aspdrop",
        ),
    )
    conn = kw(
        "conn",
        "Show connection information",
        kw("count", "Show the number of connections in use", action="show.conn"),
        *conn_options(),
        action="show.conn",
    )
    ike_sa = kw(
        "sa",
        "Show IKE security associations",
        kw("detail", "Show IKE SAs in detail", action="show.isakmp"),
        action="show.isakmp",
    )
    ipsec_sa = kw(
        "sa",
        "Show IPsec security associations",
        kw("peer", "Only the SAs of one peer", ip("Peer IP address", action="show.ipsec")),
        kw("detail", "Show IPsec SAs in detail", action="show.ipsec"),
        action="show.ipsec",
    )
    crypto = kw(
        "crypto",
        "Show crypto information",
        kw(
            "isakmp",
            "Show ISAKMP (IKEv1) information",
            ike_sa,
            kw("stats", "IKE statistics", action="show.ikestats"),
        ),
        kw("ikev1", "Show IKEv1 information", ike_sa),
        kw(
            "ikev2",
            "Show IKEv2 information",
            kw(
                "sa",
                "Show IKEv2 security associations",
                kw("detail", "Show IKEv2 SAs in detail", action="show.ikev2"),
                action="show.ikev2",
            ),
        ),
        kw("ipsec", "Show IPsec information", ipsec_sa),
        unsim("ca", "Show certificate authority information"),
    )
    sessiondb = kw(
        "vpn-sessiondb",
        "Show VPN session database",
        kw("l2l", "LAN-to-LAN sessions", action="show.sessiondb"),
        kw(
            "detail",
            "Show sessions in detail",
            kw("l2l", "LAN-to-LAN sessions", action="show.sessiondb"),
        ),
        kw("summary", "Show a session summary", action="show.vpnsummary"),
        kw("anyconnect", "AnyConnect sessions", action="show.anyconnect"),
        kw("remote", "Remote access sessions", action="show.remote"),
        kw("ra-ikev1-ipsec", "IKEv1 IPsec remote access sessions", action="show.remote"),
    )
    interface = kw(
        "interface",
        "Show interface status and statistics",
        kw(
            "ip",
            "Show interface IP information",
            kw("brief", "Brief summary", action="show.ifbrief"),
        ),
        rest(),
        action=UNSIM,
    )
    return kw(
        "show",
        "Show running system information",
        asp,
        kw("clock", "Show the system clock", action="show.clock"),
        conn,
        crypto,
        interface,
        kw("logging", "Show the logging buffer and settings", action="show.logging"),
        running,
        kw("version", "Show the software version and uptime", action="show.version"),
        sessiondb,
        *[unsim(w, h) for w, h in SHOW_UNSIM if w not in tooltree.SHOW_NAMES],
        *tooltree.show_nodes(),
    )


def user_show_tree() -> Node:
    return kw(
        "show",
        "Show running system information",
        kw("clock", "Show the system clock", action="show.clock"),
        kw("version", "Show the software version and uptime", action="show.version"),
    )


def clear_tree() -> Node:
    ike_sa = kw(
        "sa",
        "Clear IKE SAs (and the IPsec SAs they negotiated)",
        ip("Peer IP address", action="clear.isakmp"),
        action="clear.isakmp",
    )
    return kw(
        "clear",
        "Reset functions",
        kw(
            "asp",
            "Clear accelerated security path counters",
            kw("drop", "Clear drop counters", action="clear.aspdrop"),
        ),
        unsim("configure", "Clear the configuration", bare=False),
        kw(
            "conn",
            "Clear connections",
            kw(
                "address",
                "Connections to or from an address",
                ip("IP address", action="clear.conn"),
            ),
            action="clear.conn",
        ),
        kw(
            "crypto",
            "Clear crypto state",
            kw(
                "ipsec",
                "Clear IPsec state",
                kw(
                    "sa",
                    "Clear IPsec security associations",
                    kw("peer", "The SAs of one peer", ip("Peer IP address", action="clear.ipsec")),
                    kw(
                        "map",
                        "The SAs of one crypto map",
                        word("WORD", "Crypto map name", action="clear.ipsec"),
                    ),
                    kw(
                        "entry",
                        "One SA (and its sibling) by peer, protocol and SPI",
                        ip(
                            "Peer IP address",
                            kw(
                                "esp",
                                "Encapsulating Security Payload",
                                word("WORD", "SPI, decimal or 0x hex", action="clear.ipsec"),
                            ),
                            kw(
                                "ah",
                                "Authentication Header",
                                word("WORD", "SPI, decimal or 0x hex", action="clear.ipsec"),
                            ),
                        ),
                    ),
                    kw("counters", "Zero the SA counters", action="clear.ipsec"),
                    action="clear.ipsec",
                ),
            ),
            kw("isakmp", "Clear ISAKMP state", ike_sa),
            kw("ikev1", "Clear IKEv1 state", ike_sa),
            kw("ikev2", "Clear IKEv2 state", ike_sa),
        ),
        kw(
            "logging",
            "Clear logging state",
            kw("buffer", "Clear the logging buffer", action="clear.logbuf"),
        ),
        unsim("xlate", "Clear translations"),
        unsim("arp", "Clear the ARP table"),
    )


EXEC_UNSIM = (
    ("capture", "Capture packets"),
    ("copy", "Copy files"),
    ("debug", "Debugging functions"),
    ("packet-tracer", "Trace a packet through the box"),
    ("ping", "Send echo messages"),
    ("reload", "Reload the device"),
    ("terminal", "Set terminal line parameters"),
    ("traceroute", "Trace the route to a destination"),
    ("write", "Write the running configuration"),
)


def exec_tree(privileged: bool) -> Node:
    root = Node("")
    leave = [
        kw("exit", "Exit from the EXEC", action="logout"),
        kw("logout", "Exit from the EXEC", action="logout"),
        kw("quit", "Exit from the EXEC", action="logout"),
        kw("enable", "Turn on privileged commands", action="enable"),
    ]
    if not privileged:
        return root.add(
            *leave,
            user_show_tree(),
            unsim("ping", "Send echo messages"),
            unsim("traceroute", "Trace the route"),
        )
    return root.add(
        *leave,
        kw("disable", "Turn off privileged commands", action="disable"),
        kw(
            "configure",
            "Configure from the terminal",
            kw("terminal", "Configure from the terminal", action="configure"),
            unsim("memory", "Configure from memory"),
            unsim("net", "Configure from a TFTP server"),
            unsim("factory-default", "Restore the factory default configuration"),
        ),
        show_tree(),
        clear_tree(),
        *[unsim(w, h) for w, h in EXEC_UNSIM if w not in tooltree.EXEC_NAMES],
        *tooltree.exec_nodes(),
    )


# -- configuration modes -----------------------------------------------------------------


def _timeout() -> Node:
    modelled = (
        ("conn", "Idle time after which a connection closes"),
        ("half-closed", "Idle time after which a half-closed connection closes"),
        ("udp", "Idle time after which a UDP connection closes"),
        ("icmp", "Idle time after which an ICMP connection closes"),
    )
    others = (
        "floating-conn",
        "h225",
        "h323",
        "mgcp",
        "mgcp-pat",
        "pat-xlate",
        "sip",
        "sip-disconnect",
        "sip-invite",
        "sip-provisional-media",
        "sip_media",
        "sunrpc",
        "tcp-proxy-reassembly",
        "uauth",
        "xlate",
    )
    options: list[Node] = []
    for name, help in modelled + tuple((o, f"The {o} timeout") for o in others):
        value = arg(HMS, "hh:mm:ss", "Timeout, 0:0:0 means never", action=CONFIG)
        value.children = options  # the options repeat: timeout conn X half-closed Y ...
        if name == "uauth":
            value.children = [
                *options,
                kw("absolute", "Absolute timeout", action=CONFIG),
                kw("inactivity", "Inactivity timeout", action=CONFIG),
            ]
        options.append(kw(name, help, value))
    node = kw("timeout", "Configure maximum idle times")
    node.children = options
    return node


def _logging() -> Node:
    def level_kw(name: str, help: str) -> Node:
        return kw(name, help, *levels(CONFIG), no_end=True)

    return kw(
        "logging",
        "Configure logging levels, recipients and other options",
        kw("enable", "Enable logging to all output locations", action=CONFIG),
        kw("timestamp", "Add a timestamp to each message", action=CONFIG),
        level_kw("buffered", "Set the internal buffer logging level"),
        level_kw("console", "Set the console logging level"),
        level_kw("trap", "Set the syslog server logging level"),
        kw(
            "buffer-size",
            "Size of the internal logging buffer",
            arg(INT, "", "Buffer size in bytes", action=CONFIG, lo=4096, hi=52_428_800),
            no_end=True,
        ),
        *[
            unsim(w, f"Configure logging {w}", bare=False)
            for w in ("asdm", "device-id", "facility", "history", "host", "list", "mail", "monitor")
        ],
    )


def _crypto() -> Node:
    lifetime = kw(
        "lifetime",
        "Set the security association lifetime",
        kw(
            "seconds",
            "Lifetime in seconds",
            arg(
                INT, "", "Seconds", action=CONFIG, lo=IPSEC_LIFETIME_MIN_S, hi=IPSEC_LIFETIME_MAX_S
            ),
        ),
        kw(
            "kilobytes",
            "Lifetime in kilobytes",
            arg(
                INT,
                "",
                "Kilobytes",
                action=CONFIG,
                lo=IPSEC_LIFETIME_KB_MIN,
                hi=IPSEC_LIFETIME_MAX_S,
            ),
        ),
    )
    auth = [
        kw(a, h, action=CONFIG)
        for a, h in (
            ("esp-md5-hmac", "ESP transform using HMAC-MD5 auth"),
            ("esp-none", "ESP transform with no authentication"),
            ("esp-sha-hmac", "ESP transform using HMAC-SHA auth"),
        )
    ]
    encryption = [
        kw(e, f"ESP transform using {h} cipher", *auth, action=CONFIG)
        for e, h in (
            ("esp-3des", "3DES"),
            ("esp-aes", "AES-128"),
            ("esp-aes-192", "AES-192"),
            ("esp-aes-256", "AES-256"),
            ("esp-des", "DES"),
            ("esp-null", "null"),
        )
    ]
    peers = ip("IP address of the peer", action=CONFIG)
    peers.children = [peers]
    sets = word("WORD", "Transform set name")
    sets.children = [sets]
    props = word("WORD", "IPsec proposal name")
    props.children = [props]
    entry = arg(
        INT,
        "",
        "Sequence number",
        kw(
            "match", "Match values", kw("address", "Match an access list", word("WORD", "ACL name"))
        ),
        kw(
            "set",
            "Set values",
            kw("peer", "Set the peer address", peers),
            kw("transform-set", "Set the transform sets", sets),
            kw("ikev1", "IKEv1 settings", kw("transform-set", "Set the transform sets", sets)),
            kw("ikev2", "IKEv2 settings", kw("ipsec-proposal", "Set the IPsec proposals", props)),
            kw("security-association", "Set SA parameters", lifetime),
            kw(
                "pfs",
                "Perfect forward secrecy",
                *[kw(f"group{g}", f"Diffie-Hellman group {g}", action=CONFIG) for g in (1, 2, 5)],
                action=CONFIG,
            ),
            *[
                unsim(w, f"Set {w}", bare=False)
                for w in ("connection-type", "nat-t-disable", "phase1-mode", "reverse-route")
            ],
        ),
        unsim("ipsec-isakmp", "Dynamic crypto map entry", bare=False),
        lo=1,
        hi=65535,
    )
    crypto_map = kw(
        "map",
        "Configure a crypto map",
        word(
            "WORD",
            "Crypto map name",
            kw("interface", "Apply the map to an interface", word("WORD", "Interface nameif")),
            entry,
            action=None,
        ),
    )
    ike = [
        kw("enable", "Enable IKE on an interface", word("WORD", "Interface nameif")),
        kw(
            "policy",
            "Set an IKE policy",
            arg(
                INT, "", "Policy priority", *isakmp_policy_commands(), action=CONFIG, lo=1, hi=65535
            ),
        ),
        *[
            unsim(w, f"Configure IKE {w}")
            for w in (
                "am-disable",
                "disconnect-notify",
                "identity",
                "ipsec-over-tcp",
                "nat-traversal",
            )
        ],
    ]
    ipsec = kw(
        "ipsec",
        "Configure IPsec",
        kw(
            "transform-set",
            "Define a transform set",
            word("WORD", "Transform set name", *encryption, action=None),
        ),
        kw(
            "security-association",
            "Global SA parameters",
            lifetime,
            unsim("replay", "Anti-replay window", bare=False),
        ),
        unsim("df-bit", "DF bit policy", bare=False),
        unsim("fragmentation", "Fragmentation policy", bare=False),
        unsim("ikev1", "IKEv1 transform sets (8.4 and later)", bare=False),
        kw(
            "ikev2",
            "IKEv2 settings (8.4 and later)",
            kw("ipsec-proposal", "Define an IPsec proposal", word("WORD", "Proposal name")),
        ),
    )
    ikev2 = kw(
        "ikev2",
        "Configure IKEv2 (8.4 and later)",
        kw("enable", "Enable IKEv2 on an interface", word("WORD", "Interface nameif")),
        kw(
            "policy",
            "Set an IKEv2 policy",
            arg(INT, "", "Policy priority", action=CONFIG, lo=1, hi=65535),
        ),
    )
    return kw(
        "crypto",
        "Configure IPsec, ISAKMP, certification authority, key",
        kw("isakmp", "Configure ISAKMP (IKEv1)", *ike),
        kw("ikev1", "Configure IKEv1", *ike),
        ikev2,
        ipsec,
        crypto_map,
        *[unsim(w, f"Configure crypto {w}", bare=False) for w in ("ca", "dynamic-map", "key")],
    )


def _values(help: str) -> Node:
    """One or more words (the applier checks each against the keywords it knows)."""
    node = word("WORD", help)
    node.children = [node]
    return node


def ikev2_policy_commands() -> list[Node]:
    """`crypto ikev2 policy N` sub-mode (Cisco 115935's ASA configuration)."""
    groups = arg(INT, "", "Diffie-Hellman group", action=CONFIG, lo=1, hi=24)
    groups.children = [groups]
    return [
        kw("encryption", "Set the encryption algorithms", _values("aes-256, aes, 3des...")),
        kw("integrity", "Set the integrity algorithms", _values("sha, sha256, md5...")),
        kw("prf", "Set the pseudo-random functions", _values("sha, sha256, md5...")),
        kw("group", "Set the Diffie-Hellman groups", groups),
        kw(
            "lifetime",
            "Set the IKEv2 SA lifetime",
            kw(
                "seconds",
                "In seconds",
                arg(INT, "", "Seconds", action=CONFIG, lo=120, hi=2**31 - 1),
            ),
        ),
    ]


def ikev2_proposal_commands() -> list[Node]:
    """`crypto ipsec ikev2 ipsec-proposal NAME` sub-mode."""
    return [
        kw(
            "protocol",
            "Set the protocol",
            kw(
                "esp",
                "ESP",
                kw("encryption", "Encryption algorithms", _values("aes-256, aes, 3des...")),
                kw("integrity", "Integrity algorithms", _values("sha-1, sha-256, md5...")),
            ),
        )
    ]


def isakmp_policy_commands() -> list[Node]:
    return [
        kw(
            "authentication",
            "Set the authentication method",
            *[
                kw(a, h, action=CONFIG)
                for a, h in (
                    ("crack", "CRACK"),
                    ("pre-share", "Pre-shared keys"),
                    ("rsa-sig", "RSA signatures"),
                )
            ],
        ),
        kw(
            "encryption",
            "Set the encryption algorithm",
            *[
                kw(e, f"{e} encryption", action=CONFIG)
                for e in ("3des", "aes", "aes-192", "aes-256", "des")
            ],
        ),
        kw(
            "group",
            "Set the Diffie-Hellman group",
            *[kw(str(g), f"Diffie-Hellman group {g}", action=CONFIG) for g in (1, 2, 5, 7)],
        ),
        kw(
            "hash",
            "Set the hash algorithm",
            *[kw(h, f"{h.upper()} hash", action=CONFIG) for h in ("md5", "sha")],
        ),
        kw(
            "lifetime",
            "Set the IKE SA lifetime",
            kw("0", "[U] Never expire: no phase 1 rekey (seed)", action=CONFIG),
            arg(
                INT,
                "",
                "Lifetime in seconds",
                action=CONFIG,
                lo=IKE_LIFETIME_MIN_S,
                hi=IPSEC_LIFETIME_MAX_S,
            ),
            no_end=True,
        ),
    ]


def _tunnel_group() -> Node:
    return kw(
        "tunnel-group",
        "Create and manage tunnel groups",
        word(
            "WORD",
            "Tunnel group name (the peer address for LAN-to-LAN)",
            kw(
                "type",
                "Set the tunnel group type",
                *[
                    kw(t, f"{t} tunnel group", action=CONFIG)
                    for t in ("ipsec-l2l", "ipsec-ra", "remote-access", "webvpn")
                ],
            ),
            kw("ipsec-attributes", "Enter the IPsec attributes sub-mode", action=CONFIG),
            kw("general-attributes", "Enter the general attributes sub-mode", action=CONFIG),
            unsim("webvpn-attributes", "Enter the WebVPN attributes sub-mode"),
            action=None,
        ),
    )


TOP_UNSIM = (
    ("aaa", "Authentication, authorization and accounting"),
    ("aaa-server", "AAA server groups"),
    ("access-group", "Bind an access list to an interface"),
    ("arp", "ARP table entries"),
    ("asdm", "ASDM settings"),
    ("banner", "Login banners"),
    ("boot", "Boot image"),
    ("class-map", "Traffic classes"),
    ("clock", "System clock settings"),
    ("console", "Console settings"),
    ("dhcpd", "DHCP server"),
    ("dns", "DNS settings"),
    ("dynamic-access-policy-record", "Dynamic access policies"),
    ("failover", "Failover"),
    ("ftp", "FTP client settings"),
    ("global", "Global address pools (NAT)"),
    ("group-policy", "Group policies"),
    ("http", "HTTP server (ASDM)"),
    ("icmp", "ICMP rules for the box"),
    ("ip", "IP settings (local pools, verify)"),
    ("mtu", "Interface MTU"),
    ("name", "Name an address"),
    ("names", "Enable name translation"),
    ("nat", "Address translation"),
    ("nat-control", "NAT control"),
    ("ntp", "NTP"),
    ("object", "Network and service objects"),
    ("object-group", "Object groups"),
    ("pager", "Terminal pager"),
    ("passwd", "Login password"),
    ("policy-map", "Policy maps"),
    ("prompt", "Prompt format"),
    ("same-security-traffic", "Traffic between same-security interfaces"),
    ("service-policy", "Apply a policy map"),
    ("snmp-server", "SNMP"),
    ("ssh", "SSH access"),
    ("static", "Static translations"),
    ("telnet", "Telnet access"),
    ("threat-detection", "Threat detection"),
    ("username", "Local user database"),
    ("webvpn", "WebVPN"),
)


def _sysopt() -> Node:
    return kw(
        "sysopt",
        "Set system functional options",
        kw(
            "connection",
            "Connection options",
            kw(
                "permit-vpn",
                "Let decrypted VPN traffic bypass interface access lists",
                action=CONFIG,
            ),
            kw(
                "preserve-vpn-flows",
                "Preserve stateful VPN flows across tunnel drops",
                action=CONFIG,
            ),
            kw(
                "reclassify-vpn",
                "Reclassify existing flows when a VPN tunnel comes up",
                action=CONFIG,
            ),
            kw(
                "tcpmss",
                "Maximum segment size for TCP",
                arg(INT, "", "Bytes", action=CONFIG, lo=48, hi=65535),
                unsim("minimum", "Minimum segment size", bare=False),
                no_end=True,
            ),
            unsim("timewait", "Keep TCP connections in TIME_WAIT"),
        ),
        unsim("nodnsalias", "DNS alias options", bare=False),
        unsim("noproxyarp", "Disable proxy ARP on an interface", bare=False),
        unsim("radius", "RADIUS options", bare=False),
    )


def config_commands() -> list[Node]:
    """Top-level configuration commands (without `no`, `do`, `exit`, show and clear)."""
    return [
        kw("hostname", "Set the system host name", word("WORD", "Host name")),
        kw("domain-name", "Set the default domain name", word("WORD", "Domain name")),
        kw(
            "enable",
            "Configure the privileged EXEC password",
            kw(
                "password",
                "The password",
                word(
                    "WORD", "Password", kw("encrypted", "The password is encrypted", action=CONFIG)
                ),
            ),
        ),
        kw("interface", "Configure an interface", word("WORD", "Interface name, e.g. Ethernet0/1")),
        kw(
            "route",
            "Configure a static route",
            word(
                "WORD",
                "Interface nameif",
                ip(
                    "Destination network",
                    ip(
                        "Netmask",
                        ip(
                            "Gateway",
                            arg(INT, "", "Distance metric", action=CONFIG, lo=1, hi=255),
                            action=CONFIG,
                        ),
                    ),
                ),
                action=None,
            ),
        ),
        kw(
            "access-list",
            "Configure an access control element",
            word("WORD", "Access list name", rest(CONFIG, "LINE", "The entry"), action=None),
        ),
        _sysopt(),
        _timeout(),
        _logging(),
        kw(
            "service",
            "Configure system services",
            kw("resetinbound", "Reset denied inbound TCP", action=CONFIG),
            kw("resetoutbound", "Reset denied outbound TCP", action=CONFIG),
            kw("resetoutside", "Reset denied TCP to the outside interface", action=CONFIG),
            unsim("password-recovery", "Password recovery"),
        ),
        _crypto(),
        _tunnel_group(),
        *[unsim(w, h) for w, h in TOP_UNSIM],
    ]


def interface_commands() -> list[Node]:
    return [
        kw("nameif", "Name this interface", word("WORD", "Interface name")),
        kw(
            "security-level",
            "Set the security level",
            arg(INT, "", "Security level", action=CONFIG, lo=0, hi=100),
        ),
        kw(
            "ip",
            "Configure IP parameters",
            kw(
                "address",
                "Set the IP address",
                ip("IP address", ip("Netmask", unsim("standby", "Standby address"), action=CONFIG)),
            ),
        ),
        kw("shutdown", "Shut down the interface", action=CONFIG),
        *[
            unsim(w, h)
            for w, h in (
                ("description", "Interface description"),
                ("duplex", "Duplex mode"),
                ("management-only", "Management traffic only"),
                ("speed", "Interface speed"),
                ("vlan", "VLAN of a subinterface"),
            )
        ],
    ]


def tunnel_ipsec_commands() -> list[Node]:
    threshold = arg(
        INT,
        "",
        "Seconds of silence before the first R-U-THERE",
        lo=DPD_THRESHOLD_RANGE[0],
        hi=DPD_THRESHOLD_RANGE[1],
    )
    retry = kw(
        "retry",
        "Seconds between R-U-THERE retries",
        arg(INT, "", "Seconds", action=CONFIG, lo=DPD_RETRY_RANGE[0], hi=DPD_RETRY_RANGE[1]),
    )
    threshold.add(retry)
    infinite = kw("infinite", "Never send keepalives, answer only", retry)
    return [
        kw("pre-shared-key", "Set the pre-shared key", word("WORD", "The key")),
        kw(
            "ikev1",
            "IKEv1 settings (8.4 and later)",
            kw("pre-shared-key", "Set the pre-shared key", word("WORD", "The key")),
        ),
        kw(
            "ikev2",
            "IKEv2 settings (8.4 and later)",
            *[
                kw(
                    f"{side}-authentication",
                    f"How this end {verb}",
                    kw("pre-shared-key", "A pre-shared key", word("WORD", "The key")),
                    unsim("certificate", "A certificate", bare=False),
                )
                for side, verb in (("remote", "checks the peer"), ("local", "proves itself"))
            ],
        ),
        kw(
            "isakmp",
            "ISAKMP settings",
            kw(
                "keepalive",
                "Dead peer detection",
                kw("threshold", "Keepalive threshold", threshold, infinite),
                kw("disable", "Disable dead peer detection", action=CONFIG),
                no_end=True,
            ),
            unsim("ikev1-user-authentication", "User authentication"),
        ),
        *[unsim(w, f"Set {w}") for w in ("chain", "peer-id-validate", "trust-point")],
    ]


def tunnel_general_commands() -> list[Node]:
    return [
        unsim(w, f"Set {w}")
        for w in ("address-pool", "authentication-server-group", "default-group-policy")
    ]


SUBMODE_COMMANDS = {
    "if": interface_commands,
    "isakmp-policy": isakmp_policy_commands,
    "tunnel-ipsec": tunnel_ipsec_commands,
    "tunnel-general": tunnel_general_commands,
    "ikev2-policy": ikev2_policy_commands,
    "ikev2-proposal": ikev2_proposal_commands,
}


def config_tree(kind: str) -> Node:
    """The root of a configuration mode: its own commands, `no`, `do`, exit/end, show."""
    commands = config_commands() if kind == "config" else SUBMODE_COMMANDS[kind]()
    root = Node("")
    no = kw("no", "Negate a command or set its defaults")
    no.children = list(commands)
    return root.add(
        *commands,
        no,
        kw("do", "Run an EXEC command", rest("do", "LINE", "The EXEC command")),
        kw("exit", "Exit from this mode", action="exit"),
        kw("end", "Exit from configuration mode", action="end"),
        show_tree(),
        clear_tree(),
        unsim("write", "Write the running configuration"),
        unsim("copy", "Copy files"),
    )


PIPE = kw(
    "|",
    "Output modifiers",
    *[
        kw(w, h, rest(w, "LINE", "Regular expression"))
        for w, h in (
            ("begin", "Begin with the line that matches"),
            ("exclude", "Exclude lines that match"),
            ("grep", "Include lines that match (-v: exclude)"),
            ("include", "Include lines that match"),
        )
    ],
)
