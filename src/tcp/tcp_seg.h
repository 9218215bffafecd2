/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_TCP_SEG_H
#define PE_TCP_SEG_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

struct rte_mbuf;

/* A received TCP segment, validated and parsed once by net.c. */
struct pe_tcp_seg {
	struct rte_mbuf *m;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	uint32_t seq;          /* host order */
	uint32_t ack;          /* host order */
	uint16_t hdr_len;      /* TCP header with options */
	uint16_t payload_len;
	uint8_t flags;
};

/* Sequence space the segment occupies: payload plus one for SYN and for FIN. */
static inline uint32_t
pe_tcp_seg_len(const struct pe_tcp_seg *s)
{
	return s->payload_len + !!(s->flags & RTE_TCP_SYN_FLAG) + !!(s->flags & RTE_TCP_FIN_FLAG);
}

#endif /* PE_TCP_SEG_H */
