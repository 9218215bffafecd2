#!/usr/bin/python3
"""The performance benchmark of issue 7, in one command:

    /usr/bin/python3 -m testbed.bench            the full run (about 5 minutes here)
    /usr/bin/python3 -m testbed.bench --quick    the CI smoke: small counts, a few seconds each

It prints a human table and, as its last line, one JSON object. Every part is
bounded in count and time and checks what it carried before it gives a figure:

  memif    build/pe_loadgen plays the LDAP clients and servers against the engine
           over net_memif (testbed/loadgen.py): the engine's worker busy TSC
           cycles per proxied connection (bind + search + unbind, delayed binding)
           and per packet on established flows (sessions of many searches), with
           the L4 config and with the LDAP policy; sessions per second with 1 and
           2 workers. The generator verifies every byte it receives.
  callgrind  instructions per connection and per packet (testbed/callgrind.py):
           the repeatable figure on this noisy, counter-less machine.
  haproxy  HAProxy 2.6 and the engine side by side on the tap testbed, same LDAP
           workload, CPU per session (testbed/haproxy.py).

The JSON keys the issue asks for: cycles_per_conn, cycles_per_pkt,
instructions_per_conn, bytes_per_conn_entry, conns_per_sec_1w, conns_per_sec_2w,
haproxy_cpu_ratio. Method and figures: docs/performance.md. Nothing here is
asserted against a time: the figures are reported, the checks are on bytes.
"""
import argparse
import json
import os
import sys
import time

from . import callgrind, haproxy, loadgen

CONF_L4, CONF_LDAP = "testbed/bench-l4.conf", "testbed/bench-ldap.conf"
# (sessions, concurrency, ops) of each memif phase; --quick takes the small ones
FULL = {"conn": (200000, 256, 1), "pkt": (10000, 256, 50), "scale": (200000, 256, 1)}
QUICK = {"conn": (1000, 16, 1), "pkt": (50, 8, 20), "scale": (1000, 16, 1)}
TIME_LIMIT_S = 120   # each generator run stops by itself after this


class BenchError(RuntimeError):
    pass


def _checked(r, what):
    """A generator run's result, only if every session came back byte for byte."""
    if r.get("failed", 1) != 0 or r.get("mismatches", 1) != 0 or r.get("ok", 0) == 0:
        raise BenchError(f"{what}: {r.get('ok')} ok, {r.get('failed')} failed, "
                         f"{r.get('mismatches')} mismatches: no figure from a wrong run")
    return r


def memif_phases(quick):
    counts = QUICK if quick else FULL
    out = {}
    n, c, k = counts["conn"]
    for name, conf in (("l4", CONF_L4), ("ldap", CONF_LDAP)):
        out[f"conn_{name}"] = _checked(loadgen.run(conf, sessions=n, concurrency=c, ops=k,
                                                   workers=1, time_limit=TIME_LIMIT_S),
                                       f"{name}, {n} sessions")
    n, c, k = counts["pkt"]
    for name, conf in (("l4", CONF_L4), ("ldap", CONF_LDAP)):
        out[f"pkt_{name}"] = _checked(loadgen.run(conf, sessions=n, concurrency=c, ops=k,
                                                  workers=1, time_limit=TIME_LIMIT_S),
                                      f"{name}, {n} sessions of {k} searches")
    n, c, k = counts["scale"]
    out["scale_2w"] = _checked(loadgen.run(CONF_L4, sessions=n, concurrency=c, ops=k,
                                           workers=2, time_limit=TIME_LIMIT_S),
                               f"l4 on 2 workers, {n} sessions")
    return out


def callgrind_phases(quick):
    n, pkt_n, k = (8, 4, 8) if quick else (200, 20, 50)
    return {
        "conn_l4": callgrind.instructions_per_conn(n=n, config="plain", top=10),
        "conn_ldap": callgrind.instructions_per_conn(n=n, config="ldap", top=15),
        "pkt_l4": callgrind.instructions_per_pkt(n=pkt_n, k=k, config="plain", top=10),
        "pkt_ldap": callgrind.instructions_per_pkt(n=pkt_n, k=k, config="ldap", top=10),
    }


def haproxy_phase(quick, tb=None):
    """On `tb` (a testbed that is up, e.g. pytest's), else on the running testbed, else on one
    brought up for it and taken down after."""
    from .bed import Testbed
    sessions, conc = (200, 16) if quick else (20000, 32)
    if tb is not None:
        r = haproxy.compare(tb, sessions=sessions, concurrency=conc)
    else:
        bed = Testbed.load()
        own = bed.engine is None or not bed.engine.alive()
        try:
            if own:
                bed = Testbed().up()
            r = haproxy.compare(bed, sessions=sessions, concurrency=conc)
        finally:
            if own:
                bed.down()
    if r["haproxy_failed"] or r["engine_failed"]:
        raise BenchError(f"haproxy comparison: {r['haproxy_failed']} sessions failed through "
                         f"HAProxy, {r['engine_failed']} through the engine: no figure")
    return r


def busy_share(r):
    """How much of the run the engine's workers were busy: near 1, the engine set the pace;
    lower, it waited for the generator."""
    return r["busy_cycles"] / (r["elapsed_s"] * r["tsc_hz"] * r.get("workers", 1))


def summary(m, cg, hp):
    """The JSON object: the issue's keys first, then what explains them."""
    s = {}
    if m:
        s.update({
            "cycles_per_conn": round(m["conn_l4"]["cycles_per_conn"]),
            "cycles_per_pkt": round(m["pkt_l4"]["cycles_per_pkt"]),
        })
    if cg:
        s["instructions_per_conn"] = round(cg["conn_l4"]["ir_per_conn_engine"])
    if m:
        s.update({
            "bytes_per_conn_entry": m["conn_l4"]["conn_entry_bytes"],
            "conns_per_sec_1w": round(m["conn_l4"]["sessions_per_s"]),
            "conns_per_sec_2w": round(m["scale_2w"]["sessions_per_s"]),
        })
    if hp:
        s["haproxy_cpu_ratio"] = round(hp["haproxy_cpu_ratio"], 3)
    # the same figures for the LDAP policy (inspector on), and the context
    if m:
        s.update({
            "cycles_per_conn_ldap": round(m["conn_ldap"]["cycles_per_conn"]),
            "cycles_per_pkt_ldap": round(m["pkt_ldap"]["cycles_per_pkt"]),
            "bytes_per_conn_entry_ldap": m["conn_ldap"]["conn_entry_bytes"],
            "conns_per_sec_1w_ldap": round(m["conn_ldap"]["sessions_per_s"]),
            "pkts_per_conn": round(m["conn_l4"]["rx_packets"] / m["conn_l4"]["ok"], 1),
            "bytes_verified": sum(r["bytes_verified"] for r in m.values()),
        })
    if cg:
        s.update({
            "instructions_per_conn_ldap": round(cg["conn_ldap"]["ir_per_conn_engine"]),
            "instructions_per_pkt": round(cg["pkt_l4"]["ir_per_pkt_engine"]),
            "instructions_per_pkt_ldap": round(cg["pkt_ldap"]["ir_per_pkt_engine"]),
        })
    if hp:
        s.update({
            "haproxy_cpu_ratio_sched": round(hp["haproxy_cpu_ratio_sched"], 3),
            "haproxy_cpu_us_per_session": round(hp["haproxy_cpu_s_per_session"] * 1e6, 1),
            "engine_tap_busy_us_per_session": round(hp["engine_busy_s_per_session"] * 1e6, 1),
        })
    return s


def table(m, cg, hp):
    rows = []
    if m:
        for key, what in (("conn_l4", "L4 delayed binding, 1 search/session"),
                          ("conn_ldap", "LDAP policy, 1 search/session"),
                          ("pkt_l4", "L4, many searches/session"),
                          ("pkt_ldap", "LDAP policy, many searches/session"),
                          ("scale_2w", "L4 on 2 workers")):
            r = m[key]
            rows.append(f"  memif  {what:38s} {r['ok']:6d} ok  {r['sessions_per_s']:9.0f} sess/s  "
                        f"{r['cycles_per_conn']:9.0f} cyc/conn  {r['cycles_per_pkt']:6.0f} cyc/pkt  "
                        f"{r['rx_packets'] / r['ok']:5.1f} rx pkt/sess  "
                        f"{100 * busy_share(r):3.0f} % busy")
    if cg:
        for key, what in (("conn_l4", "L4, per connection"), ("conn_ldap", "LDAP policy, per connection")):
            r = cg[key]
            rows.append(f"  callgrind  {what:34s} {r['ir_per_conn_engine']:9.0f} instructions "
                        f"(worker loop with the pcap port: {r['ir_per_conn']:.0f})")
        for key, what in (("pkt_l4", "L4, per established packet"),
                          ("pkt_ldap", "LDAP policy, per established packet")):
            r = cg[key]
            rows.append(f"  callgrind  {what:34s} {r['ir_per_pkt_engine']:9.0f} instructions")
    if hp:
        rows.append(haproxy.format_table(hp))
    return "\n".join(rows)


def run(quick=False, skip=(), tb=None):
    """Every part not in `skip`: (table text, summary dict). Raises RuntimeError (BenchError or
    a part's own) when a part fails or carried something wrong: then there is no figure."""
    m = memif_phases(quick) if "memif" not in skip else None
    cg = callgrind_phases(quick) if "callgrind" not in skip else None
    hp = haproxy_phase(quick, tb) if "haproxy" not in skip else None
    return table(m, cg, hp), summary(m, cg, hp)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m testbed.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small counts (the CI smoke)")
    ap.add_argument("--skip", action="append", default=[], choices=["memif", "callgrind", "haproxy"],
                    help="leave a part out (its keys are then missing from the JSON)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("testbed.bench: must run as root (DPDK runtime dirs, network namespaces)", file=sys.stderr)
        return 1
    t0 = time.monotonic()
    try:
        text, s = run(args.quick, args.skip)
    except RuntimeError as e:   # BenchError and the parts' own errors: a wrong or failed run
        print(f"bench: {e}", file=sys.stderr)
        return 1
    print(f"ProxyEngine benchmark ({'quick' if args.quick else 'full'}, {time.monotonic() - t0:.0f} s)")
    print(text)
    print(json.dumps(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
