# PMD profile "pci": the NIC at PCI 0000:03:00.0, bound to vfio-pci, on
# hugepages. Setup (binding, IOMMU, hugepages, cabling) and the first run:
# docs/hardware-validation.md. Check it first with:
#   build/proxyengine --file-prefix=pe-check -l 0 -- --check --profile pmd-profiles/pci.profile --config testbed/proxyengine.conf
# One EAL argument per line; the engine puts the command line's after them.
#
# Hugepages (no --no-huge): 512 MB taken at start, i.e. 256 free 2 MB pages
# or one 1 GB page; the 16383-mbuf pool needs about 40 MB of it, the rest is
# room for EAL and the PMD.
-m
512
# Hugepage files are unlinked once mapped: none is left in hugetlbfs after the
# engine exits, however it exits (no DPDK secondary processes, the engine has none).
--huge-unlink
# Only this device: EAL probes no other PCI device.
-a
0000:03:00.0
# RSS needs no argument: src/io/port.c turns it on when the engine runs more
# than one queue and the device hashes IPv4/TCP. This release runs one queue,
# so RSS stays off and every frame goes to queue 0.
