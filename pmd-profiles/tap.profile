# PMD profile "tap": one net_tap port whose kernel side, pe-tap0, is joined to
# a Linux bridge by the testbed. Works without hugepages, PCI or a NIC (CI).
# One EAL argument per line; the engine appends them to its EAL arguments.
--no-huge
-m
512
--no-pci
--vdev=net_tap0,iface=pe-tap0
