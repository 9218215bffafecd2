#!/usr/bin/python3
"""Golden captures for the pcap profile's deterministic mode (issue 6).

    /usr/bin/python3 -m testbed.golden          make pcaps/golden/ again (needs build/proxyengine)

Each scenario is a conversation scapy holds with the engine through net_pcap:
a client (198.18.0.10) and the backends be1/be2 (198.18.0.11/12). Since the
engine's answers decide what comes next (its SYN cookie, its backend SYN from
its own port), the input is built in steps: the engine runs over the input so
far, the scenario reads what it sent and adds the next frames, 1 ms apart.
What is kept per scenario, in pcaps/golden/:

    NAME.conf         the engine config (a testbed config plus tcp.cookie_secret)
    NAME.in.pcap      the whole input
    NAME.out.pcap     what the engine sent for it
    NAME.counters     the counters it printed

pytest/test_golden.py runs the engine over every NAME.in.pcap and requires the
same NAME.out.pcap, bit for bit, and the same counters. NAME.out.pcap is the
engine's --record file, stamped with its own (the capture's) clock; net_pcap's
tx_pcap stamps the wall clock and is not used.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from .ber import bind_request, bind_response

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(REPO_ROOT, "pcaps", "golden")
BINARY = os.path.join(REPO_ROOT, os.environ.get("PE_BUILD_DIR", "build"), "proxyengine")
PROFILE = "pmd-profiles/pcap.profile"
SECRET = '\ntcp: { cookie_secret = "000102030405060708090a0b0c0d0e0f"; };\n'

ENGINE_MAC = "02:70:63:61:70:00"   # net_pcap's first port
CLIENT_MAC = "02:00:00:00:00:0a"
BE = {"be1": ("198.18.0.11", "02:00:00:00:00:0b"), "be2": ("198.18.0.12", "02:00:00:00:00:0c")}
VIP, SOURCE, CLIENT = "198.18.0.1", "198.18.0.2", "198.18.0.10"
T0 = 1700000000.0
LINUX_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)]


def run_engine(conf, pkts, workdir, name):
    """The engine over pkts: (returncode, stdout, output packets, stderr). The output is the
    engine's own --record file, record_path() (stamped with its clock: the same bytes every
    run); net_pcap's tx_pcap (wall clock) goes to NAME.tx.pcap and is not used."""
    from scapy.all import rdpcap, wrpcap
    cin = os.path.join(workdir, f"{name}.in.pcap")
    ctx, rec = os.path.join(workdir, f"{name}.tx.pcap"), record_path(workdir, name)
    wrpcap(cin, pkts)
    prefix = f"pe-golden-{os.getpid()}"
    try:
        r = subprocess.run([BINARY, f"--file-prefix={prefix}", "-l", "0", "--", "--deterministic",
                            "--record", rec, "--profile", PROFILE, "--config", conf], cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PE_PCAP_IN=cin, PE_PCAP_OUT=ctx))
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    out = rdpcap(rec) if os.path.exists(rec) and os.path.getsize(rec) > 24 else []
    return r.returncode, r.stdout, out, r.stderr


def record_path(workdir, name):
    """Where run_engine() has the engine record what it sent."""
    return os.path.join(workdir, f"{name}.out.pcap")


class Conversation:
    """The input built so far, and the engine's answer to it."""

    def __init__(self, conf, workdir, name):
        self.conf, self.workdir, self.name = conf, workdir, name
        self.pkts, self.t = [], T0
        self.out = []

    def add(self, *frames):
        for f in frames:
            self.t += 0.001
            f.time = self.t
            self.pkts.append(f)

    def run(self):
        rc, _, self.out, err = run_engine(self.conf, self.pkts, self.workdir, self.name)
        if rc != 0:
            raise RuntimeError(f"{self.name}: engine exit {rc}\n{err[-2000:]}")
        return self.out

    def sent(self, dst, flags=None):
        """TCP segments the engine sent to dst (an IPv4 address), optionally with these flags."""
        from scapy.all import IP, TCP
        return [p for p in self.out if TCP in p and p[IP].dst == dst and
                (flags is None or str(p[TCP].flags) == flags)]

    # -- frames ---------------------------------------------------------------------------
    def client(self, flags, seq, ack=0, payload=b"", options=None):
        from scapy.all import IP, TCP, Ether, Raw
        p = Ether(src=CLIENT_MAC, dst=ENGINE_MAC) / IP(src=CLIENT, dst=VIP) / \
            TCP(sport=40000, dport=389, flags=flags, seq=seq, ack=ack, window=64240,
                options=options if options is not None else [])
        return p / Raw(payload) if payload else p

    def backend(self, name, syn, flags, seq, ack, payload=b"", options=None):
        """From backend `name` to the engine's port of its SYN `syn`."""
        from scapy.all import IP, TCP, Ether, Raw
        ip, mac = BE[name]
        p = Ether(src=mac, dst=ENGINE_MAC) / IP(src=ip, dst=SOURCE) / \
            TCP(sport=389, dport=syn[TCP].sport, flags=flags, seq=seq, ack=ack, window=64240,
                options=options if options is not None else [])
        return p / Raw(payload) if payload else p

    def start(self):
        """The client asks for the VIP's MAC; the backends answer the engine's ARP requests."""
        from scapy.all import ARP, Ether
        self.add(Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") /
                 ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT, pdst=VIP))
        for ip, mac in BE.values():
            self.add(Ether(src=mac, dst=ENGINE_MAC) /
                     ARP(op=2, hwsrc=mac, psrc=ip, hwdst=ENGINE_MAC, pdst=SOURCE))

    def handshake(self, isn=1000):
        """SYN with Linux's options; returns the cookie SYN-ACK."""
        self.add(self.client("S", isn, options=LINUX_OPTS))
        self.run()
        return self.sent(CLIENT, "SA")[-1]

    def ts(self, val, ecr):
        return [("NOP", None), ("NOP", None), ("Timestamp", (val, ecr))]


def tsval(p):
    from scapy.all import TCP
    return dict(p[TCP].options).get("Timestamp", (0, 0))[0]


def bound(c, payload):
    """Handshake, then the first payload: the backend SYN the engine sent, and the SYN-ACK."""
    from scapy.all import TCP
    sa = c.handshake()
    c.add(c.client("PA", 1001, sa[TCP].seq + 1, payload, c.ts(1001, tsval(sa))))
    c.run()
    return sa, c.sent(BE["be1"][0], "S") + c.sent(BE["be2"][0], "S")


def backend_name(syn):
    from scapy.all import IP
    return next(n for n, (ip, _) in BE.items() if ip == syn[IP].dst)


def connected(c, payload, response):
    """A whole delayed binding: the backend accepts, acknowledges the payload and answers."""
    from scapy.all import TCP
    sa, syns = bound(c, payload)
    syn = syns[0]
    name = backend_name(syn)
    b_isn = 7000
    c.add(c.backend(name, syn, "SA", b_isn, syn[TCP].seq + 1,
                    options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (50000, tsval(syn))),
                             ("NOP", None), ("WScale", 7)]))
    c.run()
    relayed = [p for p in c.sent(BE[name][0]) if bytes(p[TCP].payload)]
    # what the backend got (a rewrite may have changed the length), acknowledged whole
    c_nxt = relayed[-1][TCP].seq + len(bytes(relayed[-1][TCP].payload))
    c.add(c.backend(name, syn, "PA", b_isn + 1, c_nxt, response, c.ts(50001, tsval(relayed[-1]))))
    return sa, syn, name, b_isn


# -- the scenarios ------------------------------------------------------------------------

def sc_handshake(c):
    """A Linux SYN gets the cookie SYN-ACK with MSS, SACK, timestamps and window scale."""
    c.start()
    c.handshake()


def sc_cookie_validation(c):
    """An ACK with a wrong cookie gets a RST; the right one creates the entry silently."""
    from scapy.all import TCP
    c.start()
    sa = c.handshake()
    c.add(c.client("A", 1001, sa[TCP].seq + 2, options=c.ts(1001, tsval(sa))))
    c.add(c.client("A", 1001, sa[TCP].seq + 1, options=c.ts(1002, tsval(sa))))


def sc_delayed_binding(c):
    """The first payload binds: a backend SYN with the client's ISN and options, the held
    payload after the backend's SYN-ACK, the backend's answer relayed back translated."""
    c.start()
    connected(c, bind_request(1, "cn=admin,dc=example,dc=com", "adminpw"), bind_response(1))


def sc_held_retransmission(c):
    """The backend accepts but never acknowledges the payload: the engine resends it with
    backoff (virtual time), then resets both sides."""
    from scapy.all import TCP
    c.start()
    sa, syns = bound(c, bind_request(1, "cn=admin,dc=example,dc=com", "adminpw"))
    syn = syns[0]
    c.add(c.backend(backend_name(syn), syn, "SA", 7000, syn[TCP].seq + 1,
                    options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (50000, tsval(syn))),
                             ("NOP", None), ("WScale", 7)]))


def answered(c, req):
    """A delayed binding through to the answer reaching the client: (syn, name, b_isn,
    the client's next sequence number, the end of the answer in the client's numbers, answer)."""
    from scapy.all import TCP
    sa, syn, name, b_isn = connected(c, req, bind_response(1))
    c.run()
    answer = c.sent(CLIENT, "PA")[-1]
    return syn, name, b_isn, syn[TCP].seq + 1 + len(req), \
        answer[TCP].seq + len(bytes(answer[TCP].payload)), answer


def sc_idle_timeout(c):
    """A bound connection with nothing more to say: the client acknowledges the answer, then
    silence; the idle timeout (virtual 300 s) resets both sides."""
    c.start()
    syn, name, b_isn, c_nxt, a_end, answer = answered(
        c, bind_request(1, "cn=admin,dc=example,dc=com", "adminpw"))
    c.add(c.client("A", c_nxt, a_end, options=c.ts(1003, tsval(answer))))


def sc_clean_close(c):
    """After the answer, the client closes, the backend closes: FINs relayed both ways, the
    last ACK relayed, nothing reset."""
    from scapy.all import TCP
    c.start()
    syn, name, b_isn, c_fin, a_end, answer = answered(
        c, bind_request(1, "cn=admin,dc=example,dc=com", "adminpw"))
    c.add(c.client("FA", c_fin, a_end, options=c.ts(1003, tsval(answer))))
    c.run()
    fin = c.sent(BE[name][0], "FA")[-1]
    b_fin = b_isn + 1 + len(bind_response(1))
    c.add(c.backend(name, syn, "FA", b_fin, c_fin + 1, options=c.ts(50002, tsval(fin))))
    c.run()
    bfin = c.sent(CLIENT, "FA")[-1]
    c.add(c.client("A", c_fin + 1, bfin[TCP].seq + 1, options=c.ts(1004, tsval(bfin))))


def sc_ldap_route_admin(c):
    """LDAP policy: a bind as cn=admin goes to the admin pool (be2)."""
    c.start()
    bound(c, bind_request(1, "cn=admin,dc=example,dc=com", "adminpw"))


def sc_ldap_anonymous_refused(c):
    """LDAP policy: an anonymous bind gets BindResponse unwillingToPerform and a FIN."""
    from scapy.all import TCP
    c.start()
    sa = c.handshake()
    c.add(c.client("PA", 1001, sa[TCP].seq + 1, bind_request(1, "", ""), c.ts(1001, tsval(sa))))


def sc_ldap_rewrite(c):
    """LDAP rewrite: the bind DN under dc=corp,dc=example reaches the backend under
    dc=example,dc=com (one byte shorter); the client's ACK of the response reaches the
    backend mapped back across the shorter request."""
    c.start()
    syn, name, b_isn, c_nxt, a_end, answer = answered(
        c, bind_request(1, "cn=admin,dc=corp,dc=example", "adminpw"))
    c.add(c.client("A", c_nxt, a_end, options=c.ts(1003, tsval(answer))))


SCENARIOS = {
    "handshake": ("testbed/proxyengine.conf", sc_handshake),
    "cookie-validation": ("testbed/proxyengine.conf", sc_cookie_validation),
    "delayed-binding": ("testbed/proxyengine.conf", sc_delayed_binding),
    "held-retransmission": ("testbed/proxyengine.conf", sc_held_retransmission),
    "idle-timeout": ("testbed/proxyengine.conf", sc_idle_timeout),
    "clean-close": ("testbed/proxyengine.conf", sc_clean_close),
    "ldap-route-admin": ("pytest/configs/ldap-policy.conf", sc_ldap_route_admin),
    "ldap-anonymous-refused": ("pytest/configs/ldap-policy.conf", sc_ldap_anonymous_refused),
    "ldap-rewrite": ("pytest/configs/ldap-rewrite.conf", sc_ldap_rewrite),
}


def make(name, workdir):
    """Build scenario `name`'s input; write its golden files. Returns the counters text."""
    from scapy.all import wrpcap
    base, fn = SCENARIOS[name]
    conf = os.path.join(GOLDEN, f"{name}.conf")
    with open(os.path.join(REPO_ROOT, base)) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(f"# made by testbed/golden.py from {base}, plus a cookie secret\n" + text + SECRET)
    c = Conversation(conf, workdir, name)
    fn(c)
    rc, counters, out, err = run_engine(conf, c.pkts, workdir, name)
    if rc != 0:
        raise RuntimeError(f"{name}: engine exit {rc}\n{err[-2000:]}")
    wrpcap(os.path.join(GOLDEN, f"{name}.in.pcap"), c.pkts)
    shutil.copyfile(record_path(workdir, name), os.path.join(GOLDEN, f"{name}.out.pcap"))
    with open(os.path.join(GOLDEN, f"{name}.counters"), "w") as f:
        f.write(counters)
    return counters


def main():
    os.makedirs(GOLDEN, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pe-golden-") as workdir:
        for name in SCENARIOS:
            counters = make(name, workdir)
            print(f"{name}: {len(counters.splitlines())} counters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
