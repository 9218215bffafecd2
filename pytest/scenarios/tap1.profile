# PMD profile of the scenario engine (testbed/scenario.py): one net_tap port
# whose kernel side, pe-tap1, lives in the engine's own netns pe-scen and is
# written and read by scapy only (no bridge). Same EAL basics as tap.profile.
--no-huge
-m
256
--no-pci
--vdev=net_tap0,iface=pe-tap1
