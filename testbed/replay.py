#!/usr/bin/python3
"""Replay captured LDAP sessions through the engine on the testbed.

    testbed/replay.py CAPTURE... [--port 389] [--profile pmd-profiles/tap.profile] [--config FILE]

Run as root, from anywhere, with /usr/bin/python3 (scapy). For every TCP connection of
every capture (pcap or pcapng, as tcpdump or Wireshark save them) whose server port is
--port, testbed/captures.py rebuilds the client->server and server->client byte streams
(reassembled by sequence number, retransmissions and overlaps removed) and cuts them into
turns in capture order. The testbed comes up (topology of testbed/topo.py, no slapd) with
the engine on the chosen profile, running a temporary config: testbed/proxyengine.conf
with engine.port = --port and one backend, be1, at REPLAY_IP:--port, an extra address
of netns pe-be1 (so that a full testbed's slapd on 198.18.0.11:389 may keep running
beside it: pytest/test_replay.py replays on the session testbed). Per session:

  - a scripted server in pe-be1 (this file, --peer server) listens on REPLAY_IP:--port,
    accepts the engine's connection, reads exactly each client turn (compared with the
    captured bytes) and answers with each server turn;
  - a scripted client in pe-client (--peer client) connects to the VIP 198.18.0.1:--port,
    sends each client turn and reads exactly each server turn (compared);
  - then the client half-closes, the server must see end of stream with nothing more,
    closes, and the client must see the same. Each peer gets its steps in a temporary
    JSON file and prints its result as one JSON line. Every read has a 5 s timeout.

A session passes when the server received exactly the captured client bytes and the
client exactly the captured server bytes (with the default, L4-only engine: no rewrite
policy is loaded, so what the policy should produce is the captured bytes themselves).

--config FILE runs that engine config instead of testbed/proxyengine.conf: engine.port and
the backends are overridden as above, every pool's backends list becomes [ "be1" ] (so pool
names, routes and default_pool stay valid), the inspect/pools/ldap sections are kept. With
inspect.protocol = "ldap" and ldap.rewrite, the server must receive every client turn with
its requests rewritten client -> backend suffix, and the client every server turn with its
responses rewritten backend -> client suffix: computed offline, turn by turn, by the engine's
own decoder and pe_ldap_rewrite() in build/ldap_walk --rewrite (build it first). Two more
SKIP reasons then (inspect.protocol = "ldap", with or without a rewrite):
  - "turn splits an LDAP message, cannot compute the rewritten bytes" (a turn does not end on
    a message boundary);
  - a turn that is not whole LDAPMessages (a SASL security layer): the inspecting engine
    resets such a connection.
StartTLS sessions keep their rule (the LDAP part, rewritten, is checked, then SKIP). Only
the rewrite is modelled: a policy refusing what a capture does (refuse_anonymous,
allow_operations) makes those sessions FAIL.

Output: one line per session, `PASS|FAIL|SKIP  capture #k client -> server: details`,
then `N passed, M failed, K skipped`. Exit status 0 when nothing failed, 1 otherwise,
2 for bad arguments. A session is skipped, with its reason, when:
  - the client's SYN is not in the capture (the connection began before it);
  - bytes are missing in either direction (a gap, a frame cut by the snaplen, bytes
    the peer acknowledged or a FIN placed beyond the captured data);
  - it carries no payload, or only the server sent bytes (the engine binds a backend
    on the client's first payload: with no client bytes no backend is ever chosen);
  - it is TLS from its first byte (LDAPS), or the client's first bytes are not an
    LDAPMessage (not LDAP);
  - it switched to TLS after StartTLS. The LDAP part (up to and including the StartTLS
    response) IS replayed and checked first: if it differs the session FAILs; if it
    matches, the line is `SKIP: TLS after StartTLS (N LDAP messages replayed)`. Not
    PASS, because PASS means the whole captured session went through and was compared;
    the TLS records cannot be (a scripted peer holds no keys to answer them, and
    replaying them blindly proves nothing about the session), and a reader of the
    summary must see that part of the capture was left out.
A capture holding no connection on --port is reported as one SKIP line too.

A session in which the server speaks first still replays: the engine cannot connect a
backend before the client's first payload (delayed binding), so the scripted client sends
its first turn before reading the server's first turn; each direction's bytes are still
compared exactly (the line says so). Trailing server bytes (after the client's last
turn) are read like any other turn. Sessions that ended in RST are replayed up to their
last byte and closed with FIN; SASL-wrapped messages are plain bytes to the engine.
"""
import argparse
import contextlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"
THIS = os.path.abspath(__file__)
BASE_CONFIG = os.path.join(REPO_ROOT, "testbed", "proxyengine.conf")
SERVER_NS = "pe-be1"
CLIENT_NS = "pe-client"
VIP = "198.18.0.1"
REPLAY_IP = "198.18.0.21"   # extra address of pe-be1 (topo.py's /24), the scripted server's
REPLAY_PREFIX = 24
IO_TIMEOUT = 5.0            # per read, connect and accept
SESSION_TIMEOUT = 60.0      # a whole peer process


# --- the scripted peers (stdlib only; they run inside a netns) ------------------------------

def _recv_exact(sock, n, timeout):
    """Up to n bytes; shorter when the peer closed ("eof") or nothing came for `timeout`."""
    buf = bytearray()
    sock.settimeout(timeout)
    while len(buf) < n:
        try:
            b = sock.recv(min(65536, n - len(buf)))
        except socket.timeout:
            return bytes(buf), "timeout"
        except ConnectionError as exc:
            return bytes(buf), f"connection error: {exc}"
        if not b:
            return bytes(buf), "eof"
        buf += b
    return bytes(buf), None


def _run_steps(sock, steps, timeout, res):
    """Execute ["send"|"recv", hex, turn] steps; record mismatches; False on a fatal error."""
    for kind, hexdata, turn in steps:
        data = bytes.fromhex(hexdata)
        if kind == "send":
            try:
                sock.sendall(data)
            except OSError as exc:
                res["error"] = f"sending turn {turn} ({len(data)} bytes): {exc}"
                return False
            res["bytes_out"] += len(data)
            continue
        got, why = _recv_exact(sock, len(data), timeout)
        res["bytes_in"] += len(got)
        if got != data[:len(got)]:
            off = next((i for i, (a, b) in enumerate(zip(got, data)) if a != b), len(got))
            res["mismatch"].append({"turn": turn, "offset": off, "length": len(data),
                                    "expected": data[off:off + 16].hex(), "got": got[off:off + 16].hex()})
        if why:
            res["error"] = (f"{why} in turn {turn} after {len(got)} of the {len(data)} "
                            f"bytes expected")
            return False
    return True


def _drain(sock, timeout):
    """Bytes received until end of stream (None on timeout)."""
    extra = bytearray()
    sock.settimeout(timeout)
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                return bytes(extra)
            extra += b
    except socket.timeout:
        return None
    except ConnectionError:
        return bytes(extra)


def peer_main(role, spec_path):
    """--peer server|client SPEC: run the script, print one JSON result line."""
    with open(spec_path) as f:
        spec = json.load(f)
    timeout = spec.get("timeout", IO_TIMEOUT)
    res = {"role": role, "error": None, "mismatch": [], "bytes_in": 0, "bytes_out": 0}
    sock = None
    try:
        if role == "server":
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((spec["addr"], spec["port"]))
            ls.listen(1)
            print("LISTENING", flush=True)
            ls.settimeout(spec.get("accept_timeout", timeout))
            try:
                sock, _peer = ls.accept()
            except socket.timeout:
                res["error"] = "no connection from the engine"
                return res
            finally:
                ls.close()
        else:
            sock = socket.create_connection((spec["addr"], spec["port"]), timeout=timeout)
        if _run_steps(sock, spec["steps"], timeout, res):
            if role == "client":
                sock.shutdown(socket.SHUT_WR)
            extra = _drain(sock, timeout)
            if extra is None:
                res["error"] = "the connection was not closed after the last turn"
            elif extra:
                res["error"] = f"{len(extra)} bytes more than captured after the last turn: {extra[:16].hex()}"
    except OSError as exc:
        res["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        if sock is not None:
            sock.close()
    return res


# --- planning: what to replay -------------------------------------------------------------

class Plan:
    """One session of a capture and what to do with it."""

    def __init__(self, capture, session):
        self.capture = capture
        self.session = session
        self.skip = None      # reason, when the session is not replayed at all
        self.turns = []       # [(direction, bytes)] to replay: what each peer sends
        self.expect = None    # [bytes] per turn: what the receiving peer must get (None: the turn)
        self.rewritten = 0    # turns whose expected bytes differ from the captured ones
        self.cut = None       # (messages) when TLS follows StartTLS
        self.notes = []

    @property
    def label(self):
        return f"{os.path.basename(self.capture)} #{self.session.index + 1} {self.session.name}"


def _hole_text(stream, what):
    off, n, why = stream.holes[0]
    return f"incomplete capture: {n} bytes missing {what} at byte {off} ({why})"


def plan_session(capture, session):
    from testbed import captures
    p = Plan(capture, session)
    c, s = session.c2s, session.s2c
    if c.isn is None:
        p.skip = "incomplete capture: no SYN from the client (the connection began before the capture)"
    elif c.holes:
        p.skip = _hole_text(c, "client->server")
    elif s.holes:
        p.skip = _hole_text(s, "server->client")
    elif not c.data and not s.data:
        p.skip = "no payload (handshake or close only)"
    elif not c.data:
        p.skip = (f"only the server sent bytes ({len(s.data)}): the engine binds a backend on the "
                  f"client's first payload, so no backend is ever chosen")
    elif captures.looks_like_tls(c.data):
        p.skip = "TLS from the first byte (LDAPS), not LDAP: nothing a scripted peer can answer"
    elif not captures.ldap_frames(c.data)[0]:
        p.skip = f"not LDAP: the client's first bytes are no LDAPMessage ({c.data[:8].hex()}...)"
    if p.skip:
        return p
    cut = captures.starttls_cut(session)
    if cut:
        c_end, s_end, msgs = cut
        p.cut = msgs
        p.turns = captures.merge_turns(c.data, c.pieces, s.data, s.pieces, c_end, s_end)
        p.notes.append(f"{len(c.data) - c_end}+{len(s.data) - s_end} bytes of TLS left out")
    else:
        p.turns = session.turns()
    if p.turns and p.turns[0][0] == "s2c":
        p.notes.append("the server spoke first: the client sent its first turn before reading it "
                       "(delayed binding)")
    if c.rst or s.rst:
        p.notes.append(f"captured session ended in RST from the {'client' if c.rst else 'server'}; "
                       f"replayed up to its last byte and closed with FIN")
    return p


def peer_steps(turns, role, corrupt=None, expect=None):
    """The steps of one side: [kind, hex, turn number]. expect: per turn, the bytes the
    receiving side must get (default: the turn's own). corrupt="s2c" (or "c2s") changes the
    last byte of that direction's first turn in what the receiving side expects."""
    mine = "c2s" if role == "client" else "s2c"
    steps, corrupted = [], False
    for k, (direction, data) in enumerate(turns, 1):
        if direction != mine and expect is not None:
            data = expect[k - 1]
        if direction != mine and corrupt == direction and not corrupted:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
            corrupted = True
        steps.append(["send" if direction == mine else "recv", data, k])
    if role == "client" and steps and steps[0][0] == "recv":
        # delayed binding: the engine needs the client's first payload to choose the backend
        first_send = next((i for i, st in enumerate(steps) if st[0] == "send"), None)
        if first_send is not None:
            steps.insert(0, steps.pop(first_send))
    merged = []
    for kind, data, k in steps:
        if merged and merged[-1][0] == kind == "recv":
            merged[-1] = [kind, merged[-1][1] + data, f"{merged[-1][2]}+{k}"]
        else:
            merged.append([kind, data, k])
    return [[kind, data.hex(), k] for kind, data, k in merged]


# --- what an inspecting engine should deliver (--config) -------------------------------------

LDAP_WALK = os.path.join(REPO_ROOT, "build", "ldap_walk")
SPLIT_REASON = "turn splits an LDAP message, cannot compute the rewritten bytes"

_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|//[^\n]*|/\*.*?\*/', re.S)


def _uncomment(text):
    """libconfig text with its comments blanked (strings kept, so a '#' in a DN stays)."""
    return _STRING_OR_COMMENT.sub(lambda m: m.group(0) if m.group(0)[0] == '"' else " ", text)


def _unquote(s):
    return re.sub(r"\\(.)", r"\1", s)


class Policy:
    """What of an engine config replay.py models: does the engine inspect LDAP, and the
    ldap.rewrite suffixes (client, backend) or None."""

    def __init__(self, text):
        text = _uncomment(text)
        m = re.search(r"\binspect\s*[:=]\s*\{[^}]*?\bprotocol\s*[:=]\s*\"([^\"]*)\"", text)
        self.inspect = m.group(1) if m else None
        self.rewrite = None
        m = re.search(r"\brewrite\s*[:=]\s*\{([^}]*)\}", text)
        if m:
            found = {}
            for key in ("client_suffix", "backend_suffix"):
                k = re.search(rf'\b{key}\s*[:=]\s*"((?:[^"\\]|\\.)*)"', m.group(1))
                if k is None:
                    raise ValueError(f"ldap.rewrite without {key}")
                found[key] = _unquote(k.group(1))
            self.rewrite = (found["client_suffix"], found["backend_suffix"])

    @property
    def ldap(self):
        return self.inspect == "ldap"


def ldap_rewrite(data, client_suffix, backend_suffix, request, walk=LDAP_WALK):
    """(status, bytes or reason) of build/ldap_walk --rewrite: "ok" and the rewritten stream,
    "split" when data ends inside a message, "bad" when a message cannot be parsed."""
    cp = subprocess.run([walk, "--rewrite", client_suffix, backend_suffix,
                         "--request" if request else "--response"],
                        input=data, capture_output=True, timeout=60)
    err = cp.stderr.decode(errors="replace").strip().removeprefix("ldap_walk: ")
    if cp.returncode == 0:
        return "ok", cp.stdout
    if cp.returncode == 3:
        return "split", err
    if cp.returncode == 1:
        return "bad", err
    raise RuntimeError(f"{walk} exited {cp.returncode}: {err}")


def expect_under(plan, policy):
    """Set plan.expect to what each peer must receive through an engine inspecting LDAP with
    `policy`: every client turn with its requests rewritten client -> backend suffix, every
    server turn with its responses rewritten backend -> client suffix (the engine's own
    pe_ldap_rewrite, through ldap_walk). Without ldap.rewrite the turns are only checked to be
    whole LDAPMessages (empty suffixes never match). Sets plan.skip when a turn does not end on
    a message boundary, or holds bytes that are no LDAPMessage (a SASL security layer: the
    inspecting engine resets such a connection)."""
    client_suffix, backend_suffix = policy.rewrite or ("", "")
    if not os.access(LDAP_WALK, os.X_OK):
        raise RuntimeError(f"{LDAP_WALK} is missing: build first (ninja -C build)")
    plan.expect, plan.rewritten = [], 0
    for k, (direction, data) in enumerate(plan.turns, 1):
        what = "client->server" if direction == "c2s" else "server->client"
        status, out = ldap_rewrite(data, client_suffix, backend_suffix, direction == "c2s")
        if status == "split":
            plan.skip = f"{SPLIT_REASON} (turn {k}, {what}: {out})"
        elif status == "bad":
            plan.skip = (f"turn {k} ({what}) is not whole LDAPMessages ({out}; a SASL security "
                         f"layer?): the inspecting engine resets such a connection, cannot compute "
                         f"the rewritten bytes")
        if plan.skip:
            plan.expect = None
            return plan
        plan.expect.append(out)
        plan.rewritten += out != data
    return plan


# --- running one session --------------------------------------------------------------------

def _peer_argv(ns, role, spec):
    return ["ip", "netns", "exec", ns, PY, THIS, "--peer", role, spec]


def _parse(out, role):
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    return {"role": role, "error": f"no result from the scripted {role}: {out[-300:]!r}",
            "mismatch": [], "bytes_in": 0, "bytes_out": 0}


def run_session(plan, port, workdir, corrupt=None):
    """(status, detail) after replaying plan.turns; status PASS or FAIL."""
    base = os.path.join(workdir, f"s{plan.session.index}")
    specs = {}
    for role, addr in (("server", REPLAY_IP), ("client", VIP)):
        specs[role] = f"{base}-{role}.json"
        with open(specs[role], "w") as f:
            json.dump({"addr": addr, "port": port, "timeout": IO_TIMEOUT,
                       "accept_timeout": IO_TIMEOUT + 5,
                       "steps": peer_steps(plan.turns, role, corrupt, plan.expect)}, f)
    server = subprocess.Popen(_peer_argv(SERVER_NS, "server", specs["server"]), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    try:
        ready, deadline = "", time.monotonic() + IO_TIMEOUT + 5
        while time.monotonic() < deadline and server.poll() is None:
            r, _, _ = select.select([server.stdout], [], [], 0.2)
            if r:
                ready = server.stdout.readline()
                break
        if ready.strip() != "LISTENING":
            out = ready + (server.stdout.read() if server.poll() is not None else "")
            return "FAIL", f"the scripted server did not start listening: {out.strip()[-300:]}"
        try:
            cp = subprocess.run(_peer_argv(CLIENT_NS, "client", specs["client"]), capture_output=True,
                                text=True, timeout=SESSION_TIMEOUT, stdin=subprocess.DEVNULL)
            client = _parse(cp.stdout + cp.stderr, "client")
        except subprocess.TimeoutExpired:
            client = _parse("", "client")
            client["error"] = f"the scripted client ran longer than {SESSION_TIMEOUT:.0f} s"
        try:
            out, _ = server.communicate(timeout=SESSION_TIMEOUT)
            srv = _parse(out, "server")
        except subprocess.TimeoutExpired:
            srv = _parse("", "server")
            srv["error"] = f"the scripted server ran longer than {SESSION_TIMEOUT:.0f} s"
    finally:
        if server.poll() is None:
            server.kill()  # our own child, by pid
            server.wait(timeout=5)
    problems = []
    than = "captured" if plan.expect is None else "the policy should produce"
    for res, what in ((srv, "server received"), (client, "client received")):
        for m in res["mismatch"][:1]:
            problems.append(f"{what} other bytes than {than} in turn {m['turn']} at byte "
                            f"{m['offset']} of {m['length']}: expected {m['expected']}, got {m['got']}")
        if res["error"]:
            problems.append(f"{res['role']}: {res['error']}")
    expect = plan.expect or [d for _k, d in plan.turns]
    c_bytes = sum(len(e) for (k, _d), e in zip(plan.turns, expect) if k == "c2s")
    s_bytes = sum(len(e) for (k, _d), e in zip(plan.turns, expect) if k == "s2c")
    if problems:
        return "FAIL", "; ".join(problems)
    if srv["bytes_in"] != c_bytes or client["bytes_in"] != s_bytes:
        return "FAIL", (f"byte counts differ: server received {srv['bytes_in']} of {c_bytes}, "
                        f"client {client['bytes_in']} of {s_bytes}")
    how = "byte-exact"
    if plan.expect is not None:
        how = f"byte-exact as the policy should produce ({plan.rewritten} turns rewritten)"
    return "PASS", f"{len(plan.turns)} turns, {c_bytes} bytes to the server and {s_bytes} back, {how}"


# --- the engine -----------------------------------------------------------------------------

def engine_config_text(port, base=BASE_CONFIG):
    """`base` (default testbed/proxyengine.conf) with engine.port = port, the one backend
    be1 at REPLAY_IP:port, and every pool's backends list made [ "be1" ] (pool names, and
    so routes and default_pool, stay). Every other section (inspect, ldap, ...) is kept."""
    with open(base) as f:
        text = f.read()
    text = re.sub(r"(\bbackends\s*[:=]\s*)\[[^\]]*\]", r'\1[ "be1" ]', text)
    text, n = re.subn(r"(engine\s*:\s*\{[^}]*?\n\s*port\s*=\s*)\d+", rf"\g<1>{port}", text, count=1)
    if n != 1:
        text, n = re.subn(r"(engine\s*:\s*\{)", rf"\1\n\tport = {port};", text, count=1)
    backends = (f'backends = (\n\t{{ name = "be1"; address = "{REPLAY_IP}"; port = {port}; }}\n);')
    text, m = re.subn(r"\nbackends\s*=\s*\(.*?\)\s*;", "\n" + backends, text, count=1, flags=re.S)
    if n != 1 or m != 1:
        raise RuntimeError(f"{base}: could not set engine.port / backends for the replay")
    return text


def _ip(*args, check=True):
    from testbed.netns import run
    return run(["ip", *args], check=check, timeout=10)


@contextlib.contextmanager
def replay_address():
    """REPLAY_IP on pe-be1's eth0 inside the block (the topology must exist)."""
    _ip("-n", SERVER_NS, "addr", "replace", f"{REPLAY_IP}/{REPLAY_PREFIX}", "dev", "eth0")
    try:
        yield
    finally:
        _ip("-n", SERVER_NS, "addr", "del", f"{REPLAY_IP}/{REPLAY_PREFIX}", "dev", "eth0", check=False)


@contextlib.contextmanager
def standalone_engine(config):
    """The testbed without slapd: topology, REPLAY_IP, the engine running `config`; all
    torn down at the end of the block (leftovers of a crashed run are removed first)."""
    from testbed import engine as engine_mod
    from testbed import topo
    from testbed.bed import BASE_DIR, Testbed

    class ReplayBed(Testbed):
        def up(self, with_engine=True):
            Testbed.load().down()
            shutil.rmtree(BASE_DIR, ignore_errors=True)
            os.makedirs(BASE_DIR)
            try:
                topo.up()
                _ip("-n", SERVER_NS, "addr", "replace", f"{REPLAY_IP}/{REPLAY_PREFIX}", "dev", "eth0")
                self.engine = engine_mod.Engine(config=config)
                self.engine.spawn()
                self._save()
                self.engine.wait_ready()
            except BaseException:
                self.down()
                raise
            return self

    bed = ReplayBed()
    try:
        bed.up()
        yield bed
    finally:
        summary = bed.down()
        if summary.get("leftovers"):
            print(f"replay: testbed teardown left {summary['leftovers']}", file=sys.stderr)


def on_testbed(tb):
    """An engine factory for replay() on a running testbed (pytest's `tb`): REPLAY_IP is
    added to pe-be1, the engine runs the replay config, and both are undone afterwards."""
    @contextlib.contextmanager
    def factory(config):
        with replay_address(), tb.engine_config(config):
            yield
    return factory


# --- the whole run ---------------------------------------------------------------------------

class Summary:
    def __init__(self):
        self.results = []  # (capture, label, status, detail)

    def count(self, status):
        return sum(1 for r in self.results if r[2] == status)

    @property
    def line(self):
        return f"{self.count('PASS')} passed, {self.count('FAIL')} failed, {self.count('SKIP')} skipped"

    def by_capture(self, capture):
        return [r for r in self.results if os.path.basename(r[0]) == os.path.basename(capture)]


def replay(paths, port=389, engine=standalone_engine, out=None, corrupt=None, config=None):
    """Replay every session of `paths` on `port`; print a line per session (to `out`, a
    callable; default print) and return a Summary (the final line is its .line).
    config: an engine config file to run instead of testbed/proxyengine.conf (see
    engine_config_text); with inspect.protocol = "ldap" the expected bytes are what its
    ldap.rewrite should produce (expect_under).
    `engine(config_path)` is a context manager running the engine with that config
    (standalone_engine, or on_testbed(tb)); it is entered only when something is replayed.
    corrupt="s2c"/"c2s": the receiving peer expects one changed byte (for self-tests)."""
    from testbed import captures
    out = out or (lambda line: print(line, flush=True))
    summary = Summary()
    base = config or BASE_CONFIG
    with open(base) as f:
        policy = Policy(f.read())

    def report(capture, label, status, detail):
        summary.results.append((capture, label, status, detail))
        out(f"{status}  {label}: {detail}")

    items = []  # Plans, or (capture, status, detail) for a whole file, in input order
    for path in paths:
        try:
            sessions = captures.read_sessions(path, port)
        except Exception as exc:  # a file scapy cannot read: say so, count it as failed
            items.append((path, "FAIL", f"cannot read the capture: {type(exc).__name__}: {exc}"))
            continue
        if not sessions:
            items.append((path, "SKIP", f"no TCP connection to port {port} in the capture"))
        for s in sessions:
            p = plan_session(path, s)
            if not p.skip and policy.ldap:
                expect_under(p, policy)
            items.append(p)
    todo = [p for p in items if isinstance(p, Plan) and not p.skip]
    workdir = tempfile.mkdtemp(prefix="pe-replay-")
    try:
        conf = os.path.join(workdir, "engine.conf")
        with open(conf, "w") as f:
            f.write(engine_config_text(port, base))
        with engine(conf) if todo else contextlib.nullcontext():
            for p in items:
                if not isinstance(p, Plan):
                    report(p[0], os.path.basename(p[0]), p[1], p[2])
                elif p.skip:
                    report(p.capture, p.label, "SKIP", p.skip)
                else:
                    status, detail = run_session(p, port, workdir, corrupt)
                    notes = ("; " + "; ".join(p.notes)) if p.notes else ""
                    if status == "PASS" and p.cut is not None:
                        report(p.capture, p.label, "SKIP",
                               f"TLS after StartTLS ({p.cut} LDAP messages replayed: {detail}{notes})")
                    else:
                        report(p.capture, p.label, status, detail + notes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out(summary.line)
    return summary


def _interrupted(_signum, _frame):
    raise KeyboardInterrupt


def main(argv=None, engine=None):
    """The command line; `engine` as for replay() (default: a standalone testbed)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip(),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("captures", nargs="*", metavar="CAPTURE", help="pcap or pcapng files")
    ap.add_argument("--port", type=int, default=389,
                    help="the LDAP server port in the captures; the VIP and the backend use it too")
    ap.add_argument("--profile", help="the engine's PMD profile (default pmd-profiles/tap.profile)")
    ap.add_argument("--config", metavar="FILE",
                    help="engine config to run (default testbed/proxyengine.conf): its inspect, pools "
                         "and ldap sections apply (pools all become [\"be1\"]); with ldap.rewrite the "
                         "peers expect the rewritten bytes")
    ap.add_argument("--peer", choices=("server", "client"), help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args(argv)
    if args.peer:  # internal: one scripted peer inside a netns
        print(json.dumps(peer_main(args.peer, rest[0] if rest else args.captures[0])), flush=True)
        return 0
    if rest:
        ap.error(f"unrecognized arguments: {' '.join(rest)}")
    if not args.captures:
        ap.error("give at least one capture")
    if not 1 <= args.port <= 65535:
        ap.error("--port must be 1..65535")
    for c in args.captures:
        if not os.path.isfile(c):
            ap.error(f"{c}: no such file")
    if args.config:
        if not os.path.isfile(args.config):
            ap.error(f"--config {args.config}: no such file")
        try:
            with open(args.config) as f:
                Policy(f.read())
            engine_config_text(args.port, args.config)
        except (ValueError, RuntimeError) as exc:
            ap.error(f"--config {args.config}: {exc}")
    if engine is None:
        signal.signal(signal.SIGTERM, _interrupted)  # tear the testbed down as Ctrl-C does
    if os.geteuid() != 0:
        print("replay: must run as root (network namespaces, bridge, tap)", file=sys.stderr)
        return 1
    if args.profile and engine is None:
        os.environ["PE_PROFILE"] = os.path.abspath(args.profile)
    summary = replay([os.path.abspath(c) for c in args.captures], args.port,
                     engine=engine or standalone_engine,
                     config=os.path.abspath(args.config) if args.config else None)
    return 1 if summary.count("FAIL") else 0


if __name__ == "__main__":
    sys.path.insert(0, REPO_ROOT)
    sys.dont_write_bytecode = True
    sys.exit(main())
