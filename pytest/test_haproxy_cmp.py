"""Issue 7's HAProxy comparison, as a CI smoke (testbed/haproxy.py compare()).

The same verified LDAP workload (testbed/ldapload.py: connect, bind as a user that exists on
one backend only, base search of the bound DN, unbind, close), 200 sessions 16 at a time,
goes through HAProxy 2.6 in its netns (delayed binding on the bind DN) and through the engine
(LDAP routing by bind DN, the same pools). Checked: every session of both succeeded, each
went to the backend of its pool on both proxies, HAProxy's CPU time and the engine's busy
cycles moved. The CPU figures and their ratio are printed, never asserted (noisy machine).
Skipped only when the haproxy binary is missing (ci/install-deps.sh installs it).
"""
import json

import pytest

from testbed import haproxy

SESSIONS = 200
CONCURRENCY = 16


@pytest.mark.skipif(haproxy.binary() is None,
                    reason=f"{haproxy.HAPROXY} not installed (ci/install-deps.sh installs package haproxy)")
def test_haproxy_and_engine_same_ldap_workload(tb):
    r = haproxy.compare(tb, sessions=SESSIONS, concurrency=CONCURRENCY, warmup=20)
    print("\n" + haproxy.format_table(r))
    print(json.dumps({k: v for k, v in r.items() if not isinstance(v, dict)}))
    h, e = r["haproxy_run"], r["engine_run"]

    assert (h["ok"], h["failed"]) == (SESSIONS, 0), h["errors"]
    assert (e["ok"], e["failed"]) == (SESSIONS, 0), e["errors"]
    # half the sessions bind as the people user (be1 only), half as the admin-pool user (be2 only)
    half = SESSIONS // 2
    assert h["backend_sessions"] == {"people/BACKEND": half, "admin/BACKEND": half}, h["backend_sessions"]
    assert e["backend_selected"] == {"be1": half, "be2": half}, e["backend_selected"]
    assert h["quiesced"] and e["quiesced"], (h["quiesced"], e["quiesced"])

    assert r["haproxy_cpu_ticks"] > 0 or r["haproxy_sched_s_per_session"] > 0, h["cpu"]
    assert r["engine_busy_cycles"] > 0, e["stats"]
    assert e["stats"]["conn_created"] >= SESSIONS, e["stats"]
    assert r["haproxy_cpu_ratio"] is not None
    # the engine is back on the testbed's default config (no LDAP inspector)
    assert not tb.query("/pe/rules"), tb.query("/pe/rules")
