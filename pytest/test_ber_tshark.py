"""The engine's BER/LDAP decoder against a reference: tshark's LDAP dissector.

(a) Every vector of tests/tools/gen_ldap_vectors.py (python3-ldap3 + pyasn1; the same bytes
    tests/unit/test_ber.c asserts) is written as the payload of its own TCP/389 packet into a
    temporary pcap; tshark's messageID and protocolOp for each must equal what the engine's
    decoder reports for the same bytes.
(b) Every capture of ../shared/pcaps-public/ (never copied here), reassembled per TCP direction
    as pytest/test_ber_captures.py does, is walked by the engine; tshark dissects the same file
    with its own reassembly. Per direction the (messageID, protocolOp) sequences must be equal.
    Where tshark sees something the engine by design does not walk (TLS after StartTLS, LDAP
    inside a SASL security layer), the test does not skip it silently: EXCLUDED lists each
    case with its count, and the excluded bytes must be exactly the bytes after the point where
    the engine stopped.

The engine side is build/ldap_walk (PE_LDAP_WALK, else PE_BUILD_DIR/ldap_walk, else
build/ldap_walk): its JSON gives the protocolOp and messageID sequences.

tshark is required: when it is missing the tests fail (ci/install-deps.sh installs it).
No root and no testbed needed.
"""
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

sys.dont_write_bytecode = True
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(REPO_ROOT, "tests", "tools")
sys.path.insert(0, TOOLS)
import gen_ldap_vectors  # noqa: E402
from test_ber_captures import CANDIDATES, CAPTURES, captures  # noqa: E402

sys.path.insert(0, REPO_ROOT)
from testbed.captures import streams as capture_streams  # noqa: E402

WALK = os.environ.get("PE_LDAP_WALK") or os.path.join(
    REPO_ROOT, os.environ.get("PE_BUILD_DIR", "build"), "ldap_walk")
TEST_BER_C = os.path.join(REPO_ROOT, "tests", "unit", "test_ber.c")
LDAP_PORT = 389

# capture -> LDAP messages both tshark and the engine decode, over all directions
EXPECTED_COMPARED = {
    "zeek__ldap-add.pcap": 7,               # bind, 2 adds, unbind; 3 responses
    "zeek__ldap_escaping_test.pcapng": 55,  # 11 x (bind, search, unbind; bind resp, search done)
    "zeek__sasl-ntlm.pcap": 16,             # 2 sicily/NTLM bind round trips, search, 8 entries,
                                            # done, unbind
    "zeek__ldap-starttls.pcap": 2,          # StartTLS request and response
    "zeek__modify-request.pcapng": 5,       # root DSE search, entry, done; SASL bind, response
}

# What tshark shows and the engine does not walk, per capture: (reason, direction) -> count.
# Both are places where the stream stops being LDAPMessages on the wire, so the engine's
# walk stops there ("not-ldap") by design (src/tools/ldap_walk.c):
# - "tls frames": TLS records after a successful StartTLS (RFC 4511 §4.14); tshark has no
#   keys either and shows TLS, not LDAP. Counted in frames.
# - "sasl-wrapped messages": LDAPMessages inside a SASL security layer (RFC 4422 §3.7;
#   each buffer a 4-octet length + a GSS-API Kerberos integrity token) after a GSS-SPNEGO
#   bind; tshark unwraps integrity-only tokens, the engine (a TCP proxy with no keys) cannot tell the
#   wrapping from payload and must not parse it. Counted in messages.
EXCLUDED = {
    "zeek__ldap-starttls.pcap": {("tls frames", "to server"): 7, ("tls frames", "to client"): 10},
    "zeek__modify-request.pcapng": {("sasl-wrapped messages", "to server"): 2,    # modify, unbind
                                    ("sasl-wrapped messages", "to client"): 1},   # modify response
}


# Expert warnings tshark raises on a vector, each explained; any other fails the test.
# tshark hands the credentials of every SASL bind to its GSS-API dissector, whatever the
# mechanism; EXTERNAL's credentials are an RFC 4422 authzid ("dn:uid=alice"), not a GSS-API
# token, so that dissector complains about its first octet ('d' = 0x64 read as a BER
# identifier). messageID, protocolOp and the LDAP fields around it are dissected normally.
EXPECTED_EXPERT = {
    "V_SASL": ["Unknown header (class=1, pc=1, tag=4)"],
}


# --- tools ------------------------------------------------------------------------------

def need_tshark():
    """tshark's path; fails the calling test (never skips it) when tshark is missing."""
    path = shutil.which("tshark")
    assert path, ("tshark is not installed: it is the reference LDAP dissector of this test "
                  "(ci/install-deps.sh installs it: apt-get install tshark)")
    return path


def engine(data):
    """The engine's walk of one byte stream: ldap_walk's JSON plus "msgs": [(id, op), ...]."""
    assert os.access(WALK, os.X_OK), f"{WALK} not built (set PE_LDAP_WALK or PE_BUILD_DIR)"
    w = subprocess.run([WALK], input=data, capture_output=True, timeout=30)
    assert w.returncode == 0, w.stderr
    res = json.loads(w.stdout)
    res["msgs"] = list(zip(res["ids"], res["ops"]))
    res["bad_detail"] = w.stderr.decode(errors="replace").strip()
    return res


def tshark_fields(tshark, path, fields, dfilter=None):
    """One row per frame: {field: [occurrence, ...]}."""
    argv = [tshark, "-r", path, "-n", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
            "-E", "aggregator=\x1f"]
    if dfilter:
        argv += ["-Y", dfilter]
    for f in fields:
        argv += ["-e", f]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{argv}: {r.stderr}"
    rows = []
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        rows.append({f: [x for x in c.split("\x1f") if x != ""] for f, c in zip(fields, cols)})
    return rows


# --- (a) the generated vectors ----------------------------------------------------------

def is_response(op):
    return op.endswith(("Response", "Resp")) or op.startswith("searchRes")


def test_vectors_match_tshark(tmp_path):
    tshark = need_tshark()
    from scapy.all import IP, TCP, Ether, Raw, wrpcap
    vectors = gen_ldap_vectors.vectors()
    pkts = []
    for i, v in enumerate(vectors):
        cport = 40000 + i  # a connection of its own per vector
        sport, dport = (LDAP_PORT, cport) if is_response(v["op"]) else (cport, LDAP_PORT)
        pkts.append(Ether() / IP(src="192.0.2.1" if dport == LDAP_PORT else "192.0.2.2",
                                 dst="192.0.2.2" if dport == LDAP_PORT else "192.0.2.1")
                    / TCP(sport=sport, dport=dport, flags="PA", seq=1000, ack=1000) / Raw(v["data"]))
    pcap = str(tmp_path / "vectors.pcap")
    wrpcap(pcap, pkts)
    rows = tshark_fields(tshark, pcap, ["frame.number", "ldap.messageID", "ldap.protocolOp",
                                        "_ws.malformed", "_ws.expert.message"])
    assert len(rows) == len(vectors)
    failures = []
    for v, row in zip(vectors, rows):
        eng = engine(v["data"])
        theirs = list(zip(map(int, row["ldap.messageID"]), map(int, row["ldap.protocolOp"])))
        ours = eng["msgs"]
        want = [(v["msg_id"], v["tag"])]
        expert = row["_ws.expert.message"]
        if not (theirs == ours == want and eng["stopped"] == "end" and eng["bad"] == 0
                and not row["_ws.malformed"] and expert == EXPECTED_EXPERT.get(v["name"], [])):
            failures.append(f"{v['name']} {v['data'].hex()}: tshark {theirs} "
                            f"(malformed: {row['_ws.malformed']}, expert: {expert}), engine {ours} "
                            f"({eng['stopped']}, bad {eng['bad']} {eng['bad_detail']}), encoder {want}")
    assert not failures, "\n".join(failures)
    # every protocolOp RFC 4511 defines is among them
    assert {v["tag"] for v in vectors} == set(gen_ldap_vectors.OP_TAG.values())


def c_defines(path):
    """{name: hex} of the '#define V_X "..." \\ "..."' vectors of test_ber.c."""
    text = open(path).read()
    out = {}
    for m in re.finditer(r'^#define (V_\w+) ((?:"[0-9a-f]*"(?:\s*\\\n\s*)?)+)', text, re.M):
        out[m.group(1)] = "".join(re.findall(r'"([0-9a-f]*)"', m.group(2)))
    return out


def test_unit_vectors_are_generated():
    """test_ber.c's vectors are the generator's bytes: what tshark checked above is what
    cmocka asserts on (and none of them was edited by hand)."""
    gen = {v["name"]: v["data"].hex() for v in gen_ldap_vectors.vectors()}
    have = c_defines(TEST_BER_C)
    assert set(have) == set(gen), (f"only in test_ber.c: {sorted(set(have) - set(gen))}, "
                                   f"only in the generator: {sorted(set(gen) - set(have))}")
    diff = [n for n in gen if have[n] != gen[n]]
    assert not diff, "\n".join(f"{n}: test_ber.c {have[n]} != generator {gen[n]}" for n in diff)


# --- (b) the public captures ------------------------------------------------------------

def norm(addr):
    return ipaddress.ip_address(addr).compressed


def streams(path):
    """testbed.captures.streams() (the reassembly test_ber_captures.py walks) with addresses
    normalised as tshark prints them."""
    return capture_streams(path, norm)


def tshark_directions(tshark, path):
    """{(src, sport, dst, dport): {"ldap": [(id, op)], "wrapped": [(id, op)], "tls": frames,
    "other_bytes": TCP payload bytes of TLS / SASL-wrapped frames, "frames": [...]}}"""
    fields = ["frame.number", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
              "tcp.dstport", "tcp.len", "ldap.messageID", "ldap.protocolOp",
              "ldap.sasl_buffer_length", "frame.protocols", "_ws.malformed"]
    out = {}
    for row in tshark_fields(tshark, path, fields, "tcp.port == 389"):
        src = (row["ip.src"] or row["ipv6.src"])[-1]  # innermost header
        dst = (row["ip.dst"] or row["ipv6.dst"])[-1]
        key = (norm(src), int(row["tcp.srcport"][0]), norm(dst), int(row["tcp.dstport"][0]))
        d = out.setdefault(key, {"ldap": [], "wrapped": [], "tls": 0, "other_bytes": 0,
                                 "malformed": [], "frames": []})
        protos = row["frame.protocols"][0].split(":") if row["frame.protocols"] else []
        msgs = list(zip(map(int, row["ldap.messageID"]), map(int, row["ldap.protocolOp"])))
        tcp_len = int(row["tcp.len"][0]) if row["tcp.len"] else 0
        if row["_ws.malformed"]:
            d["malformed"].append(row["frame.number"][0])
        if row["ldap.sasl_buffer_length"]:
            d["wrapped"] += msgs
            d["other_bytes"] += tcp_len
            d["frames"].append((row["frame.number"][0], "sasl-wrapped", msgs))
        elif "tls" in protos:
            d["tls"] += 1
            d["other_bytes"] += tcp_len
            d["frames"].append((row["frame.number"][0], "tls", tcp_len))
        elif msgs:
            d["ldap"] += msgs
            d["frames"].append((row["frame.number"][0], "ldap", msgs))
    return out


@pytest.mark.parametrize("name", captures())
def test_capture_matches_tshark(name):
    tshark = need_tshark()
    path = os.path.join(CAPTURES, name)
    ours = streams(path)
    theirs = tshark_directions(tshark, path)
    compared, excluded, report, problems = 0, {}, [], []
    for key in sorted(set(ours) | set(theirs)):
        t = theirs.get(key, {"ldap": [], "wrapped": [], "tls": 0, "other_bytes": 0,
                             "malformed": [], "frames": []})
        direction = "to server" if key[3] == LDAP_PORT else "to client"
        msgs, stops, tail = [], [], 0
        for i, chunk in enumerate(ours.get(key, [])):
            e = engine(chunk)
            report.append(f"{key} chunk {i}: {len(chunk)} bytes -> engine {e['msgs']} "
                          f"{e['stopped']} at {e['offset']}")
            if e["bad"]:
                problems.append(f"{key}: engine refused a message: {e['bad_detail']}")
            msgs += e["msgs"]
            stops.append(e["stopped"])
            tail += len(chunk) - e["offset"]
        report.append(f"{key} tshark: {t['frames']}")
        if len(ours.get(key, [])) > 1:
            problems.append(f"{key}: the capture has a hole in this direction; "
                            f"the engine walked {len(ours[key])} pieces")
        if t["malformed"]:
            problems.append(f"{key}: tshark calls frames {t['malformed']} malformed")
        if msgs != t["ldap"]:
            problems.append(f"{key}: (messageID, protocolOp) differ:\n  tshark {t['ldap']}\n"
                            f"  engine {msgs}")
        compared += min(len(msgs), len(t["ldap"]))
        if t["wrapped"]:
            excluded[("sasl-wrapped messages", direction)] = len(t["wrapped"])
        if t["tls"]:
            excluded[("tls frames", direction)] = t["tls"]
        # the engine stops exactly where what tshark shows as TLS / SASL-wrapped begins
        if t["wrapped"] or t["tls"]:
            if stops[-1:] != ["not-ldap"] or tail != t["other_bytes"]:
                problems.append(f"{key}: the engine stopped {stops} with {tail} bytes left, "
                                f"tshark shows {t['other_bytes']} bytes of TLS / SASL-wrapped")
        elif tail or "not-ldap" in stops:
            problems.append(f"{key}: the engine stopped ({stops}, {tail} bytes left) where "
                            f"tshark sees neither TLS nor a SASL layer")
    print(f"{name}: {compared} messages cross-checked, excluded {excluded}")
    assert not problems, "\n".join(problems + ["", "report:"] + report)
    assert compared == EXPECTED_COMPARED[name], "\n".join(report)
    assert excluded == EXCLUDED.get(name, {}), (
        f"{name}: exclusions {excluded}, expected {EXCLUDED.get(name, {})}\n" + "\n".join(report))


def test_tshark_installed():
    r = subprocess.run([need_tshark(), "--version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("TShark"), r.stdout + r.stderr


def test_captures_present():
    assert set(EXPECTED_COMPARED) <= set(captures()), (
        f"missing captures in {CAPTURES} (looked in {CANDIDATES}; set PE_PCAPS_PUBLIC): {captures()}")
