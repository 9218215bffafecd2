"""Packetdrill-style scenarios: scapy plays the client AND the backends.

A dedicated engine instance runs in its own network namespace (NETNS) on its
own tap (TAP), file prefix, telemetry socket and log; nothing else is on that
tap, so every frame the engine sends is seen here and every frame it receives
was written here, and timing is set by the scenario alone (a backend's SYN-ACK
leaves exactly when the scenario says so).

    netns pe-scen
    +------------------------------------------------------------------+
    |  pe-tap1 (kernel side)  <====>  proxyengine (net_tap, pe-scen)    |
    |    ^  one AF_PACKET socket, opened inside the netns by this module |
    +----|-------------------------------------------------------------+
         scapy-built frames as:  client 198.18.1.10 (fake MAC), flood source 198.18.1.100,
                                 backends be1 198.18.1.21, be2 198.18.1.22 (fake MACs,
                                 their ARP requests answered here), be3 198.18.1.23
                                 (dead: ARP never answered)
    engine: VIP 198.18.1.1 TCP/389, source address 198.18.1.2
    (config: pytest/scenarios/engine.conf, profile: pytest/scenarios/tap1.profile)

A scenario is data: Scenario(name, steps, refuse=...) where steps is a list
built with the functions below. Steps run in order; the first that fails
raises ScenarioFailure naming the step, what was expected, what was seen, every
packet of the scenario and the counters that moved.

Connections. A scenario's client connections are named ("a" by default, any
string); each gets a fresh client port and a random ISN when first used. Backend
flows are attributed to a client connection by the engine's SYN, which reuses the
client's ISN; later segments of that flow (engine port, backend) follow it.
Segments of other scenarios or of no connection are "stray": never expected,
listed in failure reports.

Values. seq/ack/payload/... may be ints (bytes) or strings: Python expressions
evaluated (no builtins) over
  isn, cport          the step's connection's client ISN and port
  <capture name>      a packet captured earlier with capture_as=, with fields
                      seq ack win flags(str) payload len sport dport src dst
                      mss wscale sackok tsval tsecr backend(name) t(monotonic s)
e.g. ack="synack.seq+1", seq="isn+1+len(b'hello')". seq/ack are taken mod 2**32.
Flags are strings of scapy letters (F S R P A U E C), compared as a set.

Steps
  send(side, flags, seq, ack=None, payload=b"", options=(), win=65535, conn="a",
       reply_to=None, dport=None)
      side="client": from the connection's client port to VIP:389 (dport= to override).
      side="backend": from a backend to the engine, on the flow of capture
      `reply_to`, by default the last packet expected on the backend side of `conn`.
      options: scapy TCP options, e.g. [("MSS", 1460), ("SAckOK", b""),
      ("Timestamp", (100, 0)), ("NOP", None), ("WScale", 7)]; values may be expressions.
  expect(side, flags, seq=None, ack=None, payload=None, win=None, options=None,
         options_include=(), options_exclude=(), tsecr=None, backend=None, conn="a",
         capture_as=None, within=2.0, repeat=False)
      The NEXT packet the engine sends on that side of `conn` (within `within` s)
      must match every field given (None: not checked). options: exact set of
      option kinds (NOP/EOL ignored), items "MSS" or ("MSS", 1460); options_include:
      these at least; options_exclude: none of these kinds; tsecr: the Timestamp
      option's echo value; backend: which backend ("be1") the segment goes to.
      A segment occupying sequence space (SYN, FIN or payload) identical (flags,
      seq, ack, payload) to one already matched on the same side of the connection
      is a retransmission and is skipped, unless repeat=True (the step expects
      exactly that repetition). Pure ACKs and RSTs are never skipped (duplicate
      and challenge ACKs count).
  icmp_unreach(code=3, conn="a", reply_to=None)
      The backend host of capture `reply_to` (default: the last segment expected on the
      backend side of `conn`) sends ICMP destination unreachable `code` (3: port)
      quoting that segment's IP header and first 8 TCP bytes (RFC 792).
  expect_none(side, within=0.3, conn="a")
      Nothing on that side of `conn` for `within` seconds (skipped retransmissions
      included: nothing at all).
  counters(delta=None, at_least=None, values=None)
      /pe/stats now: delta {name: n} exact increase since the scenario started,
      at_least {name: n} increase >= n, values {name: v} absolute (e.g. conn_active).
  wait_counter(name, value=None, delta=None, at_least=None, within=3.0)
      Poll /pe/stats until the counter has that value / exact delta / delta >= n.
  check(expr, what="")
      Assert a Python expression over the captures (e.g. "b2.backend != b1.backend").
  flood(count, batch=250, within=10.0)
      `count` SYNs from the flood source (distinct ports, random ISNs), paced in
      batches; every one must be answered by a SYN-ACK acknowledging its ISN + 1.

Scenario(refuse=("a",) or "all"): backend SYNs of these connections are answered
by RST-ACK automatically (however many backends the engine tries) and are not
queued for expect(). Scenario(isn={"a": 0xFFFFFFFD}): fixed client ISNs (e.g.
to cross the sequence-number wrap); by default they are random.

Before a scenario the runner waits until no connection is active and every live
backend (be1, be2) is "up" (not in hold-down), then records the counters. After
it, also on failure, if connections are still active it resets each one it
opened (RST at the client's next in-order sequence number) and waits until
conn_active is 0 again (the idle timeout at worst), so scenarios are independent.
"""
import ctypes
import ipaddress
import os
import random
import shutil
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from . import engine as engine_mod
from .netns import run, terminate, wait_until
from .telemetry import TelemetryError

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCEN_DIR = os.path.join(REPO_ROOT, "pytest", "scenarios")
CONFIG = os.path.join(SCEN_DIR, "engine.conf")
PROFILE = os.path.join(SCEN_DIR, "tap1.profile")
NETNS = "pe-scen"
TAP = "pe-tap1"
FILE_PREFIX = "pe-scen"
BASE_DIR = "/tmp/pe-scen"
LOG_PATH = os.path.join(BASE_DIR, "engine.log")
PID_PATH = os.path.join(BASE_DIR, "engine.pid")  # so a crashed run's engine can be stopped

VIP = "198.18.1.1"
VPORT = 389
SOURCE = "198.18.1.2"
CLIENT_IP = "198.18.1.10"
CLIENT_MAC = "02:00:00:01:00:0a"
FLOOD_IP = "198.18.1.100"
# name -> (address, port, fake MAC or None: dead, its ARP requests are never answered)
BACKENDS = {
    "be1": ("198.18.1.21", 389, "02:00:00:01:00:15"),
    "be2": ("198.18.1.22", 389, "02:00:00:01:00:16"),
    "be3": ("198.18.1.23", 389, None),
}
LIVE_BACKENDS = tuple(n for n, (_, _, mac) in BACKENDS.items() if mac)

_NET = ipaddress.ip_network("198.18.0.0/15")
for _a in [VIP, SOURCE, CLIENT_IP, FLOOD_IP] + [b[0] for b in BACKENDS.values()]:
    if ipaddress.ip_address(_a) not in _NET:  # hard rule: test traffic only to 198.18.0.0/15
        raise RuntimeError(f"scenario address {_a} outside 198.18.0.0/15")

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
CLONE_NEWNET = 0x40000000
SIDES = ("client", "backend")
FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}
FLAGS_ORDER = "FSRPAUEC"


def short(v, limit=40):
    """repr() of a value, long bytes abbreviated (length and head shown)."""
    if isinstance(v, (bytes, bytearray)) and len(v) > limit:
        return f"<{len(v)} bytes {bytes(v[:16])!r}...>"
    return repr(v)


def _mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def _ip_bytes(ip):
    return socket.inet_aton(ip)


def flags_str(bits):
    return "".join(c for c in FLAGS_ORDER if bits & FLAG_BITS[c])


def _norm_flags(flags):
    bad = set(flags) - set(FLAG_BITS)
    if bad:
        raise ValueError(f"unknown TCP flag letters {sorted(bad)} in {flags!r}")
    return flags_str(sum(FLAG_BITS[c] for c in set(flags)))


# ---- steps (data) ------------------------------------------------------------


@dataclass
class Step:
    kind: str
    args: dict

    def __str__(self):
        def shown(k, v):
            return k in ("side", "flags") or not (v is None or v is False or
                                                  (isinstance(v, (tuple, list, dict, bytes)) and not v))
        inner = ", ".join(f"{k}={short(v)}" for k, v in self.args.items() if shown(k, v))
        return f"{self.kind}({inner})"


def _side(side):
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    return side


def send(side, flags, seq, ack=None, payload=b"", options=(), win=65535, conn="a", reply_to=None,
         dport=None):
    flags = _norm_flags(flags)
    if "A" in flags and ack is None:
        raise ValueError(f"send({flags}): an ACK needs ack=")
    return Step("send", dict(side=_side(side), flags=flags, seq=seq, ack=ack, payload=payload,
                             options=list(options), win=win, conn=conn, reply_to=reply_to, dport=dport))


def icmp_unreach(code=3, conn="a", reply_to=None):
    """The backend host answers a segment the engine sent it (capture `reply_to`, by default
    the last backend segment of `conn`) with ICMP destination unreachable `code` quoting it."""
    return Step("icmp_unreach", dict(code=code, conn=conn, reply_to=reply_to))


def expect(side, flags, seq=None, ack=None, payload=None, win=None, options=None, options_include=(),
           options_exclude=(), tsecr=None, backend=None, conn="a", capture_as=None, within=2.0,
           repeat=False):
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}")
    return Step("expect", dict(side=_side(side), flags=_norm_flags(flags), seq=seq, ack=ack,
                               payload=payload, win=win, options=options,
                               options_include=tuple(options_include),
                               options_exclude=tuple(options_exclude), tsecr=tsecr, backend=backend,
                               conn=conn, capture_as=capture_as, within=within, repeat=repeat))


def expect_none(side, within=0.3, conn="a"):
    return Step("expect_none", dict(side=_side(side), within=within, conn=conn))


def counters(delta=None, at_least=None, values=None):
    if not (delta or at_least or values):
        raise ValueError("counters() needs delta=, at_least= or values=")
    return Step("counters", dict(delta=delta or {}, at_least=at_least or {}, values=values or {}))


def wait_counter(name, value=None, delta=None, at_least=None, within=3.0):
    if [value, delta, at_least].count(None) != 2:
        raise ValueError("wait_counter() needs exactly one of value=, delta=, at_least=")
    return Step("wait_counter", dict(name=name, value=value, delta=delta, at_least=at_least,
                                     within=within))


def check(expr, what=""):
    return Step("check", dict(expr=expr, what=what))


def flood(count, batch=250, within=10.0):
    if not 0 < count <= 20000:
        raise ValueError("flood count must be 1..20000")
    return Step("flood", dict(count=count, batch=batch, within=within))


@dataclass
class Scenario:
    name: str
    steps: list
    doc: str = ""
    refuse: object = ()  # connection names, or "all"
    isn: dict = field(default_factory=dict)  # connection name -> fixed client ISN (default random)

    def __post_init__(self):
        for i, s in enumerate(self.steps, 1):
            if not isinstance(s, Step):
                raise TypeError(f"scenario {self.name}: step {i} is not a Step: {s!r}")

    def __str__(self):
        return self.name


class ScenarioFailure(AssertionError):
    pass


# ---- packets -----------------------------------------------------------------


class Pkt:
    """A TCP segment seen on the tap (parsed with scapy), as captures expose it."""

    def __init__(self, raw, t, backend=None):
        from scapy.layers.inet import IP, TCP
        from scapy.layers.l2 import Ether
        e = Ether(raw)
        ip, tcp = e[IP], e[TCP]
        self.raw, self.t, self.backend = raw, t, backend
        self.src, self.dst, self.sport, self.dport = ip.src, ip.dst, tcp.sport, tcp.dport
        self.seq, self.ack, self.win = tcp.seq, tcp.ack, tcp.window
        self.flags = flags_str(int(tcp.flags))
        self.payload = bytes(tcp.payload)
        self.len = len(self.payload)
        self.options = [(k, v) for k, v in tcp.options]
        opts = dict(self.options)
        self.mss = opts.get("MSS")
        self.wscale = opts.get("WScale")
        self.sackok = "SAckOK" in opts
        ts = opts.get("Timestamp")
        self.tsval, self.tsecr = ts if ts else (None, None)

    def occupies_seq(self):
        return bool(self.len) or "S" in self.flags or "F" in self.flags

    def key(self):
        return (self.flags, self.seq, self.ack, self.payload)

    def __repr__(self):
        opts = " ".join(f"{k}" if v in (None, b"") else f"{k}={v}" for k, v in self.options
                        if k not in ("NOP", "EOL"))
        pl = f" payload={self.payload[:24]!r}{'...' if self.len > 24 else ''}" if self.len else ""
        return (f"{self.src}:{self.sport} > {self.dst}:{self.dport} [{self.flags}] seq={self.seq} "
                f"ack={self.ack} win={self.win} len={self.len}{' opts=[' + opts + ']' if opts else ''}{pl}")


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def raw_tcp_frame(src_mac, dst_mac, src, dst, sport, dport, seq, ack, flags, win=65535, ident=1):
    """A TCP frame without options or payload, built by hand (for floods: scapy is slow)."""
    s, d = _ip_bytes(src), _ip_bytes(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, win, 0, 0)
    ck = _csum(s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", ck) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident, 0, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return _mac_bytes(dst_mac) + _mac_bytes(src_mac) + b"\x08\x00" + ip + tcp


# ---- the wire: one AF_PACKET socket inside the netns ---------------------------


def open_packet_socket(netns, iface):
    """An AF_PACKET socket bound to `iface` of network namespace `netns`, opened by
    switching this thread into the netns and back (the socket stays in the netns)."""
    libc = ctypes.CDLL(None, use_errno=True)
    orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {netns}")
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            sock.bind((iface, 0))
        finally:
            if libc.setns(orig, CLONE_NEWNET) != 0:  # must not stay in the netns
                os._exit(99)
    finally:
        os.close(orig)
        os.close(target)
    sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE (root)
    return sock


# ---- one scenario run ----------------------------------------------------------


@dataclass
class Conn:
    name: str
    port: int
    isn: int
    refuse: bool
    queues: dict = field(default_factory=lambda: {s: [] for s in SIDES})
    matched: dict = field(default_factory=lambda: {s: [] for s in SIDES})
    auto: list = field(default_factory=list)  # backend segments answered automatically
    last_backend: object = None
    c_nxt: int = None     # client's next sequence number (in-order sends only)


class Run:
    """State of one scenario run; the bed's reader thread delivers frames into it."""

    def __init__(self, bed, scenario):
        self.bed = bed
        self.sc = scenario
        self.cond = threading.Condition()
        self.conns = {}
        self.by_port = {}
        self.by_isn = {}
        self.flows = {}           # (backend ip, engine port) -> Conn
        self.captures = {}
        self.log = []             # (t, text)
        self.strays = []
        self.flood_isn = {}       # sport -> isn
        self.flood_ok = set()
        self.flood_bad = []
        self.t0 = time.monotonic()
        self.base = None

    # -- reader side (called with raw frames, in the reader thread) --
    def deliver(self, raw, t, src, dst, sport, dport, seq, ack, flags):
        with self.cond:
            if dst == FLOOD_IP:
                isn = self.flood_isn.get(dport)
                if isn is not None and flags == 0x12 and ack == (isn + 1) & 0xFFFFFFFF:
                    self.flood_ok.add(dport)
                elif len(self.flood_bad) < 20:
                    self.flood_bad.append(Pkt(raw, t))
                self.cond.notify_all()
                return
            conn, side, backend = None, None, None
            if dst == CLIENT_IP:
                conn, side = self.by_port.get(dport), "client"
            elif src == SOURCE:
                backend = self.bed.backend_by_ip.get(dst)
                if backend is not None:
                    side = "backend"
                    conn = self.flows.get((dst, sport))
                    if conn is None and flags & 0x12 == 0x02:
                        conn = self.by_isn.get(seq)
                        if conn is not None:
                            self.flows[(dst, sport)] = conn
            pkt = Pkt(raw, t, backend)
            if conn is None:
                self.strays.append(pkt)
                self.log.append((t, f"<  stray   {pkt}"))
                return
            if side == "backend" and conn.refuse:
                self.log.append((t, f"<  {conn.name}:backend {pkt}  (auto-refused)"))
                conn.auto.append(pkt)
                if flags & 0x12 == 0x02:
                    self.bed.send_raw(self._build("backend", conn, "RA", 0, (pkt.seq + 1) & 0xFFFFFFFF,
                                                  b"", [], 65535, pkt))
                    self.log.append((time.monotonic(), f">  {conn.name}:backend RST-ACK (auto)"))
                return
            self.log.append((t, f"<  {conn.name}:{side} {pkt}"))
            conn.queues[side].append(pkt)
            self.cond.notify_all()

    # -- helpers --
    def conn(self, name):
        c = self.conns.get(name)
        if c is None:
            port = self.bed.next_port()
            isn = self.sc.isn.get(name)
            while isn is None or isn in self.by_isn:
                isn = random.getrandbits(32)
            c = Conn(name, port, isn, self.sc.refuse == "all" or name in self.sc.refuse)
            self.conns[name] = c
            self.by_port[port] = c
            self.by_isn[isn] = c
        return c

    def ns(self, conn):
        env = dict(self.captures)
        env.update(isn=conn.isn, cport=conn.port)
        return env

    def value(self, v, conn, what):
        if isinstance(v, str):
            try:
                return eval(v, {"__builtins__": {"len": len}}, self.ns(conn))  # noqa: S307 (test data)
            except Exception as exc:
                raise ScenarioFailure(f"cannot evaluate {what}={v!r}: {exc!r}") from None
        return v

    def seqval(self, v, conn, what):
        v = self.value(v, conn, what)
        return None if v is None else int(v) & 0xFFFFFFFF

    def _build(self, side, conn, flags, seq, ack, payload, options, win, peer=None, dport=None):
        from scapy.layers.inet import IP, TCP
        from scapy.layers.l2 import Ether
        from scapy.packet import Raw
        if side == "client":
            eth = Ether(src=CLIENT_MAC, dst=self.bed.engine_mac)
            ip = IP(src=CLIENT_IP, dst=VIP)
            sport, dp = conn.port, dport or VPORT
        else:
            name = self.bed.backend_by_ip[peer.dst]
            eth = Ether(src=BACKENDS[name][2], dst=self.bed.engine_mac)
            ip = IP(src=peer.dst, dst=peer.src)
            sport, dp = peer.dport, peer.sport
        tcp = TCP(sport=sport, dport=dp, flags=flags, seq=seq, ack=ack or 0, window=win, options=options)
        return bytes(eth / ip / tcp / Raw(payload)) if payload else bytes(eth / ip / tcp)

    def fmt_log(self):
        lines = [f"  {1000 * (t - self.t0):8.1f} ms {text}" for t, text in sorted(self.log, key=lambda x: x[0])]
        if len(lines) > 80:
            lines = lines[:20] + [f"  ... {len(lines) - 60} more ..."] + lines[-40:]
        return "\n".join(lines) or "  (none)"

    def deltas(self):
        try:
            now = self.bed.stats()
        except (TelemetryError, OSError) as exc:
            return f"(telemetry unavailable: {exc})"
        return {k: now[k] - self.base.get(k, 0) for k in sorted(now) if now[k] != self.base.get(k, 0)}

    # -- steps --
    def do_send(self, a):
        conn = self.conn(a["conn"])
        seq = self.seqval(a["seq"], conn, "seq")
        ack = self.seqval(a["ack"], conn, "ack")
        payload = self.value(a["payload"], conn, "payload") or b""
        options = [(k, self._optval(v, conn)) for k, v in a["options"]]
        peer = None
        if a["side"] == "backend":
            peer = self.captures.get(a["reply_to"]) if a["reply_to"] else conn.last_backend
            if peer is None:
                raise ScenarioFailure(f"no backend flow to send on: expect a backend segment of "
                                      f"connection {conn.name!r} first" + (f" (capture {a['reply_to']!r} "
                                      f"unknown)" if a["reply_to"] else ""))
        frame = self._build(a["side"], conn, a["flags"], seq, ack, payload, options, a["win"], peer,
                            a["dport"])
        if a["side"] == "client":
            seg_len = len(payload) + ("S" in a["flags"]) + ("F" in a["flags"])
            if "S" in a["flags"] and conn.c_nxt is None:
                conn.c_nxt = (seq + 1) & 0xFFFFFFFF
            elif conn.c_nxt == seq:
                conn.c_nxt = (seq + seg_len) & 0xFFFFFFFF
        with self.cond:
            self.log.append((time.monotonic(), f">  {conn.name}:{a['side']} [{a['flags']}] seq={seq} ack={ack}"
                             f" len={len(payload)}{' opts=' + str(options) if options else ''}"))
        self.bed.send_raw(frame)

    def do_icmp_unreach(self, a):
        from scapy.layers.inet import ICMP, IP
        from scapy.layers.l2 import Ether
        from scapy.packet import Raw
        conn = self.conn(a["conn"])
        peer = self.captures.get(a["reply_to"]) if a["reply_to"] else conn.last_backend
        if peer is None:
            raise ScenarioFailure(f"icmp_unreach: no backend segment of connection {conn.name!r} to quote")
        quoted = bytes(Ether(peer.raw)[IP])
        quoted = quoted[:(quoted[0] & 0x0F) * 4 + 8]
        name = self.bed.backend_by_ip[peer.dst]
        frame = bytes(Ether(src=BACKENDS[name][2], dst=self.bed.engine_mac) /
                      IP(src=peer.dst, dst=peer.src) / ICMP(type=3, code=a["code"]) / Raw(quoted))
        with self.cond:
            self.log.append((time.monotonic(), f">  {conn.name}:backend ICMP unreachable code {a['code']} "
                             f"quoting seq={peer.seq}"))
        self.bed.send_raw(frame)

    def _optval(self, v, conn):
        if isinstance(v, (tuple, list)):
            return tuple(self._optval(x, conn) for x in v)
        if isinstance(v, str):
            return self.seqval(v, conn, "option value")
        return v

    def _mismatches(self, a, p, conn):
        bad = []

        def cmp(what, want, got):
            if want is not None and want != got:
                extra = ""
                if isinstance(want, bytes) and isinstance(got, bytes):
                    k = next((i for i, (x, y) in enumerate(zip(want, got)) if x != y), min(len(want), len(got)))
                    extra = f" (lengths {len(want)}/{len(got)}, first difference at offset {k})"
                bad.append(f"{what}: expected {short(want)}, got {short(got)}{extra}")

        cmp("flags", a["flags"], p.flags)
        cmp("seq", self.seqval(a["seq"], conn, "seq"), p.seq)
        cmp("ack", self.seqval(a["ack"], conn, "ack"), p.ack)
        cmp("win", self.value(a["win"], conn, "win"), p.win)
        cmp("payload", self.value(a["payload"], conn, "payload"), p.payload)
        cmp("backend", a["backend"], p.backend)
        cmp("tsecr", self.seqval(a["tsecr"], conn, "tsecr"), p.tsecr)
        have = {k: v for k, v in p.options if k not in ("NOP", "EOL")}

        def spec(items):
            out = {}
            for it in items:
                name, val = (it, None) if isinstance(it, str) else it
                out[name] = self._optval(val, conn) if val is not None else None
            return out

        def check_vals(want):
            for k, v in want.items():
                if v is None or k not in have:
                    continue
                got = have[k]
                if isinstance(v, tuple):  # e.g. Timestamp (tsval, tsecr), None = any
                    if len(v) != len(got) or any(x is not None and x != y for x, y in zip(v, got)):
                        bad.append(f"option {k}: expected {v!r}, got {got!r}")
                elif v != got:
                    bad.append(f"option {k}: expected {v!r}, got {got!r}")

        if a["options"] is not None:
            want = spec(a["options"])
            if set(want) != set(have):
                bad.append(f"options: expected exactly {sorted(want)}, got {sorted(have)}")
            check_vals(want)
        if a["options_include"]:
            want = spec(a["options_include"])
            missing = sorted(set(want) - set(have))
            if missing:
                bad.append(f"options: missing {missing}, got {sorted(have)}")
            check_vals(want)
        present = sorted(set(a["options_exclude"]) & set(have))
        if present:
            bad.append(f"options: {present} must be absent")
        return bad

    def do_expect(self, a):
        conn = self.conn(a["conn"])
        side = a["side"]
        deadline = time.monotonic() + a["within"]
        q = conn.queues[side]
        while True:
            with self.cond:
                while not q:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ScenarioFailure(f"nothing on the {side} side of connection {conn.name!r} "
                                              f"within {a['within']} s")
                    self.cond.wait(left)
                p = q.pop(0)
            if not a["repeat"] and p.occupies_seq() and any(p.key() == m.key() for m in conn.matched[side]):
                with self.cond:
                    self.log.append((time.monotonic(), f"   (skipped retransmission on {conn.name}:{side})"))
                continue
            break
        bad = self._mismatches(a, p, conn)
        if bad:
            raise ScenarioFailure("; ".join(bad) + f"\n  seen:     {p}")
        conn.matched[side].append(p)
        if side == "backend":
            conn.last_backend = p
        if a["capture_as"]:
            self.captures[a["capture_as"]] = p

    def do_expect_none(self, a):
        conn = self.conn(a["conn"])
        q = conn.queues[a["side"]]
        deadline = time.monotonic() + a["within"]
        with self.cond:
            while not q and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            if q:
                raise ScenarioFailure(f"unexpected segment on the {a['side']} side of connection "
                                      f"{conn.name!r}:\n  seen:     {q[0]}")

    def do_counters(self, a):
        now = self.bed.stats()
        bad = []
        for k, n in a["delta"].items():
            if now[k] - self.base[k] != n:
                bad.append(f"{k}: expected +{n}, got +{now[k] - self.base[k]}")
        for k, n in a["at_least"].items():
            if now[k] - self.base[k] < n:
                bad.append(f"{k}: expected >= +{n}, got +{now[k] - self.base[k]}")
        for k, v in a["values"].items():
            if now[k] != v:
                bad.append(f"{k}: expected {v}, got {now[k]}")
        if bad:
            raise ScenarioFailure("counters: " + "; ".join(bad))

    def do_wait_counter(self, a):
        name, last = a["name"], {}

        def ok():
            v = last["v"] = self.bed.stats()[name]
            d = v - self.base[name]
            if a["value"] is not None:
                return v == a["value"]
            if a["delta"] is not None:
                return d == a["delta"]
            return d >= a["at_least"]
        try:
            wait_until(ok, a["within"], name, interval=0.01)
        except TimeoutError:
            raise ScenarioFailure(f"{name} is {last.get('v')} (delta {last.get('v', 0) - self.base[name]}) "
                                  f"after {a['within']} s") from None

    def do_check(self, a):
        try:
            ok = eval(a["expr"], {"__builtins__": {"len": len, "abs": abs}}, dict(self.captures))  # noqa: S307
        except Exception as exc:
            raise ScenarioFailure(f"cannot evaluate {a['expr']!r}: {exc!r}") from None
        if not ok:
            vals = {k: repr(v) for k, v in self.captures.items() if k in a["expr"]}
            raise ScenarioFailure(f"{a['what'] or a['expr']} is false; captures: {vals}")

    def do_flood(self, a):
        count, batch = a["count"], a["batch"]
        ports = list(range(10000, 10000 + count))
        frames = []
        for p in ports:
            isn = random.getrandbits(32)
            self.flood_isn[p] = isn
            frames.append(raw_tcp_frame(CLIENT_MAC, self.bed.engine_mac, FLOOD_IP, VIP, p, VPORT, isn, 0,
                                        0x02, ident=p & 0xFFFF))
        deadline = time.monotonic() + a["within"]
        for i in range(0, count, batch):
            for f in frames[i:i + batch]:
                self.bed.send_raw(f)
            sent = min(i + batch, count)
            with self.cond:
                while len(self.flood_ok) < sent and time.monotonic() < deadline:
                    self.cond.wait(max(0.0, deadline - time.monotonic()))
                if len(self.flood_ok) < sent:
                    raise ScenarioFailure(f"flood: {len(self.flood_ok)} of {sent} SYNs answered with a "
                                          f"correct SYN-ACK within {a['within']} s; bad answers: "
                                          f"{self.flood_bad[:5]}")
        with self.cond:
            self.log.append((time.monotonic(), f"><  flood: {count} SYNs sent, {len(self.flood_ok)} answered"))

    def cleanup(self):
        """RST every connection the client side opened (if any is still active); return the error text
        if conn_active does not return to 0."""
        try:
            if self.bed.stats()["conn_active"] == 0:
                return None
        except (TelemetryError, OSError) as exc:
            return f"telemetry unavailable after the scenario: {exc}"
        for c in self.conns.values():
            if c.c_nxt is not None:  # also after a RST of its own: it may have been refused
                frame = self._build("client", c, "R", c.c_nxt, 0, b"", [], 0)
                with self.cond:
                    self.log.append((time.monotonic(), f">  {c.name}:client [R] seq={c.c_nxt} (cleanup)"))
                self.bed.send_raw(frame)
        last = {}
        try:
            wait_until(lambda: last.update(self.bed.stats()) or last["conn_active"] == 0,
                       self.bed.settle_timeout, "conn_active to return to 0", interval=0.02)
        except TimeoutError:
            return f"conn_active is {last.get('conn_active')} {self.bed.settle_timeout} s after the scenario"
        return None

    def run(self):
        self.bed.settle()
        self.base = self.bed.stats()
        self.t0 = time.monotonic()
        failure = None
        n = len(self.sc.steps)
        for i, step in enumerate(self.sc.steps, 1):
            try:
                getattr(self, "do_" + step.kind)(step.args)
            except ScenarioFailure as exc:
                failure = f"step {i}/{n} {step}:\n  {exc}"
                break
        problem = self.cleanup()
        if failure is None and problem is not None:
            failure = f"after the last step: {problem}"
        if failure is not None:
            eng = self.bed.engine
            state = "running" if eng.alive() else f"exited (rc={eng.proc.poll() if eng.proc else '?'})"
            raise ScenarioFailure(
                f"scenario {self.sc.name!r} failed at {failure}\n"
                f"packets of this scenario (> sent by scapy, < sent by the engine):\n{self.fmt_log()}\n"
                f"stray segments: {len(self.strays)}\n"
                f"counters moved: {self.deltas()}\n"
                f"engine {state}; log {eng.log_path}, tail:\n{eng.log_tail(15)}")


# ---- the scenario bed ------------------------------------------------------------


class ScenarioBed:
    """The scenario engine in its netns, the packet socket and the reader thread.
    Use as a context manager; run(scenario) runs one scenario (raises ScenarioFailure)."""

    settle_timeout = 6.0

    def __init__(self, config=CONFIG, profile=PROFILE):
        self.engine = engine_mod.Engine(file_prefix=FILE_PREFIX, log_path=LOG_PATH, config=config,
                                        profile=profile, tap=TAP, netns=NETNS, attach_bridge=False)
        self.sock = None
        self.reader = None
        self.stop_evt = threading.Event()
        self.current = None
        self.tel = None
        self.engine_mac = None
        self.backend_by_ip = {ip: n for n, (ip, _, _) in BACKENDS.items()}
        self.arp_answers = {ip: mac for ip, _, mac in BACKENDS.values() if mac}
        self.port_next = random.randrange(30000, 50000)
        self.stray_frames = 0
        self.send_lock = threading.Lock()
        self.reader_error = None

    # -- lifecycle --
    def __enter__(self):
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc):
        self.down()

    @staticmethod
    def remove_netns():
        if os.path.exists(f"/run/netns/{NETNS}"):
            run(["ip", "netns", "del", NETNS], check=False)  # its tap goes with it

    @staticmethod
    def remove_leftovers():
        """Stop the engine of a crashed run (recorded pid, checked against its command line)
        and remove our netns (ours by name)."""
        try:
            with open(PID_PATH) as f:
                terminate(int(f.read()), f"--file-prefix={FILE_PREFIX}")
        except (FileNotFoundError, ValueError):
            pass
        ScenarioBed.remove_netns()

    def up(self):
        self.remove_leftovers()
        shutil.rmtree(BASE_DIR, ignore_errors=True)
        os.makedirs(BASE_DIR)
        run(["ip", "netns", "add", NETNS])
        run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
             "net.ipv6.conf.default.disable_ipv6=1"], ns=NETNS)
        self.engine.spawn()
        with open(PID_PATH, "w") as f:
            f.write(str(self.engine.pid))
        self.engine.wait_ready(timeout=30.0, wait_backends=False)
        self.tel = self.engine.telemetry(timeout=5)
        info = self.tel.query("/pe/info")
        if (info["vip"], info["port"], info["source"]) != (VIP, VPORT, SOURCE):
            raise RuntimeError(f"scenario engine /pe/info {info} does not match {VIP}:{VPORT} / {SOURCE}")
        conf = {n: (b["address"], b["port"]) for n, b in self.tel.query("/pe/backends").items()}
        if conf != {n: (ip, port) for n, (ip, port, _) in BACKENDS.items()}:
            raise RuntimeError(f"scenario engine backends {conf} do not match BACKENDS {BACKENDS}")
        self.engine_mac = info["mac"].lower()
        self.sock = open_packet_socket(NETNS, TAP)
        self.reader = threading.Thread(target=self._reader, name="scenario-reader", daemon=True)
        self.reader.start()
        self.settle()

    def down(self):
        self.stop_evt.set()
        if self.reader is not None:
            self.reader.join(timeout=5)
            self.reader = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.tel is not None:
            self.tel.close()
            self.tel = None
        try:
            self.engine.stop()
        finally:
            self.remove_netns()
        if not self.engine.alive():
            if os.path.exists(PID_PATH):
                os.unlink(PID_PATH)
            shutil.rmtree(f"/var/run/dpdk/{FILE_PREFIX}", ignore_errors=True)  # DPDK runtime dir

    def leftovers(self):
        out = []
        if os.path.exists(f"/run/netns/{NETNS}"):
            out.append(f"netns {NETNS}")
        if self.engine.alive():
            out.append(f"engine pid {self.engine.pid}")
        return out

    # -- io --
    def send_raw(self, frame):
        with self.send_lock:
            self.sock.send(frame)

    def next_port(self):
        self.port_next += 1
        if self.port_next > 60000:
            self.port_next = 30001
        return self.port_next

    def _reader(self):
        sock = self.sock
        sock.settimeout(0.1)
        try:
            while not self.stop_evt.is_set():
                try:
                    raw, addr = sock.recvfrom(65535)
                except socket.timeout:
                    continue
                except OSError:
                    if self.stop_evt.is_set():
                        return
                    raise
                if addr[2] == PACKET_OUTGOING or len(raw) < 14:
                    continue
                t = time.monotonic()
                etype = raw[12:14]
                if etype == b"\x08\x06":
                    self._arp(raw)
                    continue
                if etype != b"\x08\x00" or len(raw) < 34 or raw[23] != 6:
                    self.stray_frames += 1
                    continue
                ihl = (raw[14] & 0x0F) * 4
                tcp = 14 + ihl
                if len(raw) < tcp + 20:
                    self.stray_frames += 1
                    continue
                src = socket.inet_ntoa(raw[26:30])
                dst = socket.inet_ntoa(raw[30:34])
                sport, dport, seq, ack = struct.unpack("!HHII", raw[tcp:tcp + 12])
                flags = raw[tcp + 13]
                cur = self.current
                if cur is None:
                    self.stray_frames += 1
                    continue
                cur.deliver(raw, t, src, dst, sport, dport, seq, ack, flags)
        except BaseException as exc:  # reported by the next run()
            self.reader_error = exc

    def _arp(self, raw):
        # Ethernet/IPv4 ARP request: op at 20, sha 22, spa 28, tha 32, tpa 38
        if len(raw) < 42 or raw[20:22] != b"\x00\x01":
            return
        tpa = socket.inet_ntoa(raw[38:42])
        mac = self.arp_answers.get(tpa)
        if mac is None:
            return
        sha, spa = raw[22:28], raw[28:32]
        m = _mac_bytes(mac)
        reply = (sha + m + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x02" + m + raw[38:42] + sha + spa)
        self.send_raw(reply)

    # -- telemetry --
    def stats(self):
        try:
            return self.tel.query("/pe/stats")
        except (OSError, TelemetryError):
            self.tel.close()
            self.tel = self.engine.telemetry(timeout=5)
            return self.tel.query("/pe/stats")

    def backends(self):
        return self.tel.query("/pe/backends")

    def settle(self):
        """Wait until no connection is active and every live backend is up."""
        last = {}

        def ready():
            last["stats"] = self.stats()["conn_active"]
            last["backends"] = self.backends()
            return last["stats"] == 0 and all(last["backends"][n]["state"] == "up" for n in LIVE_BACKENDS)
        try:
            wait_until(ready, self.settle_timeout, "scenario engine to settle", interval=0.02)
        except TimeoutError:
            raise ScenarioFailure(f"scenario engine not settled after {self.settle_timeout} s: conn_active="
                                  f"{last.get('stats')}, backends={last.get('backends')}") from None

    # -- running --
    def run(self, scenario):
        if self.reader_error is not None:
            raise RuntimeError(f"scenario reader thread died: {self.reader_error!r}")
        if not self.engine.alive():
            raise RuntimeError(f"scenario engine is not running; log tail:\n{self.engine.log_tail()}")
        r = Run(self, scenario)
        self.current = r
        try:
            r.run()
        finally:
            self.current = None
        return r
