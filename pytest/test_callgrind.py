"""testbed/callgrind.py, the instruction counts of issue 7, as a CI smoke: a few LDAP sessions
through the pcap profile's deterministic mode under valgrind's callgrind. Each figure comes
only from a run whose counters and recorded output were checked session by session; the
figures are printed, not compared with anything. No root network: pcap in, pcap out.
Needs valgrind (Debian package valgrind); without it the tests fail, they do not skip.
"""
import os
import shutil
import tempfile

import pytest

from testbed import callgrind, golden


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="pe-callgrind-test-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def need_valgrind():
    assert callgrind.valgrind_available(), "valgrind not installed (apt-get install valgrind)"


def test_instructions_per_conn_ldap_policy(workdir):
    """4 sessions through the LDAP policy (inspector on), against the ARP-only baseline."""
    need_valgrind()
    r = callgrind.instructions_per_conn(n=4, config="ldap", workdir=workdir)
    big, base = r["runs"]
    assert big["n"] == 4 and base["n"] == 0
    # 8 engine runs build the capture whatever the number of sessions
    assert big["engine_runs"] == 8
    # per session: SYN, ACK, bind, backend SYN-ACK, bind response, search, entry, done,
    # unbind, client FIN, backend FIN, last ACK
    assert r["rx_pkts_per_conn"] == 12
    assert r["ir_per_conn"] > 0 and 0 < r["ir_per_conn_engine"] < r["ir_per_conn"]
    assert "pe_proxy_input" in r["top"]
    print(f"\nldap policy: {r['ir_per_conn']:.0f} Ir per connection in the worker loop, "
          f"{r['ir_per_conn_engine']:.0f} without the pcap port\n{r['top']}")


def test_instructions_per_pkt_plain(workdir):
    """2 sessions of 4 searches against 2 of 1 on the default delayed-binding config."""
    need_valgrind()
    r = callgrind.instructions_per_pkt(n=2, k=4, config="plain", workdir=workdir)
    # each extra round: SearchRequest, SearchResultEntry, SearchResultDone, each relayed
    assert r["extra_rx"] == 2 * 3 * 3
    assert r["extra_tx"] == r["extra_rx"]
    assert r["ir_per_pkt"] > 0 and r["ir_per_pkt_engine"] > 0
    print(f"\nplain: {r['ir_per_pkt']:.0f} Ir per established packet, "
          f"{r['ir_per_pkt_engine']:.0f} without the pcap port")


def test_a_wrong_output_is_found(workdir):
    """The check behind every figure can fail: one byte of a backend's answer changed in the
    input (checksum recomputed) reaches the client changed, and check() says which session."""
    from scapy.all import TCP, Raw
    conf = os.path.join(workdir, "plain.conf")
    with open(os.path.join(golden.REPO_ROOT, callgrind.CONFIGS["plain"])) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text + golden.SECRET)
    c = callgrind.build(conf, workdir, "wrong", 2)
    rc, stdout, out, err = golden.run_engine(conf, c.pkts, workdir, "wrong")
    assert rc == 0, err[-2000:]
    assert callgrind.check(c, callgrind.parse_counters(stdout), out, "plain") == []
    answer = next(p for p in c.pkts if TCP in p and p[TCP].sport == 389 and Raw in p)
    body = bytearray(answer[Raw].load)
    body[-1] ^= 0x01
    answer[Raw].load = bytes(body)
    del answer[TCP].chksum
    rc, stdout, out, err = golden.run_engine(conf, c.pkts, workdir, "wrong")
    assert rc == 0, err[-2000:]
    problems = callgrind.check(c, callgrind.parse_counters(stdout), out, "plain")
    assert any("bytes to the client differ" in p for p in problems), problems


def test_read_profile_sums(workdir):
    """The callgrind reader: self costs add up to the file's total, and a call's inclusive
    cost lands on its caller."""
    path = os.path.join(workdir, "x.callgrind")
    with open(path, "w") as f:
        f.write("version: 1\ncreator: test\npositions: line\nevents: Ir\n"
                "ob=/bin/a\nfl=a.c\nfn=main\n3 10\ncob=/lib/b.so\ncfi=b.c\ncfn=work\n"
                "calls=2 1\n4 25\n5 1\n"
                "ob=/lib/b.so\nfl=b.c\nfn=work\n1 25\ntotals: 36\n")
    p = callgrind.read_profile(path)
    assert p["total"] == 36
    assert p["self"] == {("a", "main"): 11, ("b.so", "work"): 25}
    assert p["incl"][("a", "main")] == 36
    assert callgrind.io_cost(p) == 0
