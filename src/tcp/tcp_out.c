/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_mbuf.h>

#include "core/engine.h"
#include "io/worker.h"
#include "tcp/tcp_out.h"

struct rte_mbuf *
pe_tcp_build(struct pe_worker *w, const struct pe_tcp_spec *s)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pe_eng.pool);
	int len;

	if (m == NULL) {
		PE_CNT_INC(&w->cnt, drop_nombuf);
		return NULL;
	}
	len = pe_wire_tcp_build(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), s);
	if (len < 0) {
		rte_pktmbuf_free(m);
		PE_CNT_INC(&w->cnt, drop_nombuf);
		return NULL;
	}
	rte_pktmbuf_append(m, (uint16_t)len);
	return m;
}

void
pe_tcp_send(struct pe_worker *w, const struct pe_tcp_spec *s)
{
	struct rte_mbuf *m = pe_tcp_build(w, s);

	if (m != NULL)
		pe_tx(w, m);
}

void
pe_tcp_send_rst_reply(struct pe_worker *w, const struct pe_tcp_seg *seg)
{
	struct pe_tcp_spec s = {
		.saddr = seg->ip->dst_addr,
		.daddr = seg->ip->src_addr,
		.sport = seg->tcp->dst_port,
		.dport = seg->tcp->src_port,
	};

	if (seg->flags & RTE_TCP_RST_FLAG)
		return;
	rte_ether_addr_copy(&pe_eng.mac, &s.src_mac);
	rte_ether_addr_copy(&seg->eth->src_addr, &s.dst_mac);
	if (seg->flags & RTE_TCP_ACK_FLAG) {
		s.seq = seg->ack;
		s.flags = RTE_TCP_RST_FLAG;
	} else {
		s.ack = seg->seq + pe_tcp_seg_len(seg);
		s.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	PE_CNT_INC(&w->cnt, rst_sent);
	pe_tcp_send(w, &s);
}
