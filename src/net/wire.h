/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_WIRE_H
#define PE_WIRE_H

/*
 * Frame parsing and building on plain byte buffers: ARP, ICMP echo, TCP/IPv4.
 * No mbufs, no EAL: DPDK's header structs and inline checksum helpers only,
 * so every function here is unit-tested without DPDK running.
 * Addresses and ports are in network byte order unless said otherwise.
 */
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

struct rte_ipv4_hdr;

#define PE_IPV4_TTL 64

/* What an Ethernet/IPv4 ARP packet says (RFC 826). */
struct pe_arp_info {
	uint16_t op;                 /* RTE_ARP_OP_REQUEST or _REPLY, host order */
	struct rte_ether_addr sha;   /* sender hardware address */
	uint32_t sip;                /* sender protocol address */
	uint32_t tip;                /* target protocol address */
};

/* Parse an ARP frame (Ethernet header included). 0, or -EINVAL if it is not Ethernet/IPv4 ARP. */
int pe_wire_arp_parse(const uint8_t *frame, size_t len, struct pe_arp_info *info);

/*
 * Turn the ARP request @frame (already parsed into @info) into the reply that
 * says "@info->tip is at @mac", in place. Returns the frame length.
 */
size_t pe_wire_arp_reply(uint8_t *frame, const struct pe_arp_info *info,
		const struct rte_ether_addr *mac);

/* Build a broadcast ARP request "who has @tip, tell @sip (@mac)". Returns length or -ENOSPC. */
int pe_wire_arp_request(uint8_t *buf, size_t cap, const struct rte_ether_addr *mac,
		uint32_t sip, uint32_t tip);

/*
 * Turn an ICMP echo request (@frame: Ethernet + IPv4 + ICMP, @len bytes) into
 * its echo reply in place: addresses swapped, type 0, checksums updated.
 * Returns 0, -EINVAL if malformed (lengths, checksum), -ENOTSUP if not an
 * echo request.
 */
int pe_wire_icmp_echo_reply(uint8_t *frame, size_t len, const struct rte_ether_addr *mac);

#define PE_ICMP_DEST_UNREACH 3
#define PE_ICMP_FRAG_NEEDED 4     /* destination unreachable code: fragmentation needed and DF set */

/* What an ICMP destination unreachable about a TCP segment quotes. */
struct pe_icmp_unreach {
	uint8_t code;
	const struct rte_ipv4_hdr *inner;  /* the quoted IPv4 header, inside the frame */
	uint16_t sport;                    /* quoted TCP ports, network order */
	uint16_t dport;
	uint32_t seq;                      /* quoted sequence number, host order */
};

/*
 * Parse an ICMP destination unreachable frame (Ethernet + IPv4 + ICMP) that
 * quotes a TCP segment. 0; -ENOTSUP if it is another ICMP type or quotes
 * another protocol; -EINVAL if malformed (lengths, checksum, quoted header).
 */
int pe_wire_icmp_unreach_parse(uint8_t *frame, size_t len, struct pe_icmp_unreach *u);

/* A TCP/IPv4 segment to build. */
struct pe_tcp_spec {
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;
	uint32_t saddr;
	uint32_t daddr;
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;           /* host order */
	uint32_t ack;           /* host order */
	uint8_t flags;          /* RTE_TCP_*_FLAG */
	uint16_t window;        /* host order, unscaled */
	const uint8_t *opts;    /* TCP options, opts_len a multiple of 4, <= 40 */
	uint8_t opts_len;
	const uint8_t *payload;
	uint16_t payload_len;
};

/* Frame length pe_wire_tcp_build() will produce for @s. */
size_t pe_wire_tcp_len(const struct pe_tcp_spec *s);

/* Build Ethernet + IPv4 (DF, TTL 64) + TCP with both checksums. Returns length, -ENOSPC or -EINVAL. */
int pe_wire_tcp_build(uint8_t *buf, size_t cap, const struct pe_tcp_spec *s);

#endif /* PE_WIRE_H */
