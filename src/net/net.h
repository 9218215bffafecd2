/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_NET_H
#define PE_NET_H

struct pe_worker;
struct rte_mbuf;

/*
 * Entry of every received frame: Ethernet, ARP, IPv4 and ICMP handling, then
 * validated TCP segments to the proxy. Consumes @m (sent, held or freed; every
 * discard is counted).
 */
void pe_net_input(struct pe_worker *w, struct rte_mbuf *m);

/* A frame another worker received and checked, handed to this one (io/worker.h). */
void pe_net_handoff_input(struct pe_worker *w, struct rte_mbuf *m);

#endif /* PE_NET_H */
