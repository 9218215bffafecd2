"""PENDING_SCENARIOS: behaviour the engine does not have yet. NOT collected by
the normal run; try them with

    PE_SCENARIOS=pending /usr/bin/python3 -m pytest pytest/test_scenarios.py -q

and move each one into cases.py (SCENARIOS) once the engine does it.
Vocabulary: testbed/scenario.py; shared steps: common.py.

Empty for now: every scenario written here so far passes and lives in cases.py
(options through the cookie, held data, RFC 5961 and failover were pending when
the runner was written; data_overtaking_the_first_payload_does_not_reset and
first_payload_retransmitted_while_connecting_sent_once were engine bugs the
runner found, fixed in 9fcdc04 and ef90b09).
"""

PENDING_SCENARIOS = []
