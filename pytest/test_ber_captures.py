"""The engine's BER/LDAP decoder walks every LDAP message of real third-party captures
(../shared/pcaps-public/, never copied into this repository) without a false
"malformed" verdict.

Each capture is read with scapy (pcap and pcapng, 802.1Q, IPv4 and IPv6); every TCP
connection on port 389 is reassembled per direction by testbed/captures.py (ordered by
sequence number, retransmissions and overlaps removed, split where the capture lost
bytes; the same reassembly testbed/replay.py replays) and fed to build/ldap_walk, which frames and
parses message after message with src/proto/ber.c. A stream may end inside a message
(a capture cut short), or stop being LDAP where TLS (after StartTLS) or a SASL
security layer (after a SASL bind) begins; nothing before that point may be refused.
No root and no testbed needed.
"""
import json
import os
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
from testbed.captures import streams  # noqa: E402,F401  (also used by test_ber_tshark.py)
# ../shared/pcaps-public beside the checkout (CI has it there too), else beside the main
# working tree of this machine (/work/main); PE_PCAPS_PUBLIC overrides both.
CANDIDATES = [os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "pcaps-public")),
              "/work/shared/pcaps-public"]
CAPTURES = os.environ.get("PE_PCAPS_PUBLIC") or next(
    (d for d in CANDIDATES if os.path.isdir(d)), CANDIDATES[0])
WALK = os.path.join(REPO_ROOT, os.environ.get("PE_BUILD_DIR", "build"), "ldap_walk")
OP_BIND_REQUEST, OP_BIND_RESPONSE, OP_EXTENDED_REQUEST, OP_EXTENDED_RESPONSE = 0, 1, 23, 24

# capture -> at least this many LDAP messages decoded, over all its streams
EXPECTED_MIN = {
    "zeek__ldap-add.pcap": 7,               # bind, 2 adds, unbind; 3 responses
    "zeek__ldap_escaping_test.pcapng": 55,  # 11 x (bind, search, unbind; bind response, search done)
    "zeek__sasl-ntlm.pcap": 16,             # 2 bind round trips, search + 8 entries + done, unbind
    "zeek__ldap-starttls.pcap": 2,          # StartTLS request and response, then TLS
    "zeek__modify-request.pcapng": 5,       # root DSE search, entry, done, bind request and
                                            # response; the rest is SASL-wrapped
}


def captures():
    if not os.path.isdir(CAPTURES):
        return []
    return sorted(f for f in os.listdir(CAPTURES) if f.endswith((".pcap", ".pcapng")))


def walk(data):
    r = subprocess.run([WALK], input=data, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    res["bad_detail"] = r.stderr.decode(errors="replace").strip()
    return res


def walk_chunk(name, key, i, data, seen_ops, report):
    """Walk one chunk; fail on any refused message or an unexplained stop. Its message count."""
    res = walk(data)
    report.append(f"{key} chunk {i}: {len(data)} bytes -> {res}")
    assert res["bad"] == 0, f"{name} {key}: refused a message: {res['bad_detail']}\n" + "\n".join(report)
    seen_ops.update(res["ops"])
    resumed_inside_a_message = i > 0 and res["offset"] == 0
    if res["stopped"] == "not-ldap" and not resumed_inside_a_message:
        # only where something else legitimately takes over the stream
        assert seen_ops & {OP_EXTENDED_REQUEST, OP_EXTENDED_RESPONSE, OP_BIND_REQUEST, OP_BIND_RESPONSE}, (
            f"{name} {key}: stopped at offset {res['offset']} ({res['why']}) with no StartTLS or "
            f"SASL bind before it\n" + "\n".join(report))
    return res["messages"]


@pytest.mark.parametrize("name", captures())
def test_decoder_walks_real_capture(name):
    assert os.access(WALK, os.X_OK), f"{WALK} not built"
    total, seen_ops, report = 0, set(), []
    for key, chunks in sorted(streams(os.path.join(CAPTURES, name)).items()):
        for i, data in enumerate(chunks):
            total += walk_chunk(name, key, i, data, seen_ops, report)
    assert total >= EXPECTED_MIN.get(name, 1), f"{name}: only {total} messages decoded\n" + "\n".join(report)


def test_captures_present():
    """CI has ../shared/pcaps-public beside the clone; without it the walk above proves nothing."""
    assert set(EXPECTED_MIN) <= set(captures()), (
        f"missing captures in {CAPTURES} (looked in {CANDIDATES}; set PE_PCAPS_PUBLIC): {captures()}")
