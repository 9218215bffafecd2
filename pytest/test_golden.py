"""Golden captures (pcaps/golden/, made by testbed/golden.py): the engine in --deterministic
mode over each NAME.in.pcap must record exactly NAME.out.pcap, bit for bit (same packets, same
order, same timestamps: the capture's clock), and print exactly NAME.counters, every run. The scenarios cover the handshake, cookie
validation, delayed binding, retransmission of held data, the idle timeout, a clean close,
and the LDAP routing, refusal and rewrite verdicts. No root network: pcap in, pcap out.
"""
import os
import tempfile

import pytest

from testbed import golden


def scenarios():
    return sorted(golden.SCENARIOS)


@pytest.mark.parametrize("name", scenarios())
def test_golden(name):
    from scapy.all import rdpcap
    conf = os.path.join(golden.GOLDEN, f"{name}.conf")
    want = [bytes(p) for p in rdpcap(os.path.join(golden.GOLDEN, f"{name}.out.pcap"))]
    with open(os.path.join(golden.GOLDEN, f"{name}.counters")) as f:
        want_counters = f.read()
    inp = rdpcap(os.path.join(golden.GOLDEN, f"{name}.in.pcap"))
    with tempfile.TemporaryDirectory(prefix="pe-golden-test-") as d:
        rc, counters, out, err = golden.run_engine(conf, inp, d, name)
        with open(golden.record_path(d, name), "rb") as f:
            got_file = f.read()
    with open(os.path.join(golden.GOLDEN, f"{name}.out.pcap"), "rb") as f:
        want_file = f.read()
    assert rc == 0, err[-2000:]
    got = [bytes(p) for p in out]
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    assert got == want, (f"{name}: {len(got)} packets, golden {len(want)}; first difference at "
                         f"packet {first}: got {got[first].hex() if first < len(got) else None}, "
                         f"golden {want[first].hex() if first < len(want) else None}")
    assert counters == want_counters, f"{name}: counters\n{counters}\ngolden\n{want_counters}"
    # and the file itself, bit for bit (timestamps are the engine's clock: the capture's)
    assert got_file == want_file, f"{name}: same packets, other file bytes (timestamps?)"


def test_every_scenario_has_its_files():
    for name in scenarios():
        for ext in ("conf", "in.pcap", "out.pcap", "counters"):
            assert os.path.exists(os.path.join(golden.GOLDEN, f"{name}.{ext}")), f"{name}.{ext}"


def test_a_changed_input_changes_the_output():
    """The comparison can fail: one byte more in the client's SYN (another ISN) and the
    engine's SYN-ACK acknowledges something else."""
    from scapy.all import TCP, rdpcap
    inp = rdpcap(os.path.join(golden.GOLDEN, "handshake.in.pcap"))
    for p in inp:
        if TCP in p:
            p[TCP].seq += 1
            del p[TCP].chksum
    want = [bytes(p) for p in rdpcap(os.path.join(golden.GOLDEN, "handshake.out.pcap"))]
    with tempfile.TemporaryDirectory(prefix="pe-golden-test-") as d:
        rc, _, out, err = golden.run_engine(os.path.join(golden.GOLDEN, "handshake.conf"), inp, d, "x")
    assert rc == 0, err[-2000:]
    assert [bytes(p) for p in out] != want
