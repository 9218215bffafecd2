"""ProxyEngine testbed: a Linux bridge, one network namespace per host, real
OpenLDAP servers and the engine on a tap port (see topo.py for the topology).

Modules:
  topo       names/addresses of the fixed topology; bridge/netns/veth up/down
  netns      run commands (optionally inside a netns) with timeouts; polling
  slapd      throwaway slapd backends (config, data, start/stop)
  engine     start/stop the proxyengine binary and wait until it is ready
  telemetry  client for the engine's rte_telemetry socket
  bed        the whole testbed: up/down/status with a state file
  scenario   packetdrill-style runner: scapy plays client and backends around a
             dedicated engine in netns pe-scen (tap pe-tap1)
  sinksource TCP upload/download server and client for byte-exact transfer tests
Command line: /usr/bin/python3 -m testbed up|down|status
"""
