/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/wire.h"

static const struct rte_ether_addr engine_mac = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };
static const struct rte_ether_addr client_mac = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a } };

#define VIP 0x010012c6u      /* 198.18.0.1 as stored (network order) on little endian */
#define CLIENT 0x0a0012c6u   /* 198.18.0.10 */

static void
test_arp_request_then_reply(void **state)
{
	uint8_t f[64];
	struct pe_arp_info info;
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f;
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);
	int len;

	(void)state;
	/* the client asks for the VIP */
	len = pe_wire_arp_request(f, sizeof(f), &client_mac, rte_cpu_to_be_32(0xc612000a),
			rte_cpu_to_be_32(0xc6120001));
	assert_int_equal(len, 42);
	assert_int_equal(pe_wire_arp_parse(f, (size_t)len, &info), 0);
	assert_int_equal(info.op, RTE_ARP_OP_REQUEST);
	assert_true(rte_is_same_ether_addr(&info.sha, &client_mac));
	assert_true(rte_is_broadcast_ether_addr(&eth->dst_addr));

	/* the engine answers in place */
	assert_int_equal(pe_wire_arp_reply(f, &info, &engine_mac), 42);
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REPLY);
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &client_mac));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &engine_mac));
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_sha, &engine_mac));
	assert_true(rte_is_same_ether_addr(&arp->arp_data.arp_tha, &client_mac));
	assert_int_equal(arp->arp_data.arp_sip, rte_cpu_to_be_32(0xc6120001));
	assert_int_equal(arp->arp_data.arp_tip, rte_cpu_to_be_32(0xc612000a));
	/* and the reply parses back as a reply from the VIP */
	assert_int_equal(pe_wire_arp_parse(f, 42, &info), 0);
	assert_int_equal(info.op, RTE_ARP_OP_REPLY);
	assert_int_equal(info.sip, rte_cpu_to_be_32(0xc6120001));
}

static void
test_arp_malformed(void **state)
{
	uint8_t f[64];
	struct pe_arp_info info;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(f + sizeof(struct rte_ether_hdr));

	(void)state;
	pe_wire_arp_request(f, sizeof(f), &client_mac, 1, 2);
	assert_int_equal(pe_wire_arp_parse(f, 41, &info), -22);      /* truncated */
	arp->arp_hlen = 8;
	assert_int_equal(pe_wire_arp_parse(f, 42, &info), -22);      /* not Ethernet */
	arp->arp_hlen = 6;
	arp->arp_opcode = rte_cpu_to_be_16(3);                       /* RARP */
	assert_int_equal(pe_wire_arp_parse(f, 42, &info), -22);
	assert_int_equal(pe_wire_arp_request(f, 20, &client_mac, 1, 2), -28);
}

/* Ethernet + IPv4 + ICMP echo request with @n payload bytes. */
static size_t
make_echo(uint8_t *f, size_t n)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	size_t i;

	memset(f, 0, 14 + 20 + 8 + n);
	eth->dst_addr = engine_mac;
	eth->src_addr = client_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + n));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(0xc612000a);
	ip->dst_addr = rte_cpu_to_be_32(0xc6120001);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = rte_cpu_to_be_16(0x4242);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(7);
	for (i = 0; i < n; i++)
		((uint8_t *)(icmp + 1))[i] = (uint8_t)i;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8 + n);
	return 14 + 20 + 8 + n;
}

static void
test_icmp_echo_reply(void **state)
{
	uint8_t f[256];
	size_t len = make_echo(f, 56);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)(ip + 1);

	(void)state;
	assert_int_equal(pe_wire_icmp_echo_reply(f, len, &engine_mac), 0);
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &client_mac));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &engine_mac));
	assert_int_equal(ip->src_addr, rte_cpu_to_be_32(0xc6120001));
	assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(0xc612000a));
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(rte_be_to_cpu_16(icmp->icmp_ident), 0x4242);
	assert_int_equal(rte_be_to_cpu_16(icmp->icmp_seq_nb), 7);
	assert_int_equal(rte_raw_cksum(icmp, 8 + 56), 0xffff);
	assert_int_equal(((const uint8_t *)(icmp + 1))[55], 55);
}

static void
test_icmp_rejects(void **state)
{
	uint8_t f[256];
	size_t len;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);

	(void)state;
	len = make_echo(f, 8);
	assert_int_equal(pe_wire_icmp_echo_reply(f, len - 1, &engine_mac), -22);  /* truncated */
	icmp->icmp_cksum ^= 1;
	assert_int_equal(pe_wire_icmp_echo_reply(f, len, &engine_mac), -22);      /* bad checksum */
	len = make_echo(f, 8);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 16);
	assert_int_equal(pe_wire_icmp_echo_reply(f, len, &engine_mac), -95);      /* not a request */
	len = make_echo(f, 8);
	ip->version_ihl = 0x44;                                                    /* IHL 16 bytes */
	assert_int_equal(pe_wire_icmp_echo_reply(f, len, &engine_mac), -22);
}

static void
test_tcp_build(void **state)
{
	static const uint8_t opts[4] = { 2, 4, 0x05, 0xb4 };
	static const uint8_t payload[] = "hello";
	uint8_t f[128];
	struct pe_tcp_spec s = {
		.src_mac = engine_mac, .dst_mac = client_mac,
		.saddr = VIP, .daddr = CLIENT,
		.sport = rte_cpu_to_be_16(389), .dport = rte_cpu_to_be_16(40000),
		.seq = 0x80000000u, .ack = 0x1234u, .flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
		.window = 65535, .opts = opts, .opts_len = 4, .payload = payload, .payload_len = 5,
	};
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + 14);
	const struct rte_tcp_hdr *tcp = (const struct rte_tcp_hdr *)(ip + 1);

	(void)state;
	assert_int_equal(pe_wire_tcp_build(f, sizeof(f), &s), 14 + 20 + 24 + 5);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, tcp), 0);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 20 + 24 + 5);
	assert_int_equal(tcp->data_off, 6 << 4);
	assert_int_equal(rte_be_to_cpu_32(tcp->sent_seq), 0x80000000u);
	assert_memory_equal((const uint8_t *)(tcp + 1), opts, 4);
	assert_memory_equal((const uint8_t *)(tcp + 1) + 4, payload, 5);
	assert_int_equal(pe_wire_tcp_build(f, 40, &s), -28);
	s.opts_len = 3;
	assert_int_equal(pe_wire_tcp_build(f, sizeof(f), &s), -22);
}

/*
 * A destination unreachable (code 3, port) from a router at @from about a SYN
 * the engine sent (198.18.0.2:20001 -> 198.18.0.11:389, seq 0xabcdef01),
 * quoting @quote bytes of it. Returns the frame length.
 */
static size_t
build_unreach(uint8_t *f, size_t quote, uint8_t type, uint8_t proto)
{
	uint8_t syn[64];
	struct pe_tcp_spec s = {
		.src_mac = engine_mac, .dst_mac = client_mac,
		.saddr = 0x020012c6u, .daddr = 0x0b0012c6u,
		.sport = rte_cpu_to_be_16(20001), .dport = rte_cpu_to_be_16(389),
		.seq = 0xabcdef01u, .flags = RTE_TCP_SYN_FLAG, .window = 65535,
	};
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	int n = pe_wire_tcp_build(syn, sizeof(syn), &s);

	assert_true(n > 0);
	((struct rte_ipv4_hdr *)(syn + 14))->next_proto_id = proto;
	memset(f, 0, 14 + 20 + 8);
	memcpy(f, &client_mac, 6);
	memcpy(f + 6, &engine_mac, 6);
	f[12] = 0x08;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + quote));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = 0x0b0012c6u;
	ip->dst_addr = 0x020012c6u;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = type;
	icmp->icmp_code = 3;
	memcpy(icmp + 1, syn + 14, quote);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8 + quote);
	return 14 + 20 + 8 + quote;
}

static void
test_icmp_unreach(void **state)
{
	uint8_t f[128];
	struct pe_icmp_unreach u;
	size_t len;

	(void)state;
	len = build_unreach(f, 28, PE_ICMP_DEST_UNREACH, IPPROTO_TCP);
	assert_int_equal(pe_wire_icmp_unreach_parse(f, len, &u), 0);
	assert_int_equal(u.code, 3);
	assert_int_equal(u.inner->src_addr, 0x020012c6u);
	assert_int_equal(u.inner->dst_addr, 0x0b0012c6u);
	assert_int_equal(u.sport, rte_cpu_to_be_16(20001));
	assert_int_equal(u.dport, rte_cpu_to_be_16(389));
	assert_int_equal(u.seq, 0xabcdef01u);
	/* the whole quoted SYN is fine too */
	len = build_unreach(f, 40, PE_ICMP_DEST_UNREACH, IPPROTO_TCP);
	assert_int_equal(pe_wire_icmp_unreach_parse(f, len, &u), 0);
	/* fewer than 8 bytes of the TCP header quoted */
	len = build_unreach(f, 27, PE_ICMP_DEST_UNREACH, IPPROTO_TCP);
	assert_int_equal(pe_wire_icmp_unreach_parse(f, len, &u), -EINVAL);
	/* another ICMP type, another quoted protocol */
	len = build_unreach(f, 28, 11, IPPROTO_TCP);
	assert_int_equal(pe_wire_icmp_unreach_parse(f, len, &u), -ENOTSUP);
	len = build_unreach(f, 28, PE_ICMP_DEST_UNREACH, IPPROTO_UDP);
	assert_int_equal(pe_wire_icmp_unreach_parse(f, len, &u), -ENOTSUP);
	/* a bad checksum, a truncated frame */
	len = build_unreach(f, 28, PE_ICMP_DEST_UNREACH, IPPROTO_TCP);
	f[len - 1] ^= 1;
	assert_int_equal(pe_wire_icmp_unreach_parse(f, len, &u), -EINVAL);
	f[len - 1] ^= 1;
	assert_int_equal(pe_wire_icmp_unreach_parse(f, len - 1, &u), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_request_then_reply),
		cmocka_unit_test(test_arp_malformed),
		cmocka_unit_test(test_icmp_echo_reply),
		cmocka_unit_test(test_icmp_rejects),
		cmocka_unit_test(test_tcp_build),
		cmocka_unit_test(test_icmp_unreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
