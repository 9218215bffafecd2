# PMD profile "virtio": one virtio_user port, the frontend of a vhost-user
# socket. The backend must be listening on the socket before the engine starts
# (the engine is the vhost-user client): in the testbed it is build/vhost_bridge
# (testbed/vhost.py), which bridges the socket to a tap on pe-br0; outside it,
# any vhost-user server (OVS-DPDK, a DPDK app with net_vhost, ...).
# In a VM the same engine runs on the guest's virtio-net device with the
# net_virtio PCI driver instead (docs/profiles.md). Check it with:
#   build/proxyengine --file-prefix=pe-check -l 0 -- --check --profile pmd-profiles/virtio.profile --config testbed/proxyengine.conf
# One EAL argument per line; the engine puts the command line's after them.
#
# No hugepages: since DPDK 19.02, --no-huge memory is a memfd, which
# virtio_user hands to the vhost-user backend (VHOST_USER_SET_MEM_TABLE), so the
# backend can read and write the engine's mbufs. All of -m is shared with it.
--no-huge
-m
512
--no-pci
# The MAC is random at each start unless mac=XX:XX:XX:XX:XX:XX is added.
--vdev=net_virtio_user0,path=/tmp/pe-vhost.sock,queues=1
