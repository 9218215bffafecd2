/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "core/engine.h"
#include "io/worker.h"
#include "net/arp.h"
#include "net/csum.h"
#include "net/net.h"
#include "net/rss.h"
#include "net/wire.h"
#include "proxy/proxy.h"

#define IPV4_FRAG_MASK (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)

static void
icmp_input(struct pe_worker *w, struct rte_mbuf *m, size_t frame_len)
{
	struct pe_icmp_unreach u;
	int rc;

	rc = pe_wire_icmp_unreach_parse(rte_pktmbuf_mtod(m, uint8_t *), frame_len, &u);
	/* code 4, fragmentation needed, is path MTU news, not an unreachable backend */
	if (rc == 0 && u.code == PE_ICMP_FRAG_NEEDED) {
		PE_CNT_INC(&w->cnt, drop_icmp_type);
		rte_pktmbuf_free(m);
		return;
	}
	/*
	 * Several workers: the ICMP frame is hashed on its addresses alone, so
	 * it may land off the connection's queue; the queue of the quoted
	 * segment's reply tuple is the owner's (net/rss.h).
	 */
	if (rc == 0 && pe_eng.rss != NULL) {
		uint16_t owner = pe_rss_queue(pe_eng.rss, pe_rss_hash_v4(pe_eng.rss,
				rte_be_to_cpu_32(u.inner->dst_addr), rte_be_to_cpu_32(u.inner->src_addr),
				rte_be_to_cpu_16(u.dport), rte_be_to_cpu_16(u.sport)));

		if (owner != w->queue_id) {
			pe_worker_handoff(w, owner, m);
			return;
		}
	}
	if (rc == 0) {
		pe_proxy_icmp_unreach(w, u.inner, u.seq, u.sport, u.dport);
		rte_pktmbuf_free(m);
		return;
	}
	if (rc == -EINVAL) {
		PE_CNT_INC(&w->cnt, drop_icmp_malformed);
		rte_pktmbuf_free(m);
		return;
	}
	rc = pe_wire_icmp_echo_reply(rte_pktmbuf_mtod(m, uint8_t *), frame_len, &pe_eng.mac);

	if (rc == 0) {
		PE_CNT_INC(&w->cnt, icmp_echo_reply);
		pe_tx(w, m);
		return;
	}
	if (rc == -ENOTSUP)
		PE_CNT_INC(&w->cnt, drop_icmp_type);
	else
		PE_CNT_INC(&w->cnt, drop_icmp_malformed);
	rte_pktmbuf_free(m);
}

static void
tcp_input(struct pe_worker *w, struct rte_mbuf *m, struct rte_ether_hdr *eth,
		struct rte_ipv4_hdr *ip, uint16_t ihl, uint16_t ip_len)
{
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)((uint8_t *)ip + ihl);
	uint16_t l4_len = ip_len - ihl;
	uint64_t l4_ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	struct pe_tcp_seg seg;

	if (l4_len < sizeof(*tcp) || (tcp->data_off >> 4) * 4u < sizeof(*tcp) ||
			(tcp->data_off >> 4) * 4u > l4_len) {
		PE_CNT_INC(&w->cnt, drop_tcp_malformed);
		goto drop;
	}
	/* what rte_ipv4_udptcp_cksum_verify() checks, with the faster sum (net/csum.h) */
	if (l4_ck == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
			(l4_ck != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
			 pe_csum_fold(pe_csum_raw(tcp, l4_len, rte_ipv4_phdr_cksum(ip, 0))) != 0xffff)) {
		PE_CNT_INC(&w->cnt, drop_tcp_cksum);
		goto drop;
	}
	seg.m = m;
	seg.eth = eth;
	seg.ip = ip;
	seg.tcp = tcp;
	seg.seq = rte_be_to_cpu_32(tcp->sent_seq);
	seg.ack = rte_be_to_cpu_32(tcp->recv_ack);
	seg.hdr_len = (uint16_t)((tcp->data_off >> 4) * 4);
	seg.payload_len = l4_len - seg.hdr_len;
	seg.flags = tcp->tcp_flags;
	pe_proxy_input(w, &seg);
	return;
drop:
	rte_pktmbuf_free(m);
}

static void
ipv4_input(struct pe_worker *w, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint16_t avail = rte_pktmbuf_data_len(m) - sizeof(*eth);
	uint64_t ip_ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint16_t ihl, ip_len;

	if (!rte_is_same_ether_addr(&eth->dst_addr, &pe_eng.mac)) {
		PE_CNT_INC(&w->cnt, drop_eth_dst);
		goto drop;
	}
	if (avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		goto malformed;
	ihl = (uint16_t)rte_ipv4_hdr_len(ip);
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if (ihl < sizeof(*ip) || ip_len < ihl || ip_len > avail)
		goto malformed;
	if (ip_ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
			(ip_ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
			 pe_csum_fold(pe_csum_raw(ip, ihl, 0)) != 0xffff)) {
		PE_CNT_INC(&w->cnt, drop_ipv4_cksum);
		goto drop;
	}
	if (ip->fragment_offset & rte_cpu_to_be_16(IPV4_FRAG_MASK)) {
		PE_CNT_INC(&w->cnt, drop_ipv4_fragment);
		goto drop;
	}
	if (ip->dst_addr != pe_eng.cfg.vip && ip->dst_addr != pe_eng.cfg.source_addr) {
		PE_CNT_INC(&w->cnt, drop_ipv4_not_local);
		goto drop;
	}
	/* drop Ethernet padding so that relayed frames carry exactly the IP packet */
	if (ip_len < avail)
		rte_pktmbuf_trim(m, avail - ip_len);

	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		tcp_input(w, m, eth, ip, ihl, ip_len);
		return;
	case IPPROTO_ICMP:
		icmp_input(w, m, sizeof(*eth) + ip_len);
		return;
	default:
		PE_CNT_INC(&w->cnt, drop_ipv4_proto);
		goto drop;
	}
malformed:
	PE_CNT_INC(&w->cnt, drop_ipv4_malformed);
drop:
	rte_pktmbuf_free(m);
}

void
pe_net_handoff_input(struct pe_worker *w, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	/* checked by the worker that received it */
	PE_CNT_INC(&w->cnt, handoff_rx);
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		pe_arp_learn_from(w, m);
	else
		ipv4_input(w, m, eth);
}

void
pe_net_input(struct pe_worker *w, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	PE_CNT_INC(&w->cnt, rx_packets);
	PE_CNT_ADD(&w->cnt, rx_bytes, rte_pktmbuf_pkt_len(m));
	if (m->nb_segs != 1 || rte_pktmbuf_data_len(m) < sizeof(*eth)) {
		PE_CNT_INC(&w->cnt, drop_eth_short);
		rte_pktmbuf_free(m);
		return;
	}
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_ARP:
		pe_arp_input(w, m);
		return;
	case RTE_ETHER_TYPE_IPV4:
		ipv4_input(w, m, eth);
		return;
	default:
		PE_CNT_INC(&w->cnt, drop_eth_type);
		rte_pktmbuf_free(m);
		return;
	}
}
