"""Scenarios of the inspection path (pytest/scenarios/inspect_cases.py) on the scenario
engine (testbed/scenario.py) running pytest/scenarios/inspect.conf: the example line
inspector with two pools."""
import os

import pytest

from testbed.scenario import ScenarioBed
from scenarios.inspect_cases import INSPECT_SCENARIOS

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios", "inspect.conf")


@pytest.fixture(scope="module")
def scen():
    if os.geteuid() != 0:
        pytest.fail("scenarios need root (netns, tap)", pytrace=False)
    bed = ScenarioBed(config=CONFIG)
    with bed:
        yield bed
    left = bed.leftovers()
    assert not left, f"scenario bed left {left}"


@pytest.mark.parametrize("scenario", INSPECT_SCENARIOS, ids=str)
def test_inspect_scenario(scen, scenario):
    scen.run(scenario)
