"""The pcap profile and --deterministic (issue 6): the engine reads a capture, writes what it
would have sent, and prints its counters; its clock is the capture's timestamps, time jumps to
the next timer once the input has ended, and the same input gives the same output.

net_pcap stamps what it writes with the wall clock, so outputs are compared by packet bytes
and order (docs/profiles.md). No testbed, no network: captures in a temporary directory.
"""
import os
import shutil
import subprocess
import time

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO_ROOT, os.environ.get("PE_BUILD_DIR", "build"), "proxyengine")
PROFILE = "pmd-profiles/pcap.profile"
ENGINE_MAC = "02:70:63:61:70:00"   # net_pcap's first port
CLIENT_MAC = "02:00:00:00:00:0a"
T0 = 1700000000.5
LINUX_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (5, 0)), ("NOP", None), ("WScale", 7)]


@pytest.fixture
def conf(tmp_path):
    """testbed/proxyengine.conf with a cookie secret (nothing drawn at random)."""
    with open(os.path.join(REPO_ROOT, "testbed/proxyengine.conf")) as f:
        text = f.read()
    path = tmp_path / "det.conf"
    path.write_text(text + '\ntcp: { cookie_secret = "000102030405060708090a0b0c0d0e0f"; };\n')
    return str(path)


def syn(t, sport=40000, seq=1000):
    from scapy.all import IP, TCP, Ether
    p = Ether(src=CLIENT_MAC, dst=ENGINE_MAC) / IP(src="198.18.0.10", dst="198.18.0.1") / \
        TCP(sport=sport, dport=389, flags="S", seq=seq, options=LINUX_OPTS)
    p.time = t
    return p


def run(tmp_path, name, pkts, conf, *extra, prefix=None):
    """Write pkts to a capture, run the engine over it; (CompletedProcess, output packets)."""
    from scapy.all import rdpcap, wrpcap
    cin, cout = str(tmp_path / f"{name}.in.pcap"), str(tmp_path / f"{name}.out.pcap")
    wrpcap(cin, pkts)
    env = dict(os.environ, PE_PCAP_IN=cin, PE_PCAP_OUT=cout)
    prefix = prefix or "pe-pcap-" + name
    try:
        r = subprocess.run([BINARY, f"--file-prefix={prefix}", "-l", "0", "--",
                            "--deterministic", "--profile", PROFILE, "--config", conf, *extra],
                           cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)  # EAL's runtime dir
    out = rdpcap(cout) if os.path.exists(cout) else []
    return r, out


def counters(r):
    return {k: int(v) for k, v in (line.split() for line in r.stdout.splitlines() if line.strip())}


def tcp_out(out):
    from scapy.all import TCP
    return [p for p in out if TCP in p]


def test_same_input_same_output(tmp_path, conf):
    pkts = [syn(T0), syn(T0 + 0.2, sport=40001, seq=5000)]
    r1, out1 = run(tmp_path, "a1", pkts, conf)
    r2, out2 = run(tmp_path, "a2", pkts, conf)
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr[-2000:]
    assert [bytes(p) for p in out1] == [bytes(p) for p in out2], "two runs differ"
    c = counters(r1)
    assert c["syn_rx"] == 2 and c["synack_cookie_sent"] == 2, r1.stdout
    assert len(tcp_out(out1)) == 2, [p.summary() for p in out1]


def test_clock_is_the_captures(tmp_path, conf):
    """The SYN-ACK's TSval (the engine's millisecond clock) moves with the capture's time."""
    from scapy.all import TCP
    tsval = {}
    for name, t in (("early", T0), ("later", T0 + 99.75)):
        r, out = run(tmp_path, name, [syn(t)], conf)
        assert r.returncode == 0, r.stderr[-2000:]
        (sa,) = tcp_out(out)
        tsval[name] = dict(sa[TCP].options)["Timestamp"][0]
    # 99 750 ms apart; the low 6 bits of the TSval carry the SYN's options (cookie)
    assert abs((tsval["later"] - tsval["early"]) - 99750) < 64, tsval


def test_timers_run_in_virtual_time(tmp_path, conf):
    """A completed handshake and nothing more: the idle timeout (300 s) resets the client,
    in virtual time: the run takes seconds, not minutes."""
    from scapy.all import IP, TCP, Ether
    r, out = run(tmp_path, "pass1", [syn(T0)], conf)
    (sa,) = tcp_out(out)
    ack = Ether(src=CLIENT_MAC, dst=ENGINE_MAC) / IP(src="198.18.0.10", dst="198.18.0.1") / \
        TCP(sport=40000, dport=389, flags="A", seq=1001, ack=sa[TCP].seq + 1,
            options=[("NOP", None), ("NOP", None), ("Timestamp", (6, dict(sa[TCP].options)["Timestamp"][0]))])
    ack.time = T0 + 0.001
    t = time.monotonic()
    r, out = run(tmp_path, "pass2", [syn(T0), ack], conf)
    took = time.monotonic() - t
    assert r.returncode == 0, r.stderr[-2000:]
    c = counters(r)
    assert c.get("cookie_ok") == 1 and c.get("idle_timeout") == 1, r.stdout
    flags = [str(p[TCP].flags) for p in tcp_out(out)]
    assert flags[0] == "SA" and "R" in flags[-1], flags
    assert took < 30, f"{took:.1f} s: the 300 s idle timeout was waited for, not jumped to"


def test_needs_a_cookie_secret(tmp_path):
    with open(os.path.join(REPO_ROOT, "testbed/proxyengine.conf")) as f:
        path = tmp_path / "nosecret.conf"
        path.write_text(f.read())
    r, _ = run(tmp_path, "nosecret", [syn(T0)], str(path))
    assert r.returncode == 2 and "--deterministic needs tcp.cookie_secret" in r.stderr, r.stderr


def test_profile_variables_must_be_set(tmp_path, conf):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PE_PCAP_")}
    r = subprocess.run([BINARY, "--file-prefix=pe-pcap-unset", "-l", "0", "--", "--deterministic",
                        "--profile", PROFILE, "--config", conf], cwd=REPO_ROOT, env=env,
                       capture_output=True, text=True, timeout=30)
    shutil.rmtree("/var/run/dpdk/pe-pcap-unset", ignore_errors=True)
    assert r.returncode == 2, r.stderr
    assert "${PE_PCAP_IN} is not set in the environment" in r.stderr, r.stderr


def test_record_is_bit_identical(tmp_path, conf):
    """--record stamps with the engine's clock (the capture's): two runs write the same file,
    byte for byte, and its first packet carries the capture's time."""
    from scapy.all import rdpcap
    files = []
    for k in (1, 2):
        rec = str(tmp_path / f"rec{k}.pcap")
        r, _ = run(tmp_path, f"rec{k}", [syn(T0)], conf, "--record", rec)
        assert r.returncode == 0, r.stderr[-2000:]
        with open(rec, "rb") as f:
            files.append(f.read())
    assert files[0] == files[1]
    assert abs(float(rdpcap(str(tmp_path / "rec1.pcap"))[0].time) - T0) < 1e-6
