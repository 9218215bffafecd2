# PMD profile "pcap": one net_pcap port reading the capture ${PE_PCAP_IN} and
# writing what the engine sends to ${PE_PCAP_OUT} (environment variables,
# expanded by the engine). With the engine's --deterministic option the clock
# is the capture's timestamps, the run ends when the input and the timers are
# done, and the counters are printed: an offline run of a policy over a
# capture. net_pcap stamps the frames it writes with the wall clock, so
# compare outputs by packet bytes and order, not file bytes.
--no-huge
-m
512
--no-pci
--vdev=net_pcap0,rx_pcap=${PE_PCAP_IN},tx_pcap=${PE_PCAP_OUT}
