"""TCP options bridged between a Linux client and backends that negotiate differently.

The client (Linux defaults: MSS 1460, SACK, timestamps, window scale 10 or so)
talks to the engine, which offers window scale 7; the backends are switched,
per netns, to other TCP settings. Each mismatch the engine must bridge is then
exercised by real Linux TCP at both ends, and the results must be byte-exact:

- backends without timestamps, SACK and window scaling: the engine adds
  timestamps toward the client, rescales every window, strips SACK blocks;
- backends advertising a small MSS (route advmss 536): the engine splits the
  client's full-sized segments.
Counters show that each path was taken.
"""
import contextlib
import hashlib
import json
import os

from testbed import topo
from testbed.netns import run

PY = "/usr/bin/python3"
BACKEND_NS = list(topo.BACKEND_NS.values())
TCP_SYSCTLS = ("net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack", "net.ipv4.tcp_window_scaling")


def sysctl_get(ns, key):
    return run(["ip", "netns", "exec", ns, "sysctl", "-n", key]).stdout.strip()


def sysctl_set(ns, key, value):
    run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}"])


@contextlib.contextmanager
def backends_sysctl(values):
    """Set TCP sysctls in every backend netns; restore the previous values afterwards."""
    saved = {(ns, k): sysctl_get(ns, k) for ns in BACKEND_NS for k in values}
    try:
        for ns in BACKEND_NS:
            for k, v in values.items():
                sysctl_set(ns, k, v)
        yield
    finally:
        for (ns, k), v in saved.items():
            sysctl_set(ns, k, v)


def connected_route(ns):
    """The netns's connected route to 198.18.0.0/24, as `ip route` prints it."""
    out = run(["ip", "-n", ns, "-4", "route", "show", "198.18.0.0/24"]).stdout.strip()
    assert out, f"no 198.18.0.0/24 route in {ns}"
    return out.split()


@contextlib.contextmanager
def backends_advmss(mss):
    """Make every backend advertise MSS @mss (route advmss); restore the route afterwards."""
    saved = {ns: connected_route(ns) for ns in BACKEND_NS}
    try:
        for ns, route in saved.items():
            run(["ip", "-n", ns, "route", "change", *route, "advmss", str(mss)])
        yield
    finally:
        for ns, route in saved.items():
            run(["ip", "-n", ns, "route", "change", *route], check=False)


def delta(after, before, *names):
    return {n: after.get(n, 0) - before.get(n, 0) for n in names}


def direct_and_vip_search(tb):
    direct = tb.ldapsearch(tb.backend_ip("be1"), tb.bulk_base, scope="sub", text=False).stdout
    assert len(direct) > 1 << 20
    for i in range(2):  # one session per backend (round-robin)
        r = tb.ldapsearch(tb.vip, tb.bulk_base, scope="sub", text=False, check=False, timeout=60)
        assert r.returncode == 0, f"VIP search {i}: rc={r.returncode} {r.stderr!r}"
        assert hashlib.sha256(r.stdout).hexdigest() == hashlib.sha256(direct).hexdigest(), (
            f"VIP search {i}: {len(r.stdout)} bytes, direct {len(direct)} bytes")


def test_backend_without_timestamps_sack_wscale(tb):
    """Client with every option, backends with none: >1 MB search byte-exact, timestamps added."""
    before = tb.stats()
    with backends_sysctl({k: "0" for k in TCP_SYSCTLS}):
        direct_and_vip_search(tb)
    d = delta(tb.stats(), before, "ts_inserted", "ts_insert_no_room", "cookie_ts_options",
              "drop_out_of_window", "backend_connected")
    assert d["backend_connected"] >= 2, d
    assert d["cookie_ts_options"] >= 2, d        # the client's wscale/SACK came back in the cookie
    assert d["ts_inserted"] > 700, d             # every data segment toward the client got one
    assert d["ts_insert_no_room"] == 0, d
    assert d["drop_out_of_window"] == 0, d


# Runs in pe-client: one ldap3 connection adds an entry with a large attribute,
# reads it back, deletes it, and prints JSON.
ADD_BIG = r"""
import json, sys
from ldap3 import BASE, Connection, Server
host, bind_dn, pw, dn, value = sys.argv[1:6]
conn = Connection(Server(host, port=389, get_info=None, connect_timeout=5), user=bind_dn,
                  password=pw, auto_bind=True, receive_timeout=20)
added = conn.add(dn, ["top", "organizationalRole"], {"description": value})
add_result = conn.result["description"]
conn.search(dn, "(objectClass=*)", BASE, attributes=["description"])
back = [e.description.value for e in conn.entries]
conn.delete(dn)
conn.unbind()
print(json.dumps({"added": added, "add_result": add_result, "read_back": back[0] if back else None}))
"""


def test_backend_small_mss_splits_client_segments(tb):
    """Backends advertising MSS 536: a 20 kB entry added through the VIP arrives whole, split."""
    value = hashlib.sha256(b"pe-split").hexdigest() * 320   # 20480 bytes of attribute value
    dn = f"cn=split-test-{os.getpid()},{tb.suffix}"
    before = tb.stats()
    with backends_advmss(536):
        r = tb.client([PY, "-c", ADD_BIG, tb.vip, tb.root_dn, tb.root_pw, dn, value], timeout=60)
    got = json.loads(r.stdout)
    d = delta(tb.stats(), before, "segments_split", "drop_out_of_window")
    assert got["added"], got["add_result"]
    assert got["read_back"] == value, "entry read back differs"
    assert d["segments_split"] > 0, d
    assert d["drop_out_of_window"] == 0, d
