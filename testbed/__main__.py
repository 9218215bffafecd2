"""Command line: /usr/bin/python3 -m testbed {up [--no-engine] | down | status} (run as root).

up      build topology, start slapd backends and the engine; print the state (JSON)
down    stop recorded processes by pid, remove our netns/veths/tap/bridge by name
        (also a crashed scenario run's engine and netns pe-scen)
status  recorded pids with liveness, existing links/netns, engine /pe/info if reachable
Exit status: 0 ok, 1 failure (message on stderr), 2 usage.
"""
import argparse
import json
import os
import sys

from .bed import Testbed
from .scenario import ScenarioBed
from .telemetry import Telemetry, TelemetryError


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m testbed", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="bring the testbed up")
    up.add_argument("--no-engine", action="store_true", help="topology and backends only")
    sub.add_parser("down", help="tear everything down")
    sub.add_parser("status", help="show what is running")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("testbed: must run as root (network namespaces, bridge, tap)", file=sys.stderr)
        return 1
    try:
        if args.cmd == "up":
            bed = Testbed().up(with_engine=not args.no_engine)
            print(json.dumps(bed.status(), indent=2))
        elif args.cmd == "down":
            ScenarioBed.remove_leftovers()  # a crashed scenario run's engine and netns
            summary = Testbed.load().down()
            print(json.dumps(summary, indent=2))
            if summary["leftovers"]:
                print(f"testbed: leftovers after down: {summary['leftovers']}", file=sys.stderr)
                return 1
        else:
            bed = Testbed.load()
            st = bed.status()
            if bed.engine is not None and bed.engine.alive():
                try:
                    with Telemetry().connect(timeout=2) as t:
                        st["engine_info"] = t.query("/pe/info")
                except (TelemetryError, OSError) as exc:
                    st["engine_info"] = f"telemetry unavailable: {exc}"
            print(json.dumps(st, indent=2))
    except Exception as exc:  # CLI boundary: one clear message
        print(f"testbed {args.cmd}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
