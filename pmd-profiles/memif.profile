# PMD profile "memif": one net_memif port, client role, whose server is the
# load generator (build/pe_loadgen, testbed/loadgen.py) on the unix socket
# ${PE_MEMIF_SOCKET}; start the generator first (memif clients connect once, at
# port start). Shared memory is memfd, so no hugepages are needed. The
# number of queues is the engine's engine.workers; the generator must run as
# many (--queues), and engine.peer_rss = true since memif has no RSS.
# The client sets the ring size: rsize=12 gives 4096 slots per queue and
# direction (1024 by default), room for the frames of a few thousand sessions
# in flight; a full ring drops (the engine counts drop_tx_full).
# One EAL argument per line; the engine appends them to its EAL arguments.
--no-huge
-m
512
--no-pci
--vdev=net_memif0,role=client,socket=${PE_MEMIF_SOCKET},socket-abstract=no,rsize=12
