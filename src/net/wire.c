/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/csum.h"
#include "net/wire.h"

#define ARP_FRAME_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))

int
pe_wire_arp_parse(const uint8_t *frame, size_t len, struct pe_arp_info *info)
{
	const struct rte_arp_hdr *arp;

	if (len < ARP_FRAME_LEN)
		return -EINVAL;
	arp = (const struct rte_arp_hdr *)(frame + sizeof(struct rte_ether_hdr));
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
			arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
			arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
		return -EINVAL;
	info->op = rte_be_to_cpu_16(arp->arp_opcode);
	if (info->op != RTE_ARP_OP_REQUEST && info->op != RTE_ARP_OP_REPLY)
		return -EINVAL;
	memcpy(&info->sha, &arp->arp_data.arp_sha, sizeof(info->sha));
	memcpy(&info->sip, &arp->arp_data.arp_sip, 4);
	memcpy(&info->tip, &arp->arp_data.arp_tip, 4);
	return 0;
}

static void
arp_fill(uint8_t *buf, uint16_t op, const struct rte_ether_addr *eth_dst,
		const struct rte_ether_addr *sha, uint32_t sip,
		const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	rte_ether_addr_copy(eth_dst, &eth->dst_addr);
	rte_ether_addr_copy(sha, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&arp->arp_data.arp_sha, sha, RTE_ETHER_ADDR_LEN);
	memcpy(&arp->arp_data.arp_sip, &sip, 4);
	memcpy(&arp->arp_data.arp_tha, tha, RTE_ETHER_ADDR_LEN);
	memcpy(&arp->arp_data.arp_tip, &tip, 4);
}

size_t
pe_wire_arp_reply(uint8_t *frame, const struct pe_arp_info *info, const struct rte_ether_addr *mac)
{
	arp_fill(frame, RTE_ARP_OP_REPLY, &info->sha, mac, info->tip, &info->sha, info->sip);
	return ARP_FRAME_LEN;
}

int
pe_wire_arp_request(uint8_t *buf, size_t cap, const struct rte_ether_addr *mac,
		uint32_t sip, uint32_t tip)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero;

	if (cap < ARP_FRAME_LEN)
		return -ENOSPC;
	arp_fill(buf, RTE_ARP_OP_REQUEST, &bcast, mac, sip, &zero, tip);
	return ARP_FRAME_LEN;
}

/*
 * The ICMP message of an Ethernet/IPv4/ICMP @frame: lengths consistent and
 * its checksum right. Returns it (and its length in *@icmp_len), or NULL.
 */
static struct rte_icmp_hdr *
icmp_locate(uint8_t *frame, size_t len, size_t *icmp_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + sizeof(struct rte_ether_hdr));
	struct rte_icmp_hdr *icmp;
	size_t ihl, ip_len;

	if (len < sizeof(struct rte_ether_hdr) + sizeof(*ip))
		return NULL;
	ihl = rte_ipv4_hdr_len(ip);
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if (ihl < sizeof(*ip) || ip_len < ihl + sizeof(*icmp) ||
			sizeof(struct rte_ether_hdr) + ip_len > len)
		return NULL;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (rte_raw_cksum(icmp, ip_len - ihl) != 0xffff)
		return NULL;
	*icmp_len = ip_len - ihl;
	return icmp;
}

int
pe_wire_icmp_echo_reply(uint8_t *frame, size_t len, const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp;
	size_t icmp_len;
	uint32_t addr;

	icmp = icmp_locate(frame, len, &icmp_len);
	if (icmp == NULL)
		return -EINVAL;
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return -ENOTSUP;

	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(mac, &eth->src_addr);
	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	ip->time_to_live = PE_IPV4_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* type is the high byte of the first 16-bit word; code stays 0 */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = pe_csum_replace16(icmp->icmp_cksum,
			rte_cpu_to_be_16(RTE_IP_ICMP_ECHO_REQUEST << 8),
			rte_cpu_to_be_16(RTE_IP_ICMP_ECHO_REPLY << 8));
	return 0;
}

int
pe_wire_icmp_unreach_parse(uint8_t *frame, size_t len, struct pe_icmp_unreach *u)
{
	const struct rte_icmp_hdr *icmp;
	const struct rte_ipv4_hdr *in;
	const uint8_t *tcp;
	size_t icmp_len, in_ihl;

	icmp = icmp_locate(frame, len, &icmp_len);
	if (icmp == NULL)
		return -EINVAL;
	if (icmp->icmp_type != PE_ICMP_DEST_UNREACH)
		return -ENOTSUP;
	/* RFC 792: the quoted datagram's IP header and at least 64 bits of its payload */
	in = (const struct rte_ipv4_hdr *)(icmp + 1);
	if (icmp_len < sizeof(*icmp) + sizeof(*in) || (in->version_ihl >> 4) != 4)
		return -EINVAL;
	in_ihl = rte_ipv4_hdr_len(in);
	if (in_ihl < sizeof(*in) || icmp_len < sizeof(*icmp) + in_ihl + 8)
		return -EINVAL;
	if (in->next_proto_id != IPPROTO_TCP)
		return -ENOTSUP;
	tcp = (const uint8_t *)in + in_ihl;
	u->code = icmp->icmp_code;
	u->inner = in;
	memcpy(&u->sport, tcp, 2);
	memcpy(&u->dport, tcp + 2, 2);
	u->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	return 0;
}

size_t
pe_wire_tcp_len(const struct pe_tcp_spec *s)
{
	return sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
		sizeof(struct rte_tcp_hdr) + s->opts_len + s->payload_len;
}

int
pe_wire_tcp_build(uint8_t *buf, size_t cap, const struct pe_tcp_spec *s)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	size_t len = pe_wire_tcp_len(s);

	if (s->opts_len % 4 != 0 || s->opts_len > 40)
		return -EINVAL;
	if (cap < len)
		return -ENOSPC;

	rte_ether_addr_copy(&s->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&s->src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eth));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = PE_IPV4_TTL;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = s->saddr;
	ip->dst_addr = s->daddr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	tcp->src_port = s->sport;
	tcp->dst_port = s->dport;
	tcp->sent_seq = rte_cpu_to_be_32(s->seq);
	tcp->recv_ack = rte_cpu_to_be_32(s->ack);
	tcp->data_off = (uint8_t)(((sizeof(*tcp) + s->opts_len) / 4) << 4);
	tcp->tcp_flags = s->flags;
	tcp->rx_win = rte_cpu_to_be_16(s->window);
	tcp->cksum = 0;
	tcp->tcp_urp = 0;
	if (s->opts_len)
		memcpy(tcp + 1, s->opts, s->opts_len);
	if (s->payload_len)
		memcpy((uint8_t *)(tcp + 1) + s->opts_len, s->payload, s->payload_len);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	return (int)len;
}
