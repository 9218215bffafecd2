"""testbed/replay.py replays captured LDAP sessions through the engine (tap profile), byte-exact.

Over every capture of ../shared/pcaps-public/ (found as test_ber_captures.py finds them;
never copied here), every file of pcaps/ (made on the testbed by testbed/make_pcaps.py)
and crafted captures written here with scapy (retransmissions, out-of-order segments,
server speaking first, trailing server bytes, and one session for each SKIP reason):
  - nothing FAILs;
  - each public capture gives exactly the PASS/SKIP counts of EXPECTED_PUBLIC, SKIPs with
    the reason written there; every pcaps/ session PASSes;
  - the command line with --port 3268 replays pcaps/port3268-gc.pcap (VIP and backend on
    3268) and exits 0;
  - a changed byte in what either peer expects makes the session FAIL (the check can fail);
  - with --config (an engine config with ldap.rewrite, made from pytest/configs/ldap-rewrite.conf)
    pcaps/write-ops.pcap and pcaps/large-search.pcap PASS against the bytes the policy should
    produce, computed offline by build/ldap_walk --rewrite: requests rewritten (client suffix
    dc=example,dc=com, as captured, to a longer backend suffix) and responses rewritten (the
    shipped config: backend dc=example,dc=com, as captured, to dc=corp,dc=example); a changed
    expected byte FAILs there too.
Runs on the session testbed (`tb`): replay.on_testbed(tb) adds the replay backend address
to pe-be1 and runs the engine with the replay config, then restores both.
The crafted captures' reassembly is also checked without the testbed.
"""
import io
import os
import re
import sys
from contextlib import redirect_stdout

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
from testbed import captures, replay  # noqa: E402
from testbed.ber import tlv  # noqa: E402
from test_ber_captures import CANDIDATES, CAPTURES as PUBLIC_DIR, captures as public_captures  # noqa: E402

PCAPS = os.path.join(REPO_ROOT, "pcaps")
REWRITE_CONF = os.path.join(REPO_ROOT, "pytest", "configs", "ldap-rewrite.conf")
# the captures were made against be1's dc=example,dc=com: as the client suffix, the requests
# are rewritten (to a suffix of another length); as the backend suffix, the responses are
REWRITE_POLICIES = {
    "requests": ("dc=example,dc=com", "dc=example,dc=invalid"),
    "responses": ("dc=corp,dc=example", "dc=example,dc=com"),
}
REWRITE_CAPTURES = ["write-ops.pcap", "large-search.pcap"]

# public capture -> (PASS, SKIP, reasons of the SKIPs, each a regex)
EXPECTED_PUBLIC = {
    # one connection: simple bind, two adds, unbind, FIN both ways
    "zeek__ldap-add.pcap": (1, 0, []),
    # pcapng, 11 connections of bind, search with escaped filter values, unbind
    "zeek__ldap_escaping_test.pcapng": (11, 0, []),
    # two SASL NTLM bind round trips, a search returning entries, unbind
    "zeek__sasl-ntlm.pcap": (1, 0, []),
    # the StartTLS request and its success response are replayed byte-exact; the TLS
    # records after them cannot be (no keys): SKIP, with the LDAP part's result
    "zeek__ldap-starttls.pcap": (0, 1, [r"TLS after StartTLS \(2 LDAP messages replayed: .*byte-exact"]),
    # IPv6 over 802.1Q, a response and a request spanning 2 segments each, a Kerberos SASL
    # bind, then integrity-wrapped messages (plain bytes to an L4 proxy); ends in RST
    "zeek__modify-request.pcapng": (1, 0, []),
}


def msg(mid, op):
    return tlv(0x30, tlv(0x02, bytes([mid])) + op)


RESULT_OK = tlv(0x0a, b"\x00") + tlv(0x04, b"") + tlv(0x04, b"")
BIND = msg(1, tlv(0x60, tlv(0x02, b"\x03") + tlv(0x04, b"") + tlv(0x80, b"")))      # anonymous bind
BIND_OK = msg(1, tlv(0x61, RESULT_OK))
SEARCH = msg(2, tlv(0x63, tlv(0x04, b"dc=example,dc=com") + tlv(0x0a, b"\x00") + tlv(0x0a, b"\x00")
                    + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") + tlv(0x01, b"\x00")
                    + tlv(0x87, b"objectClass") + tlv(0x30, b"")))
DONE = msg(2, tlv(0x65, RESULT_OK))
UNBIND = msg(3, tlv(0x42, b""))
NOTICE = msg(0, tlv(0x78, tlv(0x0a, b"\x34") + tlv(0x04, b"") + tlv(0x04, b"the server is shutting down")
                    + tlv(0x8a, b"1.3.6.1.4.1.1466.20036")))             # Notice of Disconnection
CLIENT_HELLO = bytes.fromhex("16030100a1010000") + bytes(200)
BIG = bytes(range(256)) * 12                                       # 3 KB "entry" for splitting

# crafted sessions: (name, turns, craft() options, expected status, regex of its detail)
CRAFTED = [
    ("retransmitted-split-reordered",
     [("c2s", BIND), ("s2c", BIND_OK), ("c2s", SEARCH), ("s2c", DONE + BIG), ("c2s", UNBIND)],
     {"split": 700, "dup": True, "swap": True}, "PASS", r"5 turns.*byte-exact"),
    ("server-first",
     [("s2c", NOTICE), ("c2s", BIND), ("s2c", BIND_OK), ("c2s", UNBIND)],
     {}, "PASS", r"the server spoke first"),
    ("trailing-server-bytes",
     [("c2s", BIND), ("s2c", BIND_OK), ("c2s", SEARCH), ("s2c", DONE), ("s2c", NOTICE)],
     {}, "PASS", r"4 turns.*byte-exact"),
    ("no-handshake", [("c2s", BIND), ("s2c", BIND_OK)], {"handshake": False},
     "SKIP", r"incomplete capture: no SYN from the client"),
    ("gap", [("c2s", BIND), ("s2c", BIND_OK + BIG), ("c2s", UNBIND)], {"split": 700, "drop": ("s2c", 1)},
     "SKIP", r"incomplete capture: 700 bytes missing server->client at byte 700"),
    ("tail-acked-not-captured", [("c2s", BIND), ("s2c", BIND_OK), ("c2s", UNBIND)], {"drop_last": True},
     "SKIP", r"incomplete capture: 7 bytes missing client->server .*acknowledged"),
    ("tls-first", [("c2s", CLIENT_HELLO), ("s2c", bytes.fromhex("160303003a02"))], {},
     "SKIP", r"TLS from the first byte"),
    ("not-ldap", [("c2s", b"GET / HTTP/1.0\r\n\r\n"), ("s2c", b"HTTP/1.0 200 OK\r\n\r\n")], {},
     "SKIP", r"not LDAP"),
    ("handshake-only", [], {}, "SKIP", r"no payload"),
    ("server-only", [("s2c", NOTICE)], {}, "SKIP", r"only the server sent bytes"),
]


def craft(path):
    """One pcap with every CRAFTED session (client ports 40001..), as a capture point near
    the client would see them; addresses are documentation-only (never sent)."""
    from scapy.all import IP, TCP, Ether, wrpcap
    cli, srv = "198.18.200.10", "198.18.200.1"
    pkts, t = [], [1700000000.0]

    def emit(src_is_client, cport, flags, seq, ack, data=b""):
        t[0] += 0.001
        ip = IP(src=cli, dst=srv) if src_is_client else IP(src=srv, dst=cli)
        tcp = TCP(sport=cport, dport=389, flags=flags, seq=seq, ack=ack) if src_is_client else \
            TCP(sport=389, dport=cport, flags=flags, seq=seq, ack=ack)
        p = Ether() / ip / tcp / data if data else Ether() / ip / tcp
        p.time = t[0]
        return p

    for n, (_name, turns, opt, _st, _re) in enumerate(CRAFTED):
        cport = 40001 + n
        nxt = {"c2s": 0x7FFFFF00 + n, "s2c": 0xFFFFFE00 + n}  # both wrap within the session
        isn = dict(nxt)
        out = []
        if opt.get("handshake", True):
            out.append(emit(True, cport, "S", isn["c2s"], 0))
            out.append(emit(False, cport, "SA", isn["s2c"], isn["c2s"] + 1))
            out.append(emit(True, cport, "A", isn["c2s"] + 1, isn["s2c"] + 1))
        nxt = {k: (v + 1) % (1 << 32) for k, v in nxt.items()}
        for k, (d, data) in enumerate(turns):
            size = opt.get("split") or len(data)
            segs = []
            for i in range(0, len(data), size):
                piece = data[i:i + size]
                other = "s2c" if d == "c2s" else "c2s"
                segs.append(emit(d == "c2s", cport, "PA", nxt[d], nxt[other], piece))
                nxt[d] = (nxt[d] + len(piece)) % (1 << 32)
            if opt.get("drop") and opt["drop"][0] == d and len(segs) > opt["drop"][1]:
                segs.pop(opt["drop"][1])
            if opt.get("drop_last") and k == len(turns) - 1:
                segs = []
            if opt.get("swap") and len(segs) > 2:
                segs[1], segs[2] = segs[2], segs[1]  # out of order
            if opt.get("dup"):
                segs = [s for seg in segs for s in (seg, seg.copy())]
            out += segs
            other = "s2c" if d == "c2s" else "c2s"
            out.append(emit(d != "c2s", cport, "A", nxt[other], nxt[d]))  # the peer ACKs all
        if opt.get("handshake", True) and not opt.get("drop_last"):
            out.append(emit(True, cport, "FA", nxt["c2s"], nxt["s2c"]))
            out.append(emit(False, cport, "FA", nxt["s2c"], (nxt["c2s"] + 1) % (1 << 32)))
            out.append(emit(True, cport, "A", (nxt["c2s"] + 1) % (1 << 32), (nxt["s2c"] + 1) % (1 << 32)))
        for p in out:  # timestamps in emission order even after swaps/duplicates
            t[0] += 0.0001
            p.time = t[0]
        pkts += out
    wrpcap(path, pkts)
    return path


def own_pcaps():
    """{file: port} of pcaps/ (port 3268 where the name says so)."""
    if not os.path.isdir(PCAPS):
        return {}
    out = {}
    for f in sorted(os.listdir(PCAPS)):
        if f.endswith((".pcap", ".pcapng")):
            m = re.search(r"port(\d+)", f)
            out[f] = int(m.group(1)) if m else 389
    return out


def _as_pieces(turns):
    """(c_data, c_pieces, s_data, s_pieces) of turns given in order: merge_turns() of them
    joins consecutive turns of one direction, as the capture's reassembly does."""
    data, pieces = {"c2s": b"", "s2c": b""}, {"c2s": [], "s2c": []}
    for k, (d, b) in enumerate(turns):
        pieces[d].append((len(data[d]), len(b), (k, 0)))
        data[d] += b
    return data["c2s"], pieces["c2s"], data["s2c"], pieces["s2c"]


# --- without the testbed ------------------------------------------------------------------

def test_crafted_reassembly(tmp_path):
    """read_sessions() gives back each crafted session's turns exactly, through duplicates,
    reordering and sequence wrap; the plans say PASS-able or the expected SKIP reason."""
    path = craft(str(tmp_path / "crafted.pcap"))
    sessions = captures.read_sessions(path, 389)
    assert [s.cport for s in sessions] == [40001 + n for n in range(len(CRAFTED))]
    for s, (name, turns, _opt, status, reason) in zip(sessions, CRAFTED):
        p = replay.plan_session(path, s)
        if status == "PASS":
            assert p.skip is None, f"{name}: {p.skip}"
            assert s.turns() == captures.merge_turns(*_as_pieces(turns)), name
        else:
            assert p.skip and re.search(reason, p.skip), f"{name}: {p.skip!r} !~ {reason!r}"


def test_expected_captures_present():
    assert set(EXPECTED_PUBLIC) <= set(public_captures()), (
        f"missing captures in {PUBLIC_DIR} (looked in {CANDIDATES}; set PE_PCAPS_PUBLIC)")
    assert "port3268-gc.pcap" in own_pcaps() and len(own_pcaps()) >= 8, own_pcaps()


def test_engine_config_follows_port():
    text = replay.engine_config_text(3268)
    assert re.search(r"engine\s*:\s*\{[^}]*\n\s*port = 3268;", text)
    assert re.findall(r"\{ name = \"(\w+)\"; address = \"([\d.]+)\"; port = (\d+); \}", text) == [
        ("be1", replay.REPLAY_IP, "3268")]


# --- on the testbed -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def replayed(tb, tmp_path_factory):
    """One replay (one engine restart) of all public captures, pcaps/ on 389 and the crafted
    file: {capture basename: [(status, label, detail)]}, and the printed lines."""
    crafted = craft(str(tmp_path_factory.mktemp("replay") / "crafted.pcap"))
    paths = [os.path.join(PUBLIC_DIR, f) for f in public_captures()]
    paths += [os.path.join(PCAPS, f) for f, port in own_pcaps().items() if port == 389]
    paths.append(crafted)
    lines = []
    summary = replay.replay(paths, 389, engine=replay.on_testbed(tb), out=lines.append)
    by_file = {}
    for capture, label, status, detail in summary.results:
        by_file.setdefault(os.path.basename(capture), []).append((status, label, detail))
    return by_file, lines, summary


def test_nothing_fails(replayed):
    by_file, lines, summary = replayed
    assert summary.count("FAIL") == 0, "\n".join(lines)
    assert lines[-1] == summary.line and re.fullmatch(r"\d+ passed, 0 failed, \d+ skipped", lines[-1])


@pytest.mark.parametrize("name", sorted(EXPECTED_PUBLIC))
def test_public_capture(replayed, name):
    by_file, lines, _ = replayed
    res = by_file.get(name, [])
    n_pass, n_skip, reasons = EXPECTED_PUBLIC[name]
    got = [r[0] for r in res]
    assert (got.count("PASS"), got.count("SKIP"), got.count("FAIL")) == (n_pass, n_skip, 0), "\n".join(lines)
    skips = [d for st, _l, d in res if st == "SKIP"]
    for detail, reason in zip(skips, reasons):
        assert re.search(reason, detail), f"{name}: {detail!r} !~ {reason!r}"


def test_own_captures_pass(replayed):
    by_file, lines, _ = replayed
    for f, port in own_pcaps().items():
        if port != 389:
            continue
        res = by_file.get(f, [])
        assert res and all(st == "PASS" for st, _l, _d in res), f"{f}:\n" + "\n".join(lines)


def test_crafted_sessions(replayed):
    by_file, lines, _ = replayed
    res = by_file.get("crafted.pcap", [])
    assert len(res) == len(CRAFTED), "\n".join(lines)
    for (status, label, detail), (name, _t, _o, want, reason) in zip(res, CRAFTED):
        assert status == want and re.search(reason, detail), f"{name}: {status} {label}: {detail}"


def test_port_3268_command_line(tb):
    """The command line, --port 3268: the engine's VIP port and its backend follow."""
    files = [os.path.join(PCAPS, f) for f, port in own_pcaps().items() if port == 3268]
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = replay.main(["--port", "3268", *files], engine=replay.on_testbed(tb))
    out = buf.getvalue()
    assert rc == 0, out
    lines = out.strip().splitlines()
    assert re.fullmatch(r"([1-9]\d*) passed, 0 failed, 0 skipped", lines[-1]), out
    assert all(re.match(r"PASS  port3268-gc\.pcap #\d+ 198\.18\.0\.10:\d+ -> 198\.18\.0\.11:3268: ", ln)
               for ln in lines[:-1]), out


def test_corrupted_expectation_fails(tb):
    """One changed byte in what the client expects of the server, or the server of the
    client, makes the session FAIL, naming the turn and the byte; and the exit status is 1."""
    path = os.path.join(PUBLIC_DIR, "zeek__ldap-add.pcap")
    for corrupt, who, turn in (("s2c", "client received", 2), ("c2s", "server received", 1)):
        lines = []
        summary = replay.replay([path], 389, engine=replay.on_testbed(tb), out=lines.append, corrupt=corrupt)
        assert summary.line == "0 passed, 1 failed, 0 skipped", "\n".join(lines)
        assert re.search(rf"FAIL  zeek__ldap-add\.pcap #1 .*: {who} other bytes than captured in turn "
                         rf"{turn} at byte \d+", lines[0]), lines[0]


# --- --config: a rewrite policy -------------------------------------------------------------

def rewrite_conf(path, client_suffix, backend_suffix):
    """pytest/configs/ldap-rewrite.conf with another ldap.rewrite, written to `path`."""
    with open(REWRITE_CONF) as f:
        text = f.read()
    text, n = re.subn(r"rewrite\s*:\s*\{[^}]*\}",
                      f'rewrite: {{ client_suffix = "{client_suffix}"; backend_suffix = "{backend_suffix}"; }}',
                      text)
    assert n == 1, REWRITE_CONF
    with open(path, "w") as f:
        f.write(text)
    return str(path)


def test_config_text_keeps_policy(tmp_path):
    """--config: port and backends overridden, every pool on be1, inspect/pools/ldap kept,
    comments ignored when the policy is read."""
    conf = tmp_path / "two-pools.conf"
    with open(REWRITE_CONF) as f:
        text = f.read()
    text = text.replace('{ name = "one"; backends = [ "be1" ]; }',
                        '{ name = "one"; backends = [ "be1" ]; },\n\t{ name = "two"; backends = [ "be2", "be1" ]; }')
    text = "# rewrite: { client_suffix = \"dc=no\"; backend_suffix = \"dc=no\"; };\n" + text
    conf.write_text(text)
    out = replay.engine_config_text(3268, str(conf))
    assert re.findall(r'backends = \[ "(\w+)" \]', out) == ["be1", "be1"]
    assert re.findall(r"\{ name = \"(\w+)\"; address = \"([\d.]+)\"; port = (\d+); \}", out) == [
        ("be1", replay.REPLAY_IP, "3268")]
    assert 'protocol = "ldap"' in out and 'default_pool = "one"' in out
    pol = replay.Policy(text)
    assert pol.ldap and pol.rewrite == ("dc=corp,dc=example", "dc=example,dc=com")
    assert replay.Policy(open(replay.BASE_CONFIG).read()).rewrite is None


def test_expected_bytes_offline():
    """expect_under(): requests rewritten client -> backend, responses backend -> client (with
    the lengths re-encoded); a turn ending inside a message is a SKIP with its reason."""
    pol = replay.Policy('inspect: { protocol = "ldap"; };\nldap: { rewrite: { '
                        'client_suffix = "dc=example,dc=com"; backend_suffix = "dc=example,dc=invalid"; }; };')
    entry = msg(2, tlv(0x64, tlv(0x04, b"cn=x,dc=example,dc=invalid") + tlv(0x30, b"")))
    p = replay.Plan("x.pcap", None)
    p.turns = [("c2s", BIND + SEARCH), ("s2c", BIND_OK + entry + DONE), ("c2s", UNBIND)]
    replay.expect_under(p, pol)
    assert p.skip is None and p.rewritten == 2
    def search(base):  # SEARCH with another baseObject
        return msg(2, tlv(0x63, tlv(0x04, base) + SEARCH[-30:]))
    assert search(b"dc=example,dc=com") == SEARCH
    assert p.expect[0] == BIND + search(b"dc=example,dc=invalid")
    entry_back = msg(2, tlv(0x64, tlv(0x04, b"cn=x,dc=example,dc=com") + tlv(0x30, b"")))
    assert p.expect[1] == BIND_OK + entry_back + DONE
    assert p.expect[2] == UNBIND
    p = replay.Plan("x.pcap", None)
    p.turns = [("c2s", BIND), ("s2c", (BIND_OK + entry)[:-3]), ("c2s", UNBIND), ("s2c", entry[-3:])]
    replay.expect_under(p, pol)
    assert p.expect is None and p.skip.startswith(replay.SPLIT_REASON + " (turn 2, server->client"), p.skip


@pytest.fixture(scope="module")
def rewrite_confs(tmp_path_factory):
    d = tmp_path_factory.mktemp("rewrite-conf")
    return {name: rewrite_conf(d / f"{name}.conf", *sfx) for name, sfx in REWRITE_POLICIES.items()}


@pytest.mark.parametrize("policy", sorted(REWRITE_POLICIES))
def test_rewrite_replay(tb, rewrite_confs, policy):
    """--config with a rewrite: every session of write-ops and large-search PASSes against the
    rewritten bytes, and the policy did change bytes (in the direction it should)."""
    paths = [os.path.join(PCAPS, f) for f in REWRITE_CAPTURES]
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = replay.main(["--config", rewrite_confs[policy], *paths], engine=replay.on_testbed(tb))
    out = buf.getvalue()
    assert rc == 0, out
    lines = out.strip().splitlines()
    assert re.fullmatch(r"([1-9]\d*) passed, 0 failed, 0 skipped", lines[-1]), out
    assert {ln.split()[1] for ln in lines[:-1]} == set(REWRITE_CAPTURES), out
    rewritten = [int(m) for m in
                 re.findall(r"byte-exact as the policy should produce \((\d+) turns rewritten\)", out)]
    assert len(rewritten) == len(lines) - 1 and sum(rewritten) > 0, out
    # the expected bytes are not the captured ones, in the direction the policy rewrites
    client_suffix, backend_suffix = REWRITE_POLICIES[policy]
    pol = replay.Policy(open(rewrite_confs[policy]).read())
    changed = set()
    for path in paths:
        for s in captures.read_sessions(path, 389):
            p = replay.expect_under(replay.plan_session(path, s), pol)
            changed |= {d for (d, data), e in zip(p.turns, p.expect) if e != data}
    assert changed == ({"c2s"} if policy == "requests" else {"s2c"}), changed


def test_rewrite_corrupted_expectation_fails(tb, rewrite_confs):
    """Under a rewrite policy too, one changed expected byte FAILs the session."""
    path = os.path.join(PCAPS, "write-ops.pcap")
    for corrupt, who in (("c2s", "server received"), ("s2c", "client received")):
        lines = []
        summary = replay.replay([path], 389, engine=replay.on_testbed(tb), out=lines.append,
                                corrupt=corrupt, config=rewrite_confs["requests"])
        assert summary.count("FAIL") >= 1, "\n".join(lines)
        assert re.search(rf"FAIL  write-ops\.pcap #1 .*: {who} other bytes than the policy should "
                         rf"produce in turn \d+ at byte \d+", "\n".join(lines)), "\n".join(lines)
