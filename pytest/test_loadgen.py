"""CI smoke of the memif benchmark (issue 7): build/pe_loadgen against the engine.

testbed/loadgen.run() starts the generator (memif server; clients 198.18.1.0/24 and
backends 198.18.0.11/.12 in one DPDK process) and an engine of its own on the memif
profile, runs a bounded number of bind + search + unbind sessions, and returns the
generator's verdict merged with the engine's counter deltas. Checked: every session
succeeded with every byte verified on both sides, the engine created one connection per
session, and a deliberately wrong expectation is caught and reported. The figures
(sessions/s, cycles per connection and per packet) are printed, never asserted.
Needs no testbed fixture: nothing leaves the two processes.
"""
import json

import pytest

from testbed import loadgen

SESSIONS = 500
CONCURRENCY = 16


def show(tag, r):
    keys = ("sessions", "ok", "failed", "mismatches", "bytes_verified", "sessions_per_s",
            "cycles_per_conn", "cycles_per_pkt", "pkts_per_conn", "frames_tx", "frames_rx",
            "workers", "busy_poll", "shared_core")
    print(f"\n{tag}: " + json.dumps({k: r.get(k) for k in keys}))


@pytest.mark.parametrize("config", ["testbed/bench-l4.conf", "testbed/bench-ldap.conf"])
def test_every_session_verified(config):
    r = loadgen.run(config, SESSIONS, CONCURRENCY, ops=1, time_limit=30)
    show(config, r)
    e = r["engine"]
    assert (r["ok"], r["failed"], r["gen_rc"]) == (SESSIONS, 0, 0), r
    assert r["mismatches"] == 0 and r["bad_ack"] == 0 and r["bad_csum"] == 0, r
    assert r["timeouts"] == 0 and r["rst_rx"] == 0 and r["unmatched"] == 0, r
    # requests and responses of every session went through the byte comparison
    assert r["bytes_verified"] >= SESSIONS * 200, r["bytes_verified"]
    assert r["conn_created"] == SESSIONS, e
    assert e["backend_connected"] == SESSIONS and e["rst_sent"] == 0, e
    assert r["busy_cycles"] > 0 and r["cycles_per_conn"] > 0 and r["cycles_per_pkt"] > 0
    assert r["tsc_hz"] > 0
    if "ldap" in config:
        # routed by bind DN suffix: ou=people to be1, ou=admins to be2, checked per connection
        assert r["route_errors"] == 0, r
        assert e["inspect_messages"] >= SESSIONS * 3, e


def test_two_workers_replies_land_on_the_owning_queue():
    """engine.workers = 2 with the generator spreading frames as the engine's RSS would:
    both queues carry sessions, and no frame of a flow comes back on another queue."""
    r = loadgen.run("testbed/bench-l4.conf", SESSIONS, CONCURRENCY, ops=3, workers=2,
                    time_limit=30)
    show("2 workers", r)
    assert (r["ok"], r["failed"], r["mismatches"]) == (SESSIONS, 0, 0), r
    assert r["queue_mismatch"] == 0, r
    assert all(n > 0 for n in r["rx_per_queue"]) and len(r["rx_per_queue"]) == 2, r
    created = [w["conn_created"] for w in r["engine_workers"].values()]
    assert len(created) == 2 and all(c > 0 for c in created) and sum(created) == SESSIONS, \
        r["engine_workers"]


@pytest.mark.parametrize("config,side", [("testbed/bench-l4.conf", "client"),
                                         ("testbed/bench-ldap.conf", "server")])
def test_a_wrong_byte_is_reported(config, side):
    """Every 100th session expects one byte differently from what its peer sends (the
    client in a search entry, the server in the bind): exactly those sessions fail as
    mismatches, the others pass, and the generator exits non-zero."""
    n = 300
    r = loadgen.run(config, n, CONCURRENCY, ops=1, time_limit=30, wrong_every=100,
                    wrong_side=side)
    show(f"{config} wrong byte on the {side} side", r)
    assert r["mismatches"] == n // 100, r
    assert (r["ok"], r["failed"]) == (n - n // 100, n // 100), r
    assert r["gen_rc"] == 1, r
