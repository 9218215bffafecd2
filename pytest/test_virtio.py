"""The virtio profile (pmd-profiles/virtio.profile): the engine's port is
net_virtio_user0, the client of a vhost-user socket, with --no-huge memory (a
memfd the backend maps). In the testbed the server of that socket is
build/vhost_bridge, which forwards frames to and from its tap pe-vtap0 on pe-br0
(testbed/vhost.py).

- --check of the profile, without hugepages: with a vhost-user peer it passes
  (one port, net_virtio_user0, started and stopped); without one it fails with
  exit 1 and names the vdev that did not probe.
- The Foundation checks over virtio: the session testbed's engine is restarted
  on the virtio profile for this module (PE_PROFILE set, the bridge started
  before the engine, pe-vtap0 on the bridge instead of pe-tap0), and back on the
  profile it had at the end, so other modules are unaffected: ping and ARP of
  the VIP, 20 LDAP sessions spread over both backends, a >1 MB search byte-
  identical to a direct one, and routing by bind DN (pytest/configs/ldap-policy.conf).
"""
import json
import os
import subprocess

import pytest

from testbed import engine, topo, vhost
from testbed.netns import run

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILE = "pmd-profiles/virtio.profile"
POLICY_CONF = os.path.join(REPO_ROOT, "pytest", "configs", "ldap-policy.conf")
CONF = "testbed/proxyengine.conf"
SESSIONS = 20
MIN_BYTES = 1 << 20


def profile_with_socket(tmp_path, sock):
    """pmd-profiles/virtio.profile with another socket path (the testbed's may be in use)."""
    with open(os.path.join(REPO_ROOT, PROFILE)) as f:
        text = f.read()
    assert "path=/tmp/pe-vhost.sock" in text
    path = tmp_path / "virtio.profile"
    path.write_text(text.replace("path=/tmp/pe-vhost.sock", f"path={sock}"))
    return str(path)


def check(profile, prefix):
    r = subprocess.run([engine.binary(), f"--file-prefix={prefix}", "-l", "0", "--", "--check",
                        "--profile", profile, "--config", CONF], cwd=REPO_ROOT, capture_output=True,
                       text=True, timeout=60)
    assert not os.path.exists(f"/var/run/dpdk/{prefix}"), "--check left its runtime dir"
    return r


def test_check_without_peer(tmp_path):
    sock = str(tmp_path / "absent.sock")
    r = check(profile_with_socket(tmp_path, sock), "pe-vcheck")
    assert r.returncode == 1, f"rc={r.returncode}\n{r.stdout}{r.stderr}"
    assert "ok: memory: --no-huge" in r.stdout, r.stdout
    assert "error:" in r.stdout and "no port found" in r.stdout and "net_virtio_user0" in r.stdout, r.stdout
    assert "check: FAILED, 1 error(s)" in r.stdout, r.stdout
    assert "connect error" in r.stderr, r.stderr  # virtio_user's own reason, from the EAL log


def test_check_with_bridge(tmp_path):
    sock = str(tmp_path / "vhost.sock")
    vb = vhost.VhostBridge(sock, tap="pe-vtapc0", file_prefix="pe-vcheck-vh",
                           log_path=str(tmp_path / "vhost_bridge.log"))
    vb.start()
    try:
        r = check(profile_with_socket(tmp_path, sock), "pe-vcheck")
    finally:
        rc = vb.stop()
    assert r.returncode == 0, f"rc={r.returncode}\n{r.stdout}{r.stderr}"
    assert "ok: port: exactly one, port 0 (net_virtio_user0)" in r.stdout, r.stdout
    assert "ok: port 0 (net_virtio_user): configured" in r.stdout, r.stdout
    assert "check: passed" in r.stdout, r.stdout
    assert rc == 0, f"vhost_bridge rc={rc}\n{vb.log_tail()}"
    log = vb.log_tail(200)
    assert "VHOST_USER_SET_MEM_TABLE" in log, log  # the engine's memory was shared with the bridge
    assert "vhost_bridge: stopped:" in log, log
    assert not topo.link_exists("pe-vtapc0") and not os.path.exists(sock)


@pytest.fixture(scope="module")
def vtb(tb):
    """The session testbed with its engine on the virtio profile for this module."""
    saved = os.environ.get("PE_PROFILE")
    os.environ["PE_PROFILE"] = PROFILE
    try:
        tb.restart_engine(None)
        yield tb
    finally:
        if saved is None:
            del os.environ["PE_PROFILE"]
        else:
            os.environ["PE_PROFILE"] = saved
        tb.restart_engine(None)


def test_engine_runs_on_virtio(vtb):
    eng = vtb.bed.engine
    assert eng.vhost is not None and eng.vhost.alive(), "no vhost_bridge with the virtio engine"
    assert PROFILE in eng.argv()
    assert not topo.link_exists(topo.TAP), "pe-tap0 exists: the engine is not on virtio"
    master = os.path.basename(os.readlink(f"/sys/class/net/{vhost.TAP}/master"))
    assert master == topo.BRIDGE, f"{vhost.TAP} is on {master}"
    assert "net_virtio_user" in eng.log_tail(100), eng.log_tail(100)
    assert "vhost_bridge: ready" in eng.vhost.log_tail(200)


def test_ping_and_arp_vip(vtb):
    before = vtb.stats()["icmp_echo_reply"]
    r = vtb.client(["ping", "-c", "3", "-W", "2", vtb.vip], check=False, timeout=20)
    assert r.returncode == 0, f"ping {vtb.vip}: rc={r.returncode}\n{r.stdout}{r.stderr}"
    assert vtb.stats()["icmp_echo_reply"] - before >= 3
    info = vtb.info()
    mac = info["mac"].lower()
    for ip in (vtb.vip, info["source"]):
        res = vtb.nsclient("arp", ip)
        assert res["hwsrc"] is not None and res["hwsrc"].lower() == mac, f"ARP {ip}: {res}, engine mac {mac}"


def served_by(ldif):
    return [line.split(": ", 1)[1] for line in ldif.splitlines() if line.startswith("description: ")]


def test_sessions_over_both_backends(vtb):
    before = vtb.backends()
    counts = {}
    for i in range(SESSIONS):
        r = vtb.ldapsearch(vtb.vip, vtb.suffix, "description", check=False)
        assert r.returncode == 0, f"session {i}: rc={r.returncode}: {r.stderr.strip()}"
        desc = served_by(r.stdout)
        assert len(desc) == 1 and desc[0].startswith("served-by "), f"session {i}: {r.stdout!r}"
        counts[desc[0].split()[1]] = counts.get(desc[0].split()[1], 0) + 1
    assert set(counts) == set(vtb.backend_names), counts
    after = vtb.backends()
    delta = {n: after[n]["selected"] - before[n]["selected"] for n in vtb.backend_names}
    assert delta == counts, f"/pe/backends selected grew by {delta}, sessions observed {counts}"


def tap_packets():
    """Kernel counters of pe-vtap0: rx = frames vhost_bridge wrote (from the engine),
    tx = frames the bridge read (toward the engine)."""
    s = json.loads(run(["ip", "-s", "-j", "link", "show", vhost.TAP], timeout=5).stdout)[0]["stats64"]
    return s["rx"]["packets"], s["tx"]["packets"]


def test_large_search_byte_identical(vtb):
    direct = vtb.ldapsearch(vtb.backend_ip("be1"), vtb.bulk_base, scope="sub", text=False).stdout
    assert len(direct) >= MIN_BYTES, f"direct search only {len(direct)} bytes"
    rx0, tx0 = tap_packets()
    for i in range(2):  # round-robin: one per backend
        r = vtb.ldapsearch(vtb.vip, vtb.bulk_base, scope="sub", text=False, check=False, timeout=60)
        assert r.returncode == 0, f"VIP search {i}: rc={r.returncode} {r.stderr!r}"
        assert r.stdout == direct, f"VIP search {i}: {len(r.stdout)} bytes, direct {len(direct)}"
    rx1, tx1 = tap_packets()
    # each search is > 700 full-size segments backend -> engine and engine -> client
    assert rx1 - rx0 > 1400 and tx1 - tx0 > 1400, f"pe-vtap0 rx +{rx1 - rx0}, tx +{tx1 - tx0}"


def test_ldap_routing_by_bind_dn(vtb):
    binds = {"be1": ("uid=alice,ou=people,dc=example,dc=com", "alicepw"),
             "be2": ("cn=admin,dc=example,dc=com", "adminpw")}
    with vtb.engine_config(POLICY_CONF):
        assert vtb.bed.engine.vhost is not None, "the policy engine is not on virtio"
        for want, (dn, pw) in binds.items():
            for i in range(3):
                r = vtb.ldapsearch(vtb.vip, vtb.suffix, "-D", dn, "-w", pw, "description", check=False)
                assert r.returncode == 0, f"{dn} #{i}: rc={r.returncode} {r.stderr.strip()}"
                assert served_by(r.stdout) == [f"served-by {want}"], f"{dn} #{i}: {r.stdout!r}"



def test_replay_subset_over_virtio(vtb):
    """A subset of the captures replays through the engine on virtio as on tap (issue 6:
    "a subset on the virtio profile"): the public OpenLDAP add session and the testbed's
    many-operations session, byte-exact both ways."""
    from testbed import replay
    from test_ber_captures import CAPTURES
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [os.path.join(CAPTURES, "zeek__ldap-add.pcap")] + \
        sorted(os.path.join(repo, "pcaps", f) for f in os.listdir(os.path.join(repo, "pcaps"))
               if f.startswith("many-ops"))
    assert len(paths) == 2 and all(os.path.exists(p) for p in paths), paths
    lines = []
    summary = replay.replay(paths, 389, engine=replay.on_testbed(vtb), out=lines.append)
    assert vtb.bed.engine.vhost is not None, "the replay did not run on virtio"
    assert summary.count("FAIL") == 0 and summary.count("PASS") >= 2, "\n".join(lines)
