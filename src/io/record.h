/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_RECORD_H
#define PE_RECORD_H

/*
 * --record FILE: every frame the engine sends is also written to a pcap
 * file, stamped with the engine's own clock (w->now). In --deterministic
 * mode that clock is the input's, so two runs over the same input write
 * the same file byte for byte (net_pcap's tx_pcap stamps the wall clock).
 */

struct pe_worker;
struct rte_mbuf;

/* Open @path for writing (libpcap, Ethernet). 0 or -1 with a message on stderr. */
int pe_record_open(const char *path);

/* Flush and close (nothing open: nothing done). */
void pe_record_close(void);

/* Append @m as sent now by @w. */
void pe_record_frame(const struct pe_worker *w, const struct rte_mbuf *m);

#endif /* PE_RECORD_H */
