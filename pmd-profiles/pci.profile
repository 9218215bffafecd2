# PMD profile "pci": the NIC at PCI 0000:03:00.0, bound to vfio-pci, on
# hugepages. Setup (binding, IOMMU, hugepages, cabling) and the first run:
# docs/hardware-validation.md. Check it with:
#   build/proxyengine --file-prefix=pe-check -l 0 -- --check --profile pmd-profiles/pci.profile --config testbed/proxyengine.conf
# One EAL argument per line; the engine puts the command line's after them.
#
# Hugepages: no --no-huge. 512 MB reserved at start (the 16383-mbuf pool needs
# about 40 MB; the rest is EAL and PMD room): 256 x 2 MB pages or 1 x 1 GB.
-m
512
# Only this device: EAL probes no other PCI device.
-a
0000:03:00.0
# RSS needs nothing here: the engine turns it on in src/io/port.c when it
# runs more than one queue and the device hashes IPv4/TCP; with one queue
# (this release) every frame goes to queue 0 and RSS is left off.
