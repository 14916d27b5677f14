"""Packet capture export (lab/engine/pcap.py), checked by tshark (Debian's wireshark).

Every capture goes through the real dissectors: no malformed packets, checksums good,
retransmissions flagged by TCP analysis, ESP decrypted with the exported esp_sa file
(installed in a throwaway Wireshark config dir) with good ICVs, and the decrypted stream
equal to the bytes the engine says were delivered.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from lab.engine import packets as P
from lab.engine import pcap
from lab.engine.esp import OutboundSa, esp_sa_file, seal, transform_of
from lab.engine.library import builtin_dict
from lab.engine.pcap import Capture, CaptureError, export, file_bytes
from lab.engine.spec import DEFAULT_START_CLOCK, parse_scenario

S = 1_000_000
SIZES = (0, 1, 100, 1380)
TSHARK = shutil.which("tshark") or "/usr/bin/tshark"
DECODE = [
    "-o",
    "esp.enable_encryption_decode:TRUE",
    "-o",
    "esp.enable_authentication_check:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-o",
    "tcp.relative_sequence_numbers:FALSE",
]


def capture(slug: str, link: str, a: float, b: float) -> Capture:
    return export(parse_scenario(builtin_dict(slug)), None, [], link, int(a * S), int(b * S))


BASE_US = pcap.clock_base_us(DEFAULT_START_CLOCK)  # packet times are dated like the syslog


def tshark(tmp: Path, cap: Capture, fields: list[str], *extra: str) -> list[list[str]]:
    """One row per frame: the fields, read with the capture's esp_sa file installed."""
    (tmp / "c.pcap").write_bytes(cap.pcap)
    conf = tmp / "conf" / "wireshark"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "esp_sa").write_text(cap.esp_sa)
    args = [
        TSHARK,
        "-r",
        str(tmp / "c.pcap"),
        *DECODE,
        *extra,
        "-T",
        "fields",
        "-E",
        "occurrence=a",
    ]
    for f in fields:
        args += ["-e", f]
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "conf"), "HOME": str(tmp)}
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def true(value: str) -> bool:
    """A boolean field as tshark prints it (1 in 4.0, True in later releases)."""
    return value in ("1", "True")


def expert_problems(rows: list[list[str]]) -> list[str]:
    """Expert items at warning level (0x00600000) or worse that are not the TCP analysis
    notes a capture starting mid-stream always has."""
    benign = ("not captured", "ACKed segment", "retransmission", "Duplicate ACK", "reset (RST)")
    bad = []
    for severity, message, malformed in rows:
        if malformed:
            bad.append("malformed: " + message)
        for sev, msg in zip(severity.split(","), message.split(","), strict=False):
            if sev and int(sev, 0) >= 0x00600000 and not any(b in msg for b in benign):
                bad.append(msg)
    return bad


EXPERT = ["_ws.expert.severity", "_ws.expert.message", "_ws.malformed"]


def test_tshark_is_installed() -> None:
    assert Path(TSHARK).exists(), "tshark missing: ./dev test installs Debian's tshark"


@pytest.mark.parametrize("link", ["bo-inside", "internet", "ho-inside"])
def test_every_frame_dissects_cleanly(tmp_path: Path, link: str) -> None:
    # the start (IKE, dropped SYN, handshake) and the outage of default-drop
    for a, b in ((0.5, 3.5), (119.5, 140)):
        cap = capture("default-drop", link, a, b)
        assert cap.packets > 0
        rows = tshark(tmp_path, cap, EXPERT)
        assert len(rows) == cap.packets
        assert expert_problems(rows) == []


@pytest.mark.parametrize("slug", ["default-drop", "preserve-both"])
def test_retransmissions_during_the_outage_are_flagged(tmp_path: Path, slug: str) -> None:
    cap = capture(slug, "ho-inside", 118, 178)
    rows = tshark(
        tmp_path, cap, ["frame.time_epoch", "ip.src"], "-Y", "tcp.analysis.retransmission"
    )
    flagged = sorted(round(float(t) * S) - BASE_US for t, src in rows if src == "10.1.1.10")
    sim = cap.recorder.sim
    engine = sorted(
        e["t_us"]
        for e in sim.loop.trace
        if e["type"] == "retransmit" and 118 * S <= e["t_us"] < 178 * S
    )
    assert len(engine) >= 6
    assert flagged == engine  # the server's retransmissions, at the engine's times
    # none of them got past the cut link: the BO side sees nothing of them
    bo = capture(slug, "bo-inside", 120.1, 178)
    assert tshark(tmp_path, bo, ["frame.number"], "-Y", "ip.src == 10.1.1.10") == []


def test_default_drop_ends_with_the_asa_reset(tmp_path: Path) -> None:
    cap = capture("default-drop", "ho-inside", 130, 140)
    rows = tshark(
        tmp_path, cap, ["ip.src", "tcp.flags.reset", "tcp.srcport"], "-Y", "tcp.flags.reset == 1"
    )
    # 106015 + service resetinbound: HO-ASA resets the server in the client's name
    assert [(r[0], true(r[1]), r[2]) for r in rows] == [("10.0.0.100", True, "1135")]


def test_esp_decrypts_and_the_stream_is_what_the_engine_delivered(tmp_path: Path) -> None:
    cap = capture("preserve-both", "internet", 118, 121)
    rows = tshark(
        tmp_path,
        cap,
        ["esp.spi", "esp.icv_good", "ip.src", "tcp.seq", "tcp.len", "tcp.payload"],
        "-o",
        "tcp.desegment_tcp_streams:FALSE",
    )
    assert rows and all(r[0] and true(r[1]) for r in rows)  # all ESP, ICV good
    assert all(r[2].split(",")[0] in ("209.165.200.10", "209.165.201.2") for r in rows)
    data = [r for r in rows if r[2].endswith("10.1.1.10") and int(r[4]) > 0]
    sim = cap.recorder.sim
    attempt = sim.flows["download"].current
    delivered = attempt.transferred(120 * S)  # the engine: stalled at 120 s with this many
    model = pcap.TcpModel(sim, "download", pcap.attempt_logs(cap.recorder)["download"][0],
                          pcap.PathInfo(sim, sim.flows["download"].c2s),
                          pcap.PathInfo(sim, sim.flows["download"].s2c), sim.seed)  # fmt: skip
    isn = model.sisn
    ends = []
    for _, _, _, seq, length, payload in data:
        offset = (int(seq) - isn - 1) % 2**32
        assert bytes.fromhex(payload) == file_bytes(offset, int(length))
        ends.append((offset, offset + int(length)))
    ends.sort()
    for (_, e1), (s2, _) in zip(ends, ends[1:], strict=False):
        assert s2 == e1  # contiguous: nothing missing inside the window
    assert ends[-1][1] == delivered
    assert delivered - ends[0][0] > 1_000_000  # ~2 s of a 9 Mbit/s flow


def test_spis_change_across_a_rekey(tmp_path: Path) -> None:
    cap = capture("long-haul", "internet", 3238, 3244)
    rows = tshark(
        tmp_path,
        cap,
        ["frame.time_epoch", "ip.src", "esp.spi", "esp.icv_good", "isakmp.exchangetype"],
    )
    quick = [float(r[0]) for r in rows if r[4] == "32"]
    assert len(quick) == 3  # quick mode only: the IKE SA lives on
    before = {r[2] for r in rows if r[2] and float(r[0]) < quick[0]}
    after = {r[2] for r in rows if r[2] and float(r[0]) > quick[-1] + 0.03}
    assert len(before) == 2 and len(after) == 2 and not before & after
    assert all(true(r[3]) for r in rows if r[2])
    assert len(cap.sas) == 4 and len(cap.esp_sa.strip().splitlines()) == 2 + 4
    assert {f"0x{sa.spi:08x}" for sa in cap.sas} == before | after


def test_ike_main_mode_then_quick_mode(tmp_path: Path) -> None:
    cap = capture("preserve-both", "internet", 190, 200)  # HO re-initiates after the outage
    rows = tshark(
        tmp_path,
        cap,
        [
            "ip.src",
            "udp.port",
            "isakmp.exchangetype",
            "isakmp.ispi",
            "isakmp.rspi",
            "isakmp.typepayload",
            "isakmp.flag_e",
        ],  # fmt: skip
        "-Y",
        "isakmp",
    )
    assert [r[2] for r in rows] == ["2"] * 6 + ["32"] * 3
    assert rows[0][0] == "209.165.200.10"  # the initiator is the side that had traffic
    assert {r[3] for r in rows} == {rows[0][3]}  # one initiator cookie
    assert set(rows[0][4]) == {"0"} and len({r[4] for r in rows[1:]}) == 1
    assert "4" in rows[2][5].split(",") and "10" in rows[2][5].split(",")  # KE + nonce
    assert [true(r[6]) for r in rows] == [False] * 4 + [True] * 5
    keys = cap.recorder.ike["bo-ho"][-1].keys
    assert rows[0][3] == keys.cookie_i.hex()


def test_overlapping_windows_number_esp_alike(tmp_path: Path) -> None:
    fields = ["frame.time_epoch", "esp.spi", "esp.sequence", "tcp.seq", "tcp.ack"]
    first = tshark(tmp_path, capture("short-blip", "internet", 200, 204), fields)
    second = tshark(tmp_path, capture("short-blip", "internet", 202, 206), fields)
    common = [r for r in first if float(r[0]) >= 202 + BASE_US / S]
    assert common and common == second[: len(common)]


def test_udp_and_clear_traffic(tmp_path: Path) -> None:
    # reclassify-vpn: the monitor stream leaves BO in clear before the crypto map exists
    cap = capture("reclassify-vpn", "internet", 5, 10)
    rows = tshark(tmp_path, cap, ["ip.src", "ip.dst", "udp.dstport", "esp.spi", "syslog.msg"])
    assert rows and all(r[:4] == ["10.0.0.100", "10.1.1.10", "514", ""] for r in rows)
    assert tshark(tmp_path, capture("reclassify-vpn", "ho-inside", 5, 10), ["frame.number"]) == []
    # udp-stream: during the cut the datagrams stop at the BO side
    cut = capture("udp-stream", "bo-inside", 150, 152)
    rows = tshark(tmp_path, cut, ["udp.dstport"], "-Y", "udp")
    assert len(rows) == pytest.approx(
        2 * 1_000_000 / 8 / cut.recorder.sim.flows["stream"].mss, abs=2
    )
    assert capture("udp-stream", "internet", 150, 152).packets == 0


def test_deterministic() -> None:
    a = capture("default-drop", "internet", 1, 3)
    b = capture("default-drop", "internet", 1, 3)
    assert a.pcap == b.pcap and a.esp_sa == b.esp_sa


def test_the_window_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CaptureError, match="at most 60 s"):
        capture("default-drop", "internet", 0, 61)
    with pytest.raises(CaptureError, match="no link 'wan'"):
        capture("default-drop", "wan", 0, 1)
    with pytest.raises(CaptureError, match="end after it starts"):
        capture("default-drop", "internet", 5, 5)
    monkeypatch.setattr(pcap, "MAX_PACKETS", 1000)
    with pytest.raises(CaptureError, match="more than 1000 packets"):
        capture("default-drop", "internet", 10, 12)


@pytest.mark.parametrize(
    ("names", "key", "auth"),
    [
        (("esp-3des", "esp-md5-hmac"), 24, 16),
        (("esp-aes", "esp-sha-hmac"), 16, 20),
        (("esp-aes-192", "esp-md5-hmac"), 24, 16),
        (("esp-aes-256", "esp-sha-256-hmac"), 32, 32),
        (("esp-aes", "esp-sha-512-hmac"), 16, 64),
    ],
)
def test_other_transforms_decrypt(
    tmp_path: Path, names: tuple[str, ...], key: int, auth: int
) -> None:
    sa = OutboundSa(0x1234ABCD, "209.165.201.2", "209.165.200.10", transform_of(names),
                    bytes(range(key)), bytes(range(100, 100 + auth)))  # fmt: skip
    src, dst = P.ip4("10.0.0.100"), P.ip4("10.1.1.10")
    segments = [P.tcp_segment(src, dst, 1135, 80, 7, 9, P.ACK, 100, b"x" * n) for n in SIZES]
    inners = [P.ipv4(src, dst, P.PROTO_TCP, seg, 1, 64, True) for seg in segments]
    frames = []
    for seq, body in enumerate(seal(sa, list(enumerate(inners, 1))), 1):
        ip = P.ipv4(P.ip4(sa.src), P.ip4(sa.dst), P.PROTO_ESP, body, seq, 255, True)
        frames.append((seq, P.ethernet(P.mac_for("a"), P.mac_for("b"), ip)))
    cap = Capture(P.pcap_file(frames), esp_sa_file([sa]), len(frames), [sa], None)  # type: ignore[arg-type]
    rows = tshark(tmp_path, cap, ["esp.icv_good", "tcp.len", "tcp.checksum.status"])
    assert [(true(r[0]), r[1], r[2]) for r in rows] == [(True, str(n), "1") for n in SIZES]


def test_labsim_writes_the_capture_and_the_sa_file(tmp_path: Path) -> None:
    out = StringIO()
    target = tmp_path / "run.pcap"
    call_command("labsim", "default-drop", "--pcap", str(target), "--link", "internet",
                 "--from", "1", "--to", "2.5", stdout=out)  # fmt: skip
    assert target.read_bytes()[:4] == bytes.fromhex("d4c3b2a1")
    assert (tmp_path / "run.pcap.esp_sa").read_text().count('"AES-CBC [RFC3602]"') == 2
    assert "packets on internet written to" in out.getvalue()


def test_ikev2_sa_init_and_auth_with_the_real_spis_and_ke(tmp_path: Path) -> None:
    cap = capture("asa9-ikev2-preserve", "internet", 0.5, 3)
    fields = ["ip.src", "isakmp.exchangetype", "isakmp.ispi", "isakmp.rspi", "isakmp.typepayload"]
    rows = tshark(tmp_path, cap, [*fields, "isakmp.key_exchange.dh_group"], "-Y", "isakmp")
    assert [r[1] for r in rows] == ["34", "34", "35", "35"]  # IKE_SA_INIT, IKE_AUTH
    keys = cap.recorder.ike["bo-ho"][0].keys
    assert rows[0][0] == "209.165.201.2"  # the BO ASA had the first packet
    assert {r[2] for r in rows} == {keys.spi_i.hex()}
    assert rows[0][3] == "0" * 16 and {r[3] for r in rows[1:]} == {keys.spi_r.hex()}
    assert {"33", "34", "40"} <= set(rows[0][4].split(","))  # SA, KE, nonce
    assert rows[0][5] == rows[1][5] == "14"
    assert rows[2][4] == "46"  # IKE_AUTH is all inside the encrypted payload
    everything = tshark(tmp_path, cap, [*EXPERT, "esp.icv_good"])
    assert expert_problems([r[:3] for r in everything]) == []
    assert any(true(r[3]) for r in everything)  # the child SA's ESP decrypts


def test_ikev2_child_rekey_is_one_create_child_sa_pair(tmp_path: Path) -> None:
    data = builtin_dict("asa9-ikev2-preserve")
    data["events"] = []
    for node in data["topology"]["nodes"]:
        if node["id"] == "bo-asa":
            node["config"].insert(
                node["config"].index("crypto map outside_map interface outside"),
                "crypto map outside_map 10 set security-association lifetime seconds 300",
            )
    cap = export(parse_scenario(data), None, [], "internet", 269 * S, 273 * S)
    rows = tshark(tmp_path, cap, ["isakmp.exchangetype", "esp.spi"])
    assert [r[0] for r in rows if r[0]] == ["36", "36"]
    assert len({r[1] for r in rows if r[1]}) == 4  # old and new SPIs both ways


def test_packets_are_dated_at_the_scenarios_clock(tmp_path: Path) -> None:
    cap = capture("default-drop", "internet", 0.5, 3.5)
    rows = tshark(tmp_path, cap, ["frame.time_epoch"])
    import datetime as dt

    first = dt.datetime.fromtimestamp(float(rows[0][0]), tz=dt.UTC)
    assert first.strftime("%Y-%m-%d %H:%M") == "2009-06-15 09:00"  # start_clock, not 1970
