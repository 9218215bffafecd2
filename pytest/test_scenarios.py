"""Packetdrill-style scenarios: scapy plays the client and the backends around a
dedicated engine (netns pe-scen, tap pe-tap1; see testbed/scenario.py for the
vocabulary and pytest/scenarios/ for the cases). One test per scenario of
scenarios/cases.py; each uses fresh client ports and starts from a settled
engine (no active connection, live backends up).

PE_SCENARIOS=pending runs scenarios/pending.py's PENDING_SCENARIOS instead
(behaviour being implemented now; not part of the normal run)."""
import os
import time

import pytest

from testbed.scenario import (ScenarioBed, ScenarioFailure, Scenario, counters, expect, send)

if os.environ.get("PE_SCENARIOS") == "pending":
    from scenarios.pending import PENDING_SCENARIOS as SELECTED
else:
    from scenarios.cases import SCENARIOS as SELECTED


@pytest.fixture(scope="module")
def scen():
    if os.geteuid() != 0:
        pytest.fail("scenarios need root (netns, tap)", pytrace=False)
    bed = ScenarioBed()
    with bed:
        yield bed
    left = bed.leftovers()
    assert not left, f"scenario bed left {left}"


def test_scenario_names_unique():
    names = [s.name for s in SELECTED]
    assert len(names) == len(set(names)), f"duplicate scenario names: {names}"


@pytest.mark.parametrize("scenario", SELECTED, ids=str)
def test_scenario(scen, scenario):
    scen.run(scenario)


def test_runner_reports_the_failing_step(scen):
    """The runner itself: a scenario expecting a wrong ack fails, and the message
    names the step, what was expected and the packet seen."""
    wrong = Scenario("deliberately_wrong", steps=[
        send("client", "S", seq="isn"),
        expect("client", "SA", ack="isn+2"),
        counters(delta={"syn_rx": 1}),
    ])
    t0 = time.monotonic()
    with pytest.raises(ScenarioFailure) as info:
        scen.run(wrong)
    msg = str(info.value)
    assert "step 2/3 expect(" in msg, msg
    assert "ack: expected" in msg and "seen:" in msg and "[SA]" in msg, msg
    assert time.monotonic() - t0 < 5, "a mismatch must fail at once, not at the timeout"
