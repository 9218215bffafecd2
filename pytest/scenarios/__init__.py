"""Scenarios for the scenario runner (testbed/scenario.py), written as data.

  cases.py    SCENARIOS: behaviour of the current engine; run by test_scenarios.py
  pending.py  PENDING_SCENARIOS: behaviour being implemented now; NOT collected
              (run them by hand with PE_SCENARIOS=pending, move each one to
              cases.py once the engine does it)
  common.py   step sequences several scenarios share (handshake, backend accept)
  engine.conf / tap1.profile   the scenario engine's config and PMD profile
"""
