#!/usr/bin/python3
"""Instructions per proxied connection and per established packet, counted by
valgrind's callgrind over the pcap profile's deterministic mode (issue 7).

    /usr/bin/python3 -m testbed.callgrind [--n 200] [--k 50] [--pkt-n 20] [--config ldap|plain|both]

prints a table, the callgrind top lists and, as its last line, one JSON object.
From Python (testbed/bench.py):

    from testbed import callgrind
    callgrind.instructions_per_conn(n=200, config="ldap")   # dict, see instructions_per_conn()
    callgrind.instructions_per_pkt(n=20, k=50, config="ldap")

Why callgrind: this machine's perf has no hardware counters, and wall-clock
cycles are noisy; an instruction count under callgrind is the same every run.

Method. The input is a capture of N LDAP sessions of one client each (198.18.0.10,
source ports 40000+i): handshake with Linux's options, a simple BindRequest,
the backend's BindResponse, K times a SearchRequest answered by a SearchResultEntry
and a SearchResultDone, an UnbindRequest, FINs both ways and the last ACK. Since
the engine's answers decide what comes next (its SYN cookies, its backend SYNs),
the capture is built as golden.py builds its scenarios, but for all sessions at
once, phase by phase: run the engine over the input so far (testbed.golden.run_engine),
read what it sent to every client and backend, append every session's next
frames. That is 8 engine runs whatever N is. Search rounds 2..K are not run one
by one: once round 1 has shown how the engine maps sequence numbers between the
two halves (a constant offset per direction without a rewrite), the remaining
rounds are written from it; the final run's checks below prove the prediction.

The final capture runs once under

    valgrind --tool=callgrind --dump-before=pe_worker_loop --dump-after=pe_worker_loop \
        build/proxyengine --file-prefix=P -l 0 -- --deterministic --record OUT \
        --profile pmd-profiles/pcap.profile --config CONF

(DPDK 22.11 runs under valgrind 3.19 here as it is: --no-huge memory, IOVA as VA
chosen by EAL itself, no extra EAL or valgrind options.) The dumps split the run
into startup, the worker loop and teardown; the worker loop (part 2: every frame
received, processed and sent, and the timers until the last connection is freed)
is the figure. A run counts only if the engine exited 0, its counters show every
connection created, relayed FINs both ways and freed, no drop_*, reset,
retransmission or timeout counter moved, and its --record output holds, for every
session, exactly the expected bytes toward the client and toward the backend.

    instructions per connection = (Ir_loop(N) - Ir_loop(base)) / (N - base)
    instructions per packet     = (Ir_loop(K) - Ir_loop(1)) / (rx_packets(K) - rx_packets(1))

Repeatability: the engine's part of a run (worker loop minus the pcap port) is the same
count, instruction for instruction, on every run; the pcap port's file I/O (libc stdio)
varies by a few hundred instructions per run, i.e. a few per connection at N=200.
The binary is golden.BINARY: build/proxyengine, or PE_BUILD_DIR/proxyengine (an absolute
PE_BUILD_DIR measures another build, e.g. a clean checkout's).

"engine" figures leave out what the pcap port itself costs (librte_net_pcap and
libpcap: reading the file, writing the tx capture) and the --record writer: the
inclusive cost of every call from outside those into them.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from . import golden
from .ber import bind_request, bind_response, tlv

REPO_ROOT = golden.REPO_ROOT
CONFIGS = {
    # inspector on (stream path): LDAP routing by bind DN, as golden's LDAP scenarios
    "ldap": "pytest/configs/ldap-policy.conf",
    # delayed binding without an inspector: the testbed's default config
    "plain": "testbed/proxyengine.conf",
}
STEP = 20e-6          # seconds between input frames: far below every engine timer
CLIENT_PORT0 = 40000
MOD = 1 << 32
# the per-session bind DNs, alternating; with the LDAP policy admin goes to be2, people to be1
BINDS = [("cn=admin,dc=example,dc=com", "adminpw", "be2"),
         ("uid=alice,ou=people,dc=example,dc=com", "alicepw", "be1")]
BASE_DN = "dc=example,dc=com"
# counters that must not move in a clean run (besides every drop_*)
BAD = {"rst_sent", "rst_relayed_c2b", "rst_relayed_b2c", "state_reset", "no_backend",
       "backend_fail_open", "backend_syn_retx", "backend_refused", "backend_timeout",
       "backend_unreachable", "backend_failover", "held_retx", "held_retx_exhausted",
       "challenge_ack_sent", "challenge_ack_limited", "idle_timeout", "arp_resolve_failed",
       "conn_closed_empty", "inspect_drop", "inspect_reset", "inspect_refuse",
       "inspect_malformed", "inspect_limit_pass", "inspect_limit_reset", "inspect_bad_verdict",
       "stream_ooo_held", "stream_fast_resent", "stream_sack_resent", "stream_window_probe",
       "stream_resent", "stream_retx_exhausted"}
# objects whose cost is the pcap port's, not the engine's
IO_OBJECTS = ("librte_net_pcap", "libpcap")
IO_FUNCTIONS = ("pe_record_frame",)


# -- LDAP messages (RFC 4511), on testbed/ber.py ---------------------------------------------

def ber_int(v):
    """INTEGER contents: minimal two's complement."""
    n = 1
    while not -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
        n += 1
    return v.to_bytes(n, "big", signed=True)


def message(msg_id, op):
    return tlv(0x30, tlv(0x02, ber_int(msg_id)) + op)


def search_request(msg_id, base):
    """base-object search for (objectClass=*), attribute description."""
    return message(msg_id, tlv(0x63, tlv(0x04, base.encode()) + tlv(0x0a, b"\x00") +
                               tlv(0x0a, b"\x00") + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") +
                               tlv(0x01, b"\x00") + tlv(0x87, b"objectClass") +
                               tlv(0x30, tlv(0x04, b"description"))))


def search_entry(msg_id, dn, value):
    attr = tlv(0x30, tlv(0x04, b"description") + tlv(0x31, tlv(0x04, value.encode())))
    return message(msg_id, tlv(0x64, tlv(0x04, dn.encode()) + tlv(0x30, attr)))


def search_done(msg_id):
    return message(msg_id, tlv(0x65, tlv(0x0a, b"\x00") + tlv(0x04, b"") + tlv(0x04, b"")))


def unbind_request(msg_id):
    return message(msg_id, b"\x42\x00")


# -- the capture ----------------------------------------------------------------------------

class Session:
    """One client connection and its backend half, as the capture's author sees them.
    c_seq/b_seq: the next sequence number the client/backend sends; c_ack/b_ack: what
    it has received from the engine (next expected), learned from the engine's output."""

    def __init__(self, i):
        self.i = i
        self.sport = CLIENT_PORT0 + i
        self.isn = (1000 + i * 1000003) % MOD
        self.dn, self.pw, self.policy_backend = BINDS[i % len(BINDS)]
        self.c_seq = (self.isn + 1) % MOD
        self.c_ts = 1000 + i
        self.sa = self.syn = self.name = None
        self.c_ack = self.b_ack = None
        self.c_ecr = self.b_ecr = 0
        self.b_isn = 7000 + i
        self.b_seq = self.b_isn + 1
        self.b_ts = 50000 + i
        self.to_backend, self.to_client = b"", b""
        self.msg_id = 1


class Load(golden.Conversation):
    """N sessions advanced together; frames STEP apart instead of golden's 1 ms."""

    def __init__(self, conf, workdir, name, n):
        super().__init__(conf, workdir, name)
        self.sessions = [Session(i) for i in range(n)]
        self.runs = 0

    def add(self, *frames):
        for f in frames:
            self.t += STEP
            f.time = round(self.t, 6)
            self.pkts.append(f)

    def run(self):
        self.runs += 1
        return super().run()

    def now_out(self):
        """What the engine sent while reading the input: not what its timers sent after the
        input's end (retransmissions, timeouts in virtual time the next frames will precede)."""
        return [p for p in self.out if float(p.time) <= self.t + 1e-6]

    def cframe(self, s, flags, payload=b"", fin=False):
        from scapy.all import IP, TCP, Ether, Raw
        s.c_ts += 1
        p = Ether(src=golden.CLIENT_MAC, dst=golden.ENGINE_MAC) / \
            IP(src=golden.CLIENT, dst=golden.VIP) / \
            TCP(sport=s.sport, dport=389, flags=flags, seq=s.c_seq, ack=s.c_ack, window=502,
                options=self.ts(s.c_ts, s.c_ecr))
        s.c_seq = (s.c_seq + len(payload) + (1 if fin else 0)) % MOD
        s.to_backend += payload
        return p / Raw(payload) if payload else p

    def bframe(self, s, flags, payload=b"", fin=False):
        s.b_ts += 1
        p = self.backend(s.name, s.syn, flags, s.b_seq, s.b_ack, payload,
                         self.ts(s.b_ts, s.b_ecr))
        p["TCP"].window = 509
        s.b_seq = (s.b_seq + len(payload) + (1 if fin else 0)) % MOD
        s.to_client += payload
        return p

    def learn(self):
        """Each session's c_ack/b_ack and timestamp echoes from what the engine sent."""
        from scapy.all import IP, TCP
        by_client, by_backend = {}, {}
        for p in self.now_out():
            if TCP not in p:
                continue
            if p[IP].dst == golden.CLIENT:
                by_client.setdefault(p[TCP].dport, []).append(p)
            elif p[TCP].dport == 389:
                by_backend.setdefault(p[TCP].sport, []).append(p)
        for s in self.sessions:
            if s.sa is not None:
                s.c_ack, ecr = next_expected(s.sa[TCP].seq, by_client.get(s.sport, []))
                s.c_ecr = ecr or s.c_ecr
            if s.syn is not None:
                s.b_ack, ecr = next_expected(s.syn[TCP].seq, by_backend.get(s.syn[TCP].sport, []))
                s.b_ecr = ecr or s.b_ecr


def next_expected(isn, segs):
    """The receiver's next expected sequence number after segs (which start at SYN isn),
    and the last TSval among them."""
    from scapy.all import TCP
    far, ecr = 1, 0
    for p in segs:
        t = p[TCP]
        end = (t.seq - isn) % MOD + len(bytes(t.payload)) + (1 if "F" in str(t.flags) else 0) \
            + (1 if "S" in str(t.flags) else 0)
        far = max(far, end)
        ecr = golden.tsval(p) or ecr
    return (isn + far) % MOD, ecr


def build(conf, workdir, name, n, k=1):
    """The whole input for n sessions with k searches each; returns the Load."""
    from scapy.all import IP, TCP
    c = Load(conf, workdir, name, n)
    c.start()
    if n == 0:
        return c
    S = c.sessions
    # 1: SYNs -> cookie SYN-ACKs
    for s in S:
        c.add(c.client("S", s.isn, options=golden.LINUX_OPTS))
        c.pkts[-1][TCP].sport = s.sport
    c.run()
    for s in S:
        sas = [p for p in c.sent(golden.CLIENT, "SA") if p[TCP].dport == s.sport]
        if not sas:
            raise RuntimeError(f"{name}: no SYN-ACK for client port {s.sport}")
        s.sa = sas[-1]
    c.learn()
    # 2: ACK, BindRequest -> backend SYNs (the client's ISN, from the engine's ports)
    for s in S:
        c.add(c.cframe(s, "A"))
    for s in S:
        c.add(c.cframe(s, "PA", bind_request(s.msg_id, s.dn, s.pw)))
    c.run()
    syns = {p[TCP].seq: p for p in c.now_out()
            if TCP in p and str(p[TCP].flags) == "S" and p[TCP].dport == 389}
    for s in S:
        if s.isn not in syns:
            raise RuntimeError(f"{name}: no backend SYN for session {s.i}")
        s.syn = syns[s.isn]
        s.name = golden.backend_name(s.syn)
        s.b_ack = (s.syn[TCP].seq + 1) % MOD
    c.learn()
    # 3: the backends accept -> the engine sends them the held BindRequest
    for s in S:
        c.add(c.backend(s.name, s.syn, "SA", s.b_isn, s.b_ack,
                        options=[("MSS", 1460), ("SAckOK", b""),
                                 ("Timestamp", (s.b_ts, golden.tsval(s.syn))),
                                 ("NOP", None), ("WScale", 7)]))
    c.run()
    c.learn()
    # 4: BindResponse -> relayed to the clients
    for s in S:
        c.add(c.bframe(s, "PA", bind_response(s.msg_id)))
    c.run()
    c.learn()
    # 5, 6: the first search round, run; the others written from its sequence offsets
    for r in range(k):
        for s in S:
            s.msg_id += 1
            c.add(c.cframe(s, "PA", search_request(s.msg_id, BASE_DN)))
        if r == 0:
            c.run()
            c.learn()
        else:
            for s in S:
                s.b_ack = (s.c_seq + s.d_c2b) % MOD
        for s in S:
            c.add(c.bframe(s, "PA", search_entry(s.msg_id, BASE_DN, f"served-by {s.name}")))
            c.add(c.bframe(s, "PA", search_done(s.msg_id)))
        if r == 0:
            c.run()
            c.learn()
            for s in S:
                s.d_c2b = (s.b_ack - s.c_seq) % MOD
                s.d_b2c = (s.c_ack - s.b_seq) % MOD
        else:
            for s in S:
                s.c_ack = (s.b_seq + s.d_b2c) % MOD
    if k > 1:     # a run to learn the timestamps the engine sent last
        c.run()
        c.learn()
    # 7: UnbindRequest and the client's FIN -> relayed to the backends
    for s in S:
        s.msg_id += 1
        c.add(c.cframe(s, "PA", unbind_request(s.msg_id)))
    for s in S:
        c.add(c.cframe(s, "FA", fin=True))
    c.run()
    c.learn()
    # 8: the backends' FIN -> relayed to the clients
    for s in S:
        c.add(c.bframe(s, "FA", fin=True))
    c.run()
    c.learn()
    # the clients' last ACK
    for s in S:
        c.add(c.cframe(s, "A"))
    return c


# -- checking a run -------------------------------------------------------------------------

def parse_counters(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def stream(isn, segs):
    """The bytes of segs (a half connection starting at SYN isn) in sequence order, each
    byte once; None where a hole is left."""
    from scapy.all import TCP
    data = {}
    for p in segs:
        pl = bytes(p[TCP].payload)
        if pl:
            data.setdefault((p[TCP].seq - isn - 1) % MOD, pl)
    out, pos = b"", 0
    for off in sorted(data):
        pl = data[off]
        if off > pos:
            return None
        out += pl[pos - off:]
        pos = max(pos, off + len(pl))
    return out


def check(c, counters, out, config):
    """Problems with a final run (an empty list when it did exactly what it should)."""
    from scapy.all import IP, TCP
    n = len(c.sessions)
    problems = []
    bad = {k: v for k, v in counters.items() if v and (k.startswith("drop_") or k in BAD)}
    if bad:
        problems.append(f"counters that must stay 0: {bad}")
    if counters.get("rx_packets", 0) != len(c.pkts):
        problems.append(f"rx_packets {counters.get('rx_packets')}, input {len(c.pkts)} frames")
    # FINs are checked on the output below, and counted both ways
    for key in ("conn_created", "conn_freed", "backend_connected", "state_time_wait",
                "fin_relayed_c2b", "fin_relayed_b2c"):
        if counters.get(key, 0) != n:
            problems.append(f"{key} {counters.get(key, 0)}, want {n}")
    rsts = [p for p in out if TCP in p and "R" in str(p[TCP].flags)]
    if rsts:
        problems.append(f"{len(rsts)} RST sent")
    by_client, by_backend = {}, {}
    for p in out:
        if TCP in p:
            if p[IP].dst == golden.CLIENT:
                by_client.setdefault(p[TCP].dport, []).append(p)
            else:
                by_backend.setdefault(p[TCP].sport, []).append(p)
    for s in c.sessions:
        segs_c = by_client.get(s.sport, [])
        segs_b = by_backend.get(s.syn[TCP].sport, [])
        if stream(s.sa[TCP].seq, segs_c) != s.to_client:
            problems.append(f"session {s.i}: bytes to the client differ from the backend's")
        if stream(s.syn[TCP].seq, segs_b) != s.to_backend:
            problems.append(f"session {s.i}: bytes to {s.name} differ from the client's")
        if not any("F" in str(p[TCP].flags) for p in segs_c) or \
                not any("F" in str(p[TCP].flags) for p in segs_b):
            problems.append(f"session {s.i}: a FIN missing")
        if config == "ldap" and s.name != s.policy_backend:
            problems.append(f"session {s.i}: {s.dn} went to {s.name}, policy says "
                            f"{s.policy_backend}")
        if len(problems) > 20:
            break
    return problems


# -- callgrind ------------------------------------------------------------------------------

def valgrind_available():
    return shutil.which("valgrind") is not None


def callgrind_run(conf, pkts, workdir, name):
    """The engine over pkts under callgrind: (returncode, stdout, recorded packets, stderr,
    {part: path}) with parts 1 (startup), 2 (pe_worker_loop), 3 (teardown)."""
    from scapy.all import rdpcap, wrpcap
    cin = os.path.join(workdir, f"{name}.in.pcap")
    ctx = os.path.join(workdir, f"{name}.tx.pcap")
    rec = os.path.join(workdir, f"{name}.cg-record.pcap")
    cgo = os.path.join(workdir, f"{name}.callgrind")
    wrpcap(cin, pkts)
    prefix = f"pe-callgrind-{os.getpid()}"
    try:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--compress-strings=no",
                            "--compress-pos=no", "--dump-before=pe_worker_loop",
                            "--dump-after=pe_worker_loop", f"--callgrind-out-file={cgo}",
                            golden.BINARY, f"--file-prefix={prefix}", "-l", "0", "--",
                            "--deterministic", "--record", rec, "--profile", golden.PROFILE,
                            "--config", conf], cwd=REPO_ROOT, capture_output=True, text=True,
                           timeout=1800, env=dict(os.environ, PE_PCAP_IN=cin, PE_PCAP_OUT=ctx))
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    out = rdpcap(rec) if os.path.exists(rec) and os.path.getsize(rec) > 24 else []
    parts = {1: cgo + ".1", 2: cgo + ".2", 3: cgo}
    return r.returncode, r.stdout, out, r.stderr, parts


def read_profile(path):
    """A callgrind file (uncompressed names and positions): {'total': Ir,
    'self': {fn: Ir}, 'incl': {fn: Ir}, 'calls': {(caller, callee): inclusive Ir}} where
    fn is (object basename, function name)."""
    selfc, calls, total = {}, {}, 0
    ob = fn = cob = cfn = None
    in_call = False
    with open(path) as f:
        for line in f:
            if line[0].isdigit() or line[0] in "+-*":
                if fn is None:
                    continue
                cost = line.split()
                ir = int(cost[1]) if len(cost) > 1 else 0
                if in_call:
                    key = (fn, (cob or ob, cfn))
                    calls[key] = calls.get(key, 0) + ir
                    in_call = False
                    cob = None
                else:
                    selfc[fn] = selfc.get(fn, 0) + ir
                continue
            key, _, val = line.rstrip("\n").partition("=")
            if key == "ob":
                ob = os.path.basename(val)
            elif key == "fn":
                fn = (ob, val)
            elif key == "cob":
                cob = os.path.basename(val)
            elif key == "cfn":
                cfn = val
            elif key == "calls":
                in_call = True
            elif line.startswith("totals:"):
                total = int(line.split()[1])
    incl = dict(selfc)
    for (a, b), ir in calls.items():
        if a != b:
            incl[a] = incl.get(a, 0) + ir
    return {"total": total or sum(selfc.values()), "self": selfc, "incl": incl, "calls": calls}


def io_cost(prof):
    """Ir of the pcap port and the --record writer: calls from outside into them."""
    def is_io(fn):
        return fn[0].startswith(IO_OBJECTS) or fn[1] in IO_FUNCTIONS
    return sum(ir for (a, b), ir in prof["calls"].items() if is_io(b) and not is_io(a))


def measure(config, n, k, workdir, keep=False):
    """Build the capture for n sessions of k searches, run it under callgrind, check it.
    Raises RuntimeError when the run is not exactly right (no figure from a wrong run)."""
    base = CONFIGS[config]
    conf = os.path.join(workdir, f"{config}.conf")
    with open(os.path.join(REPO_ROOT, base)) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(f"# testbed/callgrind.py: {base} plus a cookie secret\n" + text + golden.SECRET)
    name = f"{config}-n{n}-k{k}"
    c = build(conf, workdir, name, n, k)
    rc, stdout, out, err, parts = callgrind_run(conf, c.pkts, workdir, name)
    if rc != 0:
        raise RuntimeError(f"{name}: engine under callgrind exit {rc}\n{err[-3000:]}")
    if not os.path.exists(parts[2]):
        raise RuntimeError(f"{name}: callgrind wrote no worker-loop dump ({parts[2]})\n"
                           f"{err[-3000:]}")
    counters = parse_counters(stdout)
    problems = check(c, counters, out, config) if n else []
    if n == 0 and counters.get("rx_packets", 0) != len(c.pkts):
        problems.append(f"rx_packets {counters.get('rx_packets')}, input {len(c.pkts)}")
    if problems:
        raise RuntimeError(f"{name}: wrong run, no figure:\n  " + "\n  ".join(problems[:20]))
    loop = read_profile(parts[2])
    totals = {p: read_profile(parts[p])["total"] for p in (1, 3)}
    res = {"config": config, "conf": base, "n": n, "k": k, "engine_runs": c.runs,
           "input_frames": len(c.pkts), "output_frames": len(out), "counters": counters,
           "ir_loop": loop["total"], "ir_io": io_cost(loop),
           "ir_program": loop["total"] + totals[1] + totals[3], "profile": loop}
    if not keep:
        for p in parts.values():
            if os.path.exists(p):
                os.unlink(p)
    return res


def top_list(big, small, per, count=15):
    """Functions by Ir per unit (inclusive and self), big minus small run, divided by per."""
    def diff(kind):
        a, b = big["profile"][kind], small["profile"][kind]
        return {fn: (a.get(fn, 0) - b.get(fn, 0)) / per for fn in set(a) | set(b)}
    lines = []
    incl = diff("incl")
    # the worker loop's callers (main, libc's start) and its own split-off part add nothing
    whole = max(v for fn, v in incl.items() if fn[1] == "pe_worker_loop")
    outer = {fn for fn, v in incl.items() if v >= whole * 0.999 and fn[1] != "pe_worker_loop"}
    for kind, title in (("incl", "inclusive"), ("self", "self")):
        d = diff(kind)
        lines.append(f"  {title:>9} Ir  function [object]")
        ranked = [(fn, v) for fn, v in d.items() if fn not in outer]
        for fn, v in sorted(ranked, key=lambda kv: -kv[1])[:count]:
            lines.append(f"  {v:12.0f}  {fn[1]} [{fn[0]}]")
        lines.append("")
    return "\n".join(lines)


def _workdir(workdir):
    if workdir is not None:
        os.makedirs(workdir, exist_ok=True)
        return None, workdir
    t = tempfile.TemporaryDirectory(prefix="pe-callgrind-")
    return t, t.name


def instructions_per_conn(n=200, base=0, config="ldap", workdir=None, top=15):
    """Ir per proxied connection (bind + 1 search + unbind, clean close), callgrind.
    Returns {'config', 'n', 'base', 'ir_per_conn' (worker loop), 'ir_per_conn_engine' (without
    the pcap port and --record), 'ir_per_conn_program' (whole process), 'pkts_per_conn'
    (frames received per connection), 'top' (text), 'runs': [the two runs' figures]}."""
    if not valgrind_available():
        raise RuntimeError("valgrind is not installed (Debian package valgrind)")
    tmp, d = _workdir(workdir)
    try:
        big = measure(config, n, 1, d)
        small = measure(config, base, 1, d)
    finally:
        if tmp is not None:
            tmp.cleanup()
    per = n - base
    rx = big["counters"]["rx_packets"] - small["counters"].get("rx_packets", 0)
    tx = big["counters"]["tx_packets"] - small["counters"].get("tx_packets", 0)
    return {
        "config": config, "conf": big["conf"], "n": n, "base": base,
        "ir_per_conn": (big["ir_loop"] - small["ir_loop"]) / per,
        "ir_per_conn_engine": ((big["ir_loop"] - big["ir_io"]) -
                               (small["ir_loop"] - small["ir_io"])) / per,
        "ir_per_conn_program": (big["ir_program"] - small["ir_program"]) / per,
        "rx_pkts_per_conn": rx / per, "tx_pkts_per_conn": tx / per,
        "top": top_list(big, small, per, top),
        "runs": [summary(big), summary(small)],
    }


def instructions_per_pkt(n=20, k=50, config="ldap", workdir=None, top=15):
    """Ir per packet on established flows: n sessions with k searches against n with 1,
    divided by the extra frames the engine received (each relayed). Returns
    {'config', 'n', 'k', 'ir_per_pkt', 'ir_per_pkt_engine', 'extra_rx', 'extra_tx', 'top',
    'runs'}."""
    if not valgrind_available():
        raise RuntimeError("valgrind is not installed (Debian package valgrind)")
    tmp, d = _workdir(workdir)
    try:
        big = measure(config, n, k, d)
        small = measure(config, n, 1, d)
    finally:
        if tmp is not None:
            tmp.cleanup()
    rx = big["counters"]["rx_packets"] - small["counters"]["rx_packets"]
    tx = big["counters"]["tx_packets"] - small["counters"]["tx_packets"]
    return {
        "config": config, "conf": big["conf"], "n": n, "k": k,
        "ir_per_pkt": (big["ir_loop"] - small["ir_loop"]) / rx,
        "ir_per_pkt_engine": ((big["ir_loop"] - big["ir_io"]) -
                              (small["ir_loop"] - small["ir_io"])) / rx,
        "extra_rx": rx, "extra_tx": tx,
        "top": top_list(big, small, rx, top),
        "runs": [summary(big), summary(small)],
    }


def summary(r):
    return {k: r[k] for k in ("config", "n", "k", "engine_runs", "input_frames", "output_frames",
                              "ir_loop", "ir_io", "ir_program")}


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="sessions for the per-connection figure")
    ap.add_argument("--base", type=int, default=0, help="sessions of the baseline run")
    ap.add_argument("--pkt-n", type=int, default=20, help="sessions for the per-packet figure")
    ap.add_argument("--k", type=int, default=50, help="searches per session, per-packet figure")
    ap.add_argument("--config", choices=["ldap", "plain", "both"], default="both")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--workdir", help="keep the captures here (default: a temp dir)")
    a = ap.parse_args(argv)
    configs = ["ldap", "plain"] if a.config == "both" else [a.config]
    result = {}
    rows = []
    for cfg in configs:
        pc = instructions_per_conn(n=a.n, base=a.base, config=cfg, workdir=a.workdir, top=a.top)
        pp = instructions_per_pkt(n=a.pkt_n, k=a.k, config=cfg, workdir=a.workdir, top=a.top)
        print(f"== {cfg} ({pc['conf']}): top list per connection, N={a.n} minus N={a.base}")
        print(pc["top"])
        print(f"== {cfg}: top list per established packet, K={a.k} minus K=1, {a.pkt_n} sessions")
        print(pp["top"])
        rows.append((cfg, pc, pp))
        result[cfg] = {"instructions_per_conn": round(pc["ir_per_conn"]),
                       "instructions_per_conn_engine": round(pc["ir_per_conn_engine"]),
                       "instructions_per_conn_program": round(pc["ir_per_conn_program"]),
                       "rx_pkts_per_conn": pc["rx_pkts_per_conn"],
                       "tx_pkts_per_conn": pc["tx_pkts_per_conn"],
                       "instructions_per_pkt": round(pp["ir_per_pkt"]),
                       "instructions_per_pkt_engine": round(pp["ir_per_pkt_engine"]),
                       "n": a.n, "base": a.base, "pkt_n": a.pkt_n, "k": a.k}
    print(f"{'config':8} {'Ir/conn':>10} {'engine':>10} {'program':>10} {'rx/conn':>8} "
          f"{'tx/conn':>8} {'Ir/pkt':>8} {'engine':>8}")
    for cfg, pc, pp in rows:
        print(f"{cfg:8} {pc['ir_per_conn']:10.0f} {pc['ir_per_conn_engine']:10.0f} "
              f"{pc['ir_per_conn_program']:10.0f} {pc['rx_pkts_per_conn']:8.1f} "
              f"{pc['tx_pkts_per_conn']:8.1f} {pp['ir_per_pkt']:8.0f} {pp['ir_per_pkt_engine']:8.0f}")
    first = configs[0]
    print(json.dumps({"instructions_per_conn": result[first]["instructions_per_conn"],
                      "instructions_per_pkt": result[first]["instructions_per_pkt"],
                      "configs": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
