"""HAProxy 2.6 (Debian) beside proxyengine on the testbed: CPU time per proxied LDAP session (issue 7).

HAProxy runs in its own netns NETNS on the testbed bridge (veth VETH, address ADDR/24, a free
address of 198.18.0.0/24, see topo.py), listening on ADDR:389, with the same delayed binding
as the engine's LDAP routing: `mode tcp`, `tcp-request inspect-delay 5s`, the connection is
accepted for routing once the client's first bytes are in, and `use_backend` picks the pool
from the bind DN found in those bytes (`req.payload(0,0) -m sub -i`). Pools as in the engine
config ENGINE_CONF: "people" = be1 (DNs under ou=people and the default), "admin" = be2
(cn=admin and DNs under ou=admins). One thread (nbthread 1), no logging, no health checks,
foreground (-db), run as root; config and stats socket in a temp dir.

compare(tb, sessions=2000, concurrency=32, warmup=None, engine_first=False) -> dict
  tb: a testbed.bed.Testbed that is up (with its engine), or the pytest TB helper (tb.bed).
  Starts HAProxy, restarts the testbed's engine with ENGINE_CONF (tap profile unless
  PE_PROFILE says otherwise), runs `warmup` sessions through each (default min(sessions, 2 x
  concurrency), not measured), then the testbed.ldapload workload (sessions, concurrency) in
  the client netns, first through HAProxy, then through the engine's VIP (the other way round
  with engine_first), and measures per phase:
    HAProxy:  /proc/<pid>/stat utime+stime (clock ticks / SC_CLK_TCK: user and kernel time
              of its syscalls) -> haproxy_cpu_s_per_session; also the sum of its threads'
              /proc schedstat run time (ns resolution) -> haproxy_sched_s_per_session.
    engine:   /pe/stats worker_busy_cycles delta / TSC hz -> engine_busy_s_per_session;
              /proc utime+stime of the engine process (includes its idle polling and naps)
              -> engine_proc_cpu_s_per_session (and _sched_ like above).
    TSC hz:   /pe/info "tsc_hz" (or "hz") if the engine reports it; otherwise calibrated from the
              worker's busy+idle cycles over the wall time of the engine phase (the worker
              loop accounts every cycle to one of the two); /proc/cpuinfo "cpu MHz" is
              reported beside it. `tsc_hz_source` says which was used.
  Each phase waits (bounded) until the proxy holds no connection before its closing reading.
  The client netns's ephemeral ports are 1024-65000, set by the topology (topo.py says why);
  HAProxy's netns gets the same range.
  Returns per_session figures, haproxy_cpu_ratio = haproxy_cpu_s_per_session /
  engine_busy_s_per_session (the issue's ratio), haproxy_cpu_ratio_proc (over the engine's
  utime+stime) and haproxy_cpu_ratio_sched (schedstat of both processes: on-CPU time, while
  busy cycles are TSC time that also runs on while the worker is preempted mid-poll), the workload results of both phases (sessions, ok, failed,
  errors), HAProxy's per-backend session counts and the engine's /pe/rules and per-backend
  counts, slapd CPU per session in each phase. The engine is restarted with the config it had
  before, and HAProxy and its netns are removed, whatever happens.
format_table(result) -> str   the human table.
Command line (root; uses the running testbed if there is one, else brings one up and down):
  /usr/bin/python3 -m testbed.haproxy [--sessions N] [--concurrency C] [--warmup W] [--engine-first]
prints the table, then the result as one JSON line.
"""
import argparse
import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from . import slapd, topo
from .netns import pid_alive, pid_cmdline, run, terminate, wait_until

HAPROXY = "/usr/sbin/haproxy"
NETNS = "pe-haproxy"
VETH = "pe-haproxy-h"
ADDR = "198.18.0.20"
PORT = 389
PY = "/usr/bin/python3"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")

PEOPLE_SUFFIX = f"ou=people,{slapd.SUFFIX}"
ADMINS_SUFFIX = f"ou=admins,{slapd.SUFFIX}"
POOLS = {"people": "be1", "admin": "be2"}

HAPROXY_CONF = """\
# HAProxy side of the issue 7 comparison (testbed/haproxy.py); written per run.
global
	nbthread 1
	maxconn 4096
	stats socket {dir}/stats.sock mode 600 level user
	# no "log" line: nothing is logged

defaults
	mode tcp
	timeout connect 3s
	timeout client 60s
	timeout server 60s

frontend ldap
	bind {addr}:{port}
	# delayed binding: hold the connection until the client's first bytes (the BindRequest)
	# are in, then choose the pool from the bind DN they contain
	tcp-request inspect-delay 5s
	tcp-request content accept if {{ req.len gt 0 }}
	use_backend admin if {{ req.payload(0,0) -m sub -i cn=admin,{suffix} }}
	use_backend admin if {{ req.payload(0,0) -m sub -i ,{admins} }}
	use_backend people if {{ req.payload(0,0) -m sub -i ,{people} }}
	default_backend people

backend people
	server be1 {be1}:389

backend admin
	server be2 {be2}:389
"""

ENGINE_CONF = """\
# Engine side of the issue 7 comparison (testbed/haproxy.py); written per run. The same
# routing as the HAProxy config: pools people = be1 (ou=people, default), admin = be2.
engine: {{
	vip = "{vip}";
	port = {port};
	source_address = "{source}";
	max_connections = 4096;
}};

backends = (
	{{ name = "be1"; address = "{be1}"; port = 389; }},
	{{ name = "be2"; address = "{be2}"; port = 389; }}
);

timeouts: {{
	idle_ms = 60000;
	connect_ms = 3000;
}};

inspect: {{
	protocol = "ldap";
	max_message_bytes = 262144;
	hold_ms = 5000;
	on_limit = "reset";
}};

pools = (
	{{ name = "people"; backends = [ "be1" ]; }},
	{{ name = "admin";  backends = [ "be2" ]; }}
);

ldap: {{
	routes = (
		{{ bind_dn = "cn=admin,{suffix}"; pool = "admin"; }},
		{{ bind_dn_suffix = "{admins}"; pool = "admin"; }},
		{{ bind_dn_suffix = "{people}"; pool = "people"; }}
	);
	default_pool = "people";
}};
"""


class HAProxyError(RuntimeError):
    pass


def binary():
    """The haproxy binary, or None if it is not installed."""
    return HAPROXY if os.access(HAPROXY, os.X_OK) else None


def version():
    r = run([HAPROXY, "-v"], check=False, timeout=10)
    return r.stdout.splitlines()[0] if r.returncode == 0 and r.stdout else None


def proc_cpu(pid):
    """CPU used so far by process `pid` (all threads): utime+stime in clock ticks, those in
    seconds, and the threads' schedstat run time in seconds (ns resolution)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc_pid_stat(5)
    ticks = utime + stime
    sched_ns = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                sched_ns += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # thread ended meanwhile
    return {"ticks": ticks, "user_ticks": utime, "sys_ticks": stime, "cpu_s": ticks / CLK_TCK,
            "sched_s": sched_ns / 1e9}


def _cpu_delta(before, after):
    return {k: after[k] - before[k] for k in before}


def _remove_netns():
    """Remove NETNS and VETH by name, first stopping any haproxy left in NETNS by a crashed run."""
    if topo.netns_exists(NETNS):
        pids = run(["ip", "netns", "pids", NETNS], check=False, timeout=5).stdout.split()
        for p in pids:
            argv = pid_cmdline(int(p))
            if argv and os.path.basename(argv[0]) == "haproxy":
                terminate(int(p), "haproxy", timeout=5)
        run(["ip", "netns", "del", NETNS], check=False)
    if topo.link_exists(VETH):
        run(["ip", "link", "del", VETH], check=False)


class HAProxy:
    """HAProxy in NETNS at ADDR:PORT. start() returns when it listens; stop() stops it by pid
    and removes its netns and temp dir (safe to repeat). Also a context manager."""

    def __init__(self):
        self.dir = None
        self.conf = None
        self.proc = None
        self.pid = None

    def start(self, timeout=10.0):
        if binary() is None:
            raise HAProxyError(f"{HAPROXY} not installed (ci/install-deps.sh installs the haproxy package)")
        if not topo.link_exists(topo.BRIDGE):
            raise HAProxyError(f"bridge {topo.BRIDGE} missing: bring the testbed up first")
        _remove_netns()
        try:
            self.dir = tempfile.mkdtemp(prefix="pe-haproxy-")
            self.conf = os.path.join(self.dir, "haproxy.cfg")
            with open(self.conf, "w") as f:
                f.write(HAPROXY_CONF.format(dir=self.dir, addr=ADDR, port=PORT, suffix=slapd.SUFFIX,
                                            admins=ADMINS_SUFFIX, people=PEOPLE_SUFFIX,
                                            be1=topo.backend_ip("be1"), be2=topo.backend_ip("be2")))
            run([HAPROXY, "-c", "-q", "-f", self.conf], timeout=10)
            # The benchmark may open more connections to the backends within TIME_WAIT (60 s)
            # than the default ephemeral range holds; this netns is ours alone.
            topo.add_host(NETNS, VETH, ADDR, port_range=topo.CLIENT_PORT_RANGE)
            log = open(os.path.join(self.dir, "haproxy.log"), "wb")
            # `ip netns exec` execs haproxy, so the child's pid is haproxy's own; -db: foreground.
            self.proc = subprocess.Popen(["ip", "netns", "exec", NETNS, HAPROXY, "-db", "-f", self.conf],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
            log.close()
            self.pid = self.proc.pid
            wait_until(self._listening, timeout, f"haproxy listening on {ADDR}:{PORT}")
        except BaseException:
            self.stop()
            raise
        return self

    def _listening(self):
        if self.proc.poll() is not None:
            raise HAProxyError(f"haproxy exited rc={self.proc.returncode}: {self.log_tail()}")
        r = run(["ss", "-Hltn", f"sport = :{PORT}"], ns=NETNS, check=False, timeout=5)
        return f"{ADDR}:{PORT}" in r.stdout

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "haproxy.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except (FileNotFoundError, TypeError):
            return "(no haproxy log)"

    def cpu(self):
        return proc_cpu(self.pid)

    def stats(self):
        """Frontend/backend rows of `show stat`: {"<proxy>/<FRONTEND|BACKEND|server>": {scur, stot}}."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(os.path.join(self.dir, "stats.sock"))
            s.sendall(b"show stat\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        text = data.decode(errors="replace").lstrip("# ")
        out = {}
        for row in csv.DictReader(io.StringIO(text)):
            if row.get("pxname"):
                out[f"{row['pxname']}/{row['svname']}"] = {"scur": int(row["scur"] or 0),
                                                          "stot": int(row["stot"] or 0)}
        return out

    def idle(self):
        """True when HAProxy holds no session (frontend and backends)."""
        return all(v["scur"] == 0 for v in self.stats().values())

    def stop(self):
        if self.pid is not None and pid_alive(self.pid):
            terminate(self.pid, self.conf, timeout=5)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.pid = None
        _remove_netns()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start() if self.pid is None else self

    def __exit__(self, *exc):
        self.stop()


def engine_conf_text():
    return ENGINE_CONF.format(vip=topo.VIP, port=topo.VIP_PORT, source=topo.ENGINE_SOURCE,
                              be1=topo.backend_ip("be1"), be2=topo.backend_ip("be2"),
                              suffix=slapd.SUFFIX, admins=ADMINS_SUFFIX, people=PEOPLE_SUFFIX)


def load(host, sessions, concurrency, timeout_s=10.0):
    """Run testbed.ldapload in the client netns against host:389; its result dict."""
    argv = ["ip", "netns", "exec", topo.CLIENT_NS, PY, "-m", "testbed.ldapload", host,
            "--sessions", str(sessions), "--concurrency", str(concurrency), "--timeout", str(timeout_s)]
    # bounded: generous for a slow machine (> 100 s per 10 k sessions allowed, plus a minute)
    p = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60 + sessions / 50,
                       stdin=subprocess.DEVNULL)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise HAProxyError(f"ldapload against {host} printed no result (rc={p.returncode}): "
                           f"{p.stderr[-2000:]}")
    return json.loads(lines[-1])


def cpuinfo_mhz():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1])
    except (OSError, ValueError):
        pass
    return None


def _quiesce(cond, what, timeout=15.0):
    """Wait (bounded) until cond(); True if reached. Not reaching it is reported, not raised."""
    try:
        wait_until(cond, timeout, what, interval=0.05)
        return True
    except TimeoutError:
        return False


def _slapd_cpu(bed):
    total = {"ticks": 0, "user_ticks": 0, "sys_ticks": 0, "cpu_s": 0.0, "sched_s": 0.0}
    for s in bed.slapds.values():
        if s.pid and pid_alive(s.pid):
            c = proc_cpu(s.pid)
            for k in total:
                total[k] += c[k]
    return total


def _phase_haproxy(hp, bed, sessions, concurrency):
    s0, sl0 = hp.stats(), _slapd_cpu(bed)
    c0 = hp.cpu()
    res = load(ADDR, sessions, concurrency)
    quiet = _quiesce(hp.idle, "haproxy to hold no session")
    c1, sl1, s1 = hp.cpu(), _slapd_cpu(bed), hp.stats()
    res["cpu"] = _cpu_delta(c0, c1)
    res["slapd_cpu"] = _cpu_delta(sl0, sl1)
    res["quiesced"] = quiet
    res["backend_sessions"] = {k: s1[k]["stot"] - s0.get(k, {"stot": 0})["stot"]
                               for k in s1 if k.endswith("/BACKEND")}
    return res


def _phase_engine(bed, sessions, concurrency):
    eng = bed.engine
    with eng.telemetry(timeout=5) as tel:
        r0, b0, sl0 = tel.query("/pe/rules"), tel.query("/pe/backends"), _slapd_cpu(bed)
        c0, st0, t0 = proc_cpu(eng.pid), tel.query("/pe/stats"), time.monotonic()
        res = load(topo.VIP, sessions, concurrency)
        quiet = _quiesce(lambda: tel.query("/pe/stats")["conn_active"] == 0, "engine conn_active 0")
        st1, t1, c1 = tel.query("/pe/stats"), time.monotonic(), proc_cpu(eng.pid)
        sl1, r1, b1 = _slapd_cpu(bed), tel.query("/pe/rules"), tel.query("/pe/backends")
        info = tel.query("/pe/info")
    keys = ("worker_busy_cycles", "worker_idle_cycles", "worker_busy_polls", "rx_packets", "tx_packets",
            "conn_created", "inspect_messages", "inspect_malformed", "rst_sent")
    res["stats"] = {k: st1[k] - st0[k] for k in keys if k in st1}
    res["wall_s"] = t1 - t0
    res["cpu"] = _cpu_delta(c0, c1)
    res["slapd_cpu"] = _cpu_delta(sl0, sl1)
    res["quiesced"] = quiet
    res["rules"] = {k: r1[k] - r0.get(k, 0) for k in r1}
    res["backend_selected"] = {k: b1[k].get("selected", 0) - b0.get(k, {}).get("selected", 0) for k in b1}
    res["info"] = info
    return res


def _tsc_hz(info, st, wall_s):
    mhz = cpuinfo_mhz()
    for key in ("tsc_hz", "hz", "timer_hz"):
        if isinstance(info.get(key), (int, float)) and info[key] > 0:
            return float(info[key]), f"/pe/info {key}", mhz
    total = st["worker_busy_cycles"] + st["worker_idle_cycles"]
    if wall_s > 0.5 and total > 0:
        return total / wall_s, "calibrated: worker busy+idle cycles / wall time of the engine phase", mhz
    if mhz:
        return mhz * 1e6, "/proc/cpuinfo cpu MHz", mhz
    raise HAProxyError("cannot tell the TSC frequency")


def compare(tb, sessions=2000, concurrency=32, warmup=None, engine_first=False):
    """The side-by-side measurement (module doc). Returns the result dict."""
    bed = getattr(tb, "bed", None) or tb
    if binary() is None:
        raise HAProxyError(f"{HAPROXY} not installed (ci/install-deps.sh installs the haproxy package)")
    if bed.engine is None:
        raise HAProxyError("the testbed's engine is not running")
    warmup = min(sessions, 2 * concurrency) if warmup is None else warmup
    prev_config = bed.engine.config
    tmp = tempfile.mkdtemp(prefix="pe-cmp-")
    conf = os.path.join(tmp, "engine-ldap-cmp.conf")
    with open(conf, "w") as f:
        f.write(engine_conf_text())
    restarted = False
    try:
        with HAProxy() as hp:
            tb.restart_engine(conf)
            restarted = True
            warm = {}
            if warmup:
                warm = {"haproxy": load(ADDR, warmup, concurrency), "engine": load(topo.VIP, warmup, concurrency)}
            if engine_first:
                eres = _phase_engine(bed, sessions, concurrency)
                hres = _phase_haproxy(hp, bed, sessions, concurrency)
            else:
                hres = _phase_haproxy(hp, bed, sessions, concurrency)
                eres = _phase_engine(bed, sessions, concurrency)
            hp_version = version()
    finally:
        try:
            if restarted:
                tb.restart_engine(prev_config)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    hz, hz_source, mhz = _tsc_hz(eres["info"], eres["stats"], eres["wall_s"])
    h_n, e_n = max(hres["ok"], 1), max(eres["ok"], 1)
    busy_s = eres["stats"]["worker_busy_cycles"] / hz
    out = {
        "sessions": sessions, "concurrency": concurrency, "warmup": warmup, "engine_first": engine_first,
        "haproxy_version": hp_version, "clk_tck": CLK_TCK,
        "tsc_hz": round(hz), "tsc_hz_source": hz_source, "cpuinfo_mhz": mhz,
        "haproxy_ok": hres["ok"], "haproxy_failed": hres["failed"],
        "engine_ok": eres["ok"], "engine_failed": eres["failed"],
        "haproxy_cpu_s": hres["cpu"]["cpu_s"], "haproxy_cpu_ticks": hres["cpu"]["ticks"],
        "haproxy_cpu_s_per_session": hres["cpu"]["cpu_s"] / h_n,
        "haproxy_sched_s_per_session": hres["cpu"]["sched_s"] / h_n,
        "engine_busy_cycles": eres["stats"]["worker_busy_cycles"],
        "engine_busy_cycles_per_session": eres["stats"]["worker_busy_cycles"] / e_n,
        "engine_busy_s_per_session": busy_s / e_n,
        "engine_proc_cpu_s": eres["cpu"]["cpu_s"], "engine_proc_cpu_ticks": eres["cpu"]["ticks"],
        "engine_proc_cpu_s_per_session": eres["cpu"]["cpu_s"] / e_n,
        "engine_proc_sched_s_per_session": eres["cpu"]["sched_s"] / e_n,
        "engine_packets_per_session": (eres["stats"]["rx_packets"] + eres["stats"]["tx_packets"]) / e_n,
        "haproxy_slapd_cpu_s_per_session": hres["slapd_cpu"]["cpu_s"] / h_n,
        "engine_slapd_cpu_s_per_session": eres["slapd_cpu"]["cpu_s"] / e_n,
        "haproxy_sessions_per_s": hres["sessions_per_s"], "engine_sessions_per_s": eres["sessions_per_s"],
        "haproxy_cpu_ratio": None, "haproxy_cpu_ratio_proc": None, "haproxy_cpu_ratio_sched": None,
        "haproxy_run": hres, "engine_run": eres, "warmup_runs": warm,
    }
    if out["engine_busy_s_per_session"] > 0:
        out["haproxy_cpu_ratio"] = out["haproxy_cpu_s_per_session"] / out["engine_busy_s_per_session"]
    if out["engine_proc_cpu_s_per_session"] > 0:
        out["haproxy_cpu_ratio_proc"] = out["haproxy_cpu_s_per_session"] / out["engine_proc_cpu_s_per_session"]
    if out["engine_proc_sched_s_per_session"] > 0:
        out["haproxy_cpu_ratio_sched"] = (out["haproxy_sched_s_per_session"]
                                          / out["engine_proc_sched_s_per_session"])
    return out


def format_table(r):
    """Human table of a compare() result."""
    def us(x):
        return "-" if x is None else f"{x * 1e6:10.1f}"
    def pct(c):
        return f"{100 * c['sys_ticks'] / c['ticks']:9.0f} %" if c.get("ticks") else "-"
    h, e = r["haproxy_run"], r["engine_run"]
    rows = [
        ("sessions ok / failed", f"{r['haproxy_ok']} / {r['haproxy_failed']}",
         f"{r['engine_ok']} / {r['engine_failed']}"),
        ("sessions/s (client-bound)", f"{r['haproxy_sessions_per_s']}", f"{r['engine_sessions_per_s']}"),
        ("CPU us/session: HAProxy utime+stime", us(r["haproxy_cpu_s_per_session"]), ""),
        ("  of which kernel (stime share)", pct(h["cpu"]), ""),
        ("CPU us/session: HAProxy schedstat", us(r["haproxy_sched_s_per_session"]), ""),
        ("CPU us/session: engine worker busy", "", us(r["engine_busy_s_per_session"])),
        ("CPU us/session: engine proc utime+stime", "", us(r["engine_proc_cpu_s_per_session"])),
        ("  of which kernel (stime share)", "", pct(e["cpu"])),
        ("CPU us/session: engine proc schedstat", "", us(r["engine_proc_sched_s_per_session"])),
        ("busy TSC cycles/session", "", f"{r['engine_busy_cycles_per_session']:.0f}"),
        ("engine packets/session (rx+tx)", "", f"{r['engine_packets_per_session']:.1f}"),
        ("slapd CPU us/session (both)", us(r["haproxy_slapd_cpu_s_per_session"]),
         us(r["engine_slapd_cpu_s_per_session"])),
        ("sessions per backend", json.dumps(h.get("backend_sessions")), json.dumps(e.get("backend_selected"))),
    ]
    w = max(len(a) for a, _, _ in rows)
    lines = [f"{'':{w}}  {'HAProxy':>16}  {'proxyengine':>16}"]
    lines += [f"{a:{w}}  {b:>16}  {c:>16}" for a, b, c in rows]
    def ratio(x):
        return "-" if x is None else f"{x:.3f}"
    lines.append(f"haproxy_cpu_ratio (HAProxy utime+stime / engine worker busy) = "
                 f"{ratio(r['haproxy_cpu_ratio'])}; against the engine's process CPU instead: "
                 f"{ratio(r['haproxy_cpu_ratio_proc'])}; schedstat of both processes: "
                 f"{ratio(r['haproxy_cpu_ratio_sched'])}")
    lines.append(f"TSC {r['tsc_hz'] / 1e6:.1f} MHz ({r['tsc_hz_source']}; /proc/cpuinfo {r['cpuinfo_mhz']} MHz); "
                 f"{r['sessions']} sessions x{r['concurrency']} after {r['warmup']} warm-up; {r['haproxy_version']}")
    return "\n".join(lines)


def main(argv=None):
    from .bed import Testbed
    ap = argparse.ArgumentParser(prog="python3 -m testbed.haproxy", description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--engine-first", action="store_true", help="measure the engine before HAProxy")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("testbed.haproxy: must run as root", file=sys.stderr)
        return 1
    bed = Testbed.load()
    own = bed.engine is None or not bed.engine.alive()
    try:
        if own:
            bed = Testbed().up()
        res = compare(bed, args.sessions, args.concurrency, args.warmup, args.engine_first)
    finally:
        if own:
            bed.down()
    print(format_table(res))
    print(json.dumps(res))
    return 0 if res["haproxy_failed"] == 0 and res["engine_failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
