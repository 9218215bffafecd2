/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PROXY_H
#define PE_PROXY_H

#include "tcp/tcp_seg.h"

struct pe_worker;
struct rte_ipv4_hdr;

/*
 * A TCP segment for one of the engine's addresses (VIP or source address),
 * already validated by net.c. Consumes seg->m.
 */
void pe_proxy_input(struct pe_worker *w, struct pe_tcp_seg *seg);

/* Run the connections' timers due at the worker's clock (w->now). */
void pe_proxy_timers(struct pe_worker *w);

/*
 * An ICMP destination unreachable quoting a TCP segment the engine sent
 * (@inner: the quoted IPv4 header; @inner_seq, @sport, @dport: from the
 * quoted TCP header, ports in network order).
 */
void pe_proxy_icmp_unreach(struct pe_worker *w, const struct rte_ipv4_hdr *inner,
		uint32_t inner_seq, uint16_t sport, uint16_t dport);

#endif /* PE_PROXY_H */
