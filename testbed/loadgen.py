"""The memif benchmark: build/pe_loadgen against build/proxyengine (issue 7).

The generator plays the LDAP clients (198.18.1.0/24) and both backends
(198.18.0.11/.12); the engine (VIP 198.18.0.1, source 198.18.0.2) sits between
them on a net_memif port, the generator being the memif server. Nothing
leaves the two processes. Every byte each side receives is verified by the
generator (src/tools/loadgen.c).

    run(config="testbed/bench-l4.conf", sessions=1000, concurrency=16, ops=1,
        workers=1, time_limit=60.0) -> dict

Order: the generator starts first (memif server, socket in a temp dir) and
waits for SIGUSR1; the engine starts with pmd-profiles/memif.profile
(PE_MEMIF_SOCKET), its own file prefix and telemetry, and is ready when
/pe/info answers and both backends are resolved (the generator answers ARP);
/pe/stats and /pe/workers are read; SIGUSR1 starts the sessions; when the
generator has exited, the counters are read again and both processes are
stopped; the socket, the temp dir and both /var/run/dpdk/<prefix> dirs are
removed, on failure too.

The result is the generator's JSON (sessions, ok, failed, mismatches,
bytes_verified, elapsed_s, sessions_per_s, frames_tx, frames_rx, ...) plus
  engine:          every /pe/stats counter's delta over the run
  engine_workers:  per worker (q<queue>) deltas of /pe/workers
  busy_cycles, rx_packets, tx_packets, conn_created: the engine's deltas
  cycles_per_conn = busy_cycles / ok, cycles_per_pkt = busy_cycles / rx_packets
  tsc_hz (from /pe/info), workers, config, gen_rc

Lcores: the engine runs on 0..workers-1 (-l 0 for one worker), the generator
on lcore `workers` (1 for one worker), or on the last lcore when the machine
has no more: then it shares a core with a worker (shared_core in the
result; say so when quoting figures). The engine busy-polls (--busy-poll)
unless busy_poll=False; by default it does when no core is shared (a
busy-polling worker that is preempted counts the time it is descheduled as
busy cycles).

Command line (from the repo root, as root):
  /usr/bin/python3 -m testbed.loadgen [--config F] [--sessions N] [--concurrency C]
      [--ops K] [--workers N] [--time-limit S] [--no-busy-poll]
prints the merged JSON as its last line.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from .engine import REPO_ROOT, Engine, EngineError
from .netns import pid_alive, terminate, wait_until

MEMIF_PROFILE = "pmd-profiles/memif.profile"
LOG_DIR = "/tmp/pe-testbed/logs"
GEN_LOG = os.path.join(LOG_DIR, "loadgen-gen.log")
ENGINE_LOG = os.path.join(LOG_DIR, "loadgen-engine.log")
GEN_MARKER = "pe_loadgen"
EAL_COMMON = ["--no-huge", "-m", "512", "--no-pci"]


class LoadgenError(RuntimeError):
    pass


def gen_binary():
    return os.path.join(REPO_ROOT, os.environ.get("PE_LOADGEN", "build/pe_loadgen"))


def _tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except FileNotFoundError:
        return f"(no {path})"


def is_ldap_config(path):
    with open(os.path.join(REPO_ROOT, path)) as f:
        return re.search(r'protocol\s*=\s*"ldap"', f.read()) is not None


def config_for_workers(path, workers, tmpdir):
    """`path` itself for one worker, else a copy with engine.workers set (the bench configs
    carry `workers = 1;`)."""
    if workers == 1:
        return path
    with open(os.path.join(REPO_ROOT, path)) as f:
        text = f.read()
    new, n = re.subn(r"(?m)^(\s*)workers\s*=\s*\d+\s*;", rf"\g<1>workers = {workers};", text)
    if n != 1:
        raise LoadgenError(f"{path}: no single 'workers = N;' line to set {workers} workers")
    out = os.path.join(tmpdir, "engine.conf")
    with open(out, "w") as f:
        f.write(new)
    return out


def _delta(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def run(config="testbed/bench-l4.conf", sessions=1000, concurrency=16, ops=1, workers=1,
        time_limit=60.0, *, session_timeout_ms=5000, busy_poll=None, dn_mode=None,
        check_route=None, wrong_every=0, wrong_side="client", gen_lcore=None,
        ready_timeout=30.0):
    """Run one bounded benchmark; return the merged dict (see the module doc). Raises
    LoadgenError/EngineError when a process fails to start or the generator prints no
    result; a run whose sessions failed returns normally with failed > 0 and gen_rc 1.
    dn_mode/check_route default to "alternate"/True for a config with the LDAP inspector
    (routes by DN suffix), "people"/False otherwise. wrong_every=N makes every N-th
    session expect one wrong byte (wrong_side "client": in a search entry, "server": in
    the bind), to show that verification reports it."""
    ldap = is_ldap_config(config)
    dn_mode = dn_mode or ("alternate" if ldap else "people")
    check_route = ldap if check_route is None else check_route
    ncpu = os.cpu_count() or 1
    if gen_lcore is None:
        gen_lcore = workers if workers < ncpu else ncpu - 1
    lcores = "0" if workers == 1 else f"0-{workers - 1}"
    shared_core = gen_lcore < workers
    if busy_poll is None:
        # a busy-polling worker preempted by the generator on its core would count the
        # time it is descheduled as busy cycles: let it back off instead
        busy_poll = not shared_core
    tag = f"{os.getpid()}"
    gen_prefix, eng_prefix = f"pe-lg-gen-{tag}", f"pe-lg-eng-{tag}"
    tmpdir = tempfile.mkdtemp(prefix="pe-loadgen-")
    sock = os.path.join(tmpdir, "memif.sock")
    os.makedirs(LOG_DIR, exist_ok=True)
    out_path = os.path.join(tmpdir, "gen.out")
    gen = None
    engine = None
    tel = None
    try:
        cfg = config_for_workers(config, workers, tmpdir)
        gen_argv = ([gen_binary(), f"--file-prefix={gen_prefix}", "-l", str(gen_lcore)]
                    + EAL_COMMON
                    + [f"--vdev=net_memif0,role=server,socket={sock},socket-abstract=no", "--",
                       "--queues", str(workers), "--sessions", str(sessions),
                       "--concurrency", str(concurrency), "--ops", str(ops),
                       "--time-limit", str(time_limit),
                       "--session-timeout-ms", str(session_timeout_ms),
                       "--link-timeout", str(ready_timeout + 30), "--wait-signal",
                       "--dn-mode", dn_mode]
                    + (["--check-route"] if check_route else [])
                    + (["--wrong-every", str(wrong_every), "--wrong-side", wrong_side]
                       if wrong_every else []))
        if not os.access(gen_binary(), os.X_OK):
            raise LoadgenError(f"{gen_binary()} not found (build it first)")
        with open(out_path, "wb") as out, open(GEN_LOG, "wb") as log:
            gen = subprocess.Popen(gen_argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=log, start_new_session=True)
        try:
            wait_until(lambda: gen.poll() is not None or os.path.exists(sock), 15.0,
                       "the generator's memif socket")
        except TimeoutError as exc:
            raise LoadgenError(f"{exc}\n--- {GEN_LOG} ---\n{_tail(GEN_LOG)}") from None
        if gen.poll() is not None:
            raise LoadgenError(f"generator exited early (rc {gen.returncode})\n--- {GEN_LOG} ---\n"
                               f"{_tail(GEN_LOG)}")

        # no tap to wait for (ready once /pe/info answers); the fixtures' PE_EAL_ARGS/PE_ARGS
        # do not apply to this engine
        engine = Engine(file_prefix=eng_prefix, log_path=ENGINE_LOG, config=cfg,
                        profile=MEMIF_PROFILE, attach_bridge=False, lcores=lcores,
                        extra_args=["--busy-poll"] if busy_poll else [], wait_tap=False,
                        env={"PE_MEMIF_SOCKET": sock}, env_args=False)
        engine.spawn()
        try:
            engine.wait_ready(ready_timeout, wait_backends=True)
        except EngineError as exc:
            raise EngineError(f"{exc}\n--- {GEN_LOG} ---\n{_tail(GEN_LOG)}") from None
        # one connection for every query: DPDK's telemetry thread accepts with a backlog of
        # one, and on two busy cores a new connection per query may find it unscheduled
        tel = engine.telemetry(timeout=15.0)
        info = tel.query("/pe/info")
        before = tel.query("/pe/stats")
        wbefore = tel.query("/pe/workers") or {}

        os.kill(gen.pid, signal.SIGUSR1)
        try:
            gen.wait(timeout=time_limit + session_timeout_ms / 1000.0 + 30)
        except subprocess.TimeoutExpired:
            raise LoadgenError(f"generator still running after its time limit\n--- {GEN_LOG} ---\n"
                               f"{_tail(GEN_LOG)}") from None
        if not engine.alive():
            raise LoadgenError(f"the engine died during the run\n--- {ENGINE_LOG} ---\n"
                               f"{_tail(ENGINE_LOG)}")
        after = tel.query("/pe/stats")
        wafter = tel.query("/pe/workers") or {}
        with open(out_path) as f:
            lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
        if not lines:
            raise LoadgenError(f"generator printed no result (rc {gen.returncode})\n"
                               f"--- {GEN_LOG} ---\n{_tail(GEN_LOG)}")
        result = json.loads(lines[-1])
    finally:
        if tel is not None:
            tel.close()
        if gen is not None and gen.poll() is None and pid_alive(gen.pid):
            terminate(gen.pid, GEN_MARKER, timeout=5.0)
            try:
                gen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if engine is not None:
            engine.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)
        for prefix in (gen_prefix, eng_prefix):
            shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)

    eng = _delta(after, before)
    eng["conn_active"] = after.get("conn_active", 0)
    per_worker = {}
    for q, w in wafter.items():
        if isinstance(w, dict):
            per_worker[q] = _delta(w, wbefore.get(q, {}))
            for k in ("lcore", "queue", "conn_active"):  # identities and gauges, not counters
                per_worker[q][k] = w.get(k)
    busy = eng.get("worker_busy_cycles", 0)
    ok = result.get("ok", 0)
    result.update({
        "config": config,
        "workers": workers,
        "busy_poll": busy_poll,
        "gen_lcore": gen_lcore,
        "shared_core": shared_core,
        "gen_rc": gen.returncode,
        "tsc_hz": info.get("tsc_hz", result.get("tsc_hz")),
        "engine": eng,
        "engine_workers": per_worker,
        "busy_cycles": busy,
        "rx_packets": eng.get("rx_packets", 0),
        "tx_packets": eng.get("tx_packets", 0),
        "conn_created": eng.get("conn_created", 0),
        "cycles_per_conn": busy / ok if ok else None,
        "cycles_per_pkt": busy / eng["rx_packets"] if eng.get("rx_packets") else None,
        "pkts_per_conn": eng.get("rx_packets", 0) / ok if ok else None,
        "conn_entry_bytes": info.get("conn_entry_bytes"),
    })
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="testbed/bench-l4.conf")
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--ops", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--busy-poll", dest="busy_poll", action="store_true", default=None,
                    help="engine --busy-poll (default: when the generator has a core of its own)")
    ap.add_argument("--no-busy-poll", dest="busy_poll", action="store_false")
    ap.add_argument("--wrong-every", type=int, default=0)
    ap.add_argument("--wrong-side", choices=("client", "server"), default="client")
    args = ap.parse_args(argv)
    res = run(args.config, args.sessions, args.concurrency, args.ops, args.workers,
              args.time_limit, busy_poll=args.busy_poll, wrong_every=args.wrong_every,
              wrong_side=args.wrong_side)
    def fmt(v, unit):
        return f"{v:.0f} {unit}" if v is not None else f"- {unit}"

    print(f"{res['config']}, {res['workers']} worker(s), {res['ops']} op(s): "
          f"{res['ok']}/{res['sessions']} ok, {res['mismatches']} mismatches, "
          f"{res['sessions_per_s']:.0f} sessions/s, {fmt(res['cycles_per_conn'], 'cycles/conn')}, "
          f"{fmt(res['cycles_per_pkt'], 'cycles/pkt')}, {fmt(res['pkts_per_conn'], 'rx pkts/conn')}")
    print(json.dumps(res))
    return 0 if res["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
