/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/csum.h"
#include "net/wire.h"

/* A real-looking segment, built by the wire module (itself checked in test_wire). */
static int
build(uint8_t *buf, size_t cap, uint16_t payload_len)
{
	static uint8_t payload[1500];
	struct pe_tcp_spec s = {
		.saddr = rte_cpu_to_be_32(0xc612000a), .daddr = rte_cpu_to_be_32(0xc6120001),
		.sport = rte_cpu_to_be_16(40000), .dport = rte_cpu_to_be_16(389),
		.seq = 0xfffffff0u, .ack = 0x12345678u, .flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
		.window = 501, .payload = payload, .payload_len = payload_len,
	};
	unsigned int i;

	for (i = 0; i < payload_len; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	return pe_wire_tcp_build(buf, cap, &s);
}

/* Apply the rewrite relaying does (addresses, ports, seq, ack) incrementally; compare with a full sum. */
static void
rewrite_and_check(uint16_t payload_len)
{
	uint8_t buf[1600];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t nsrc = rte_cpu_to_be_32(0xc6120002), ndst = rte_cpu_to_be_32(0xc612000b);
	uint32_t nseq = rte_cpu_to_be_32(0x00000010), nack = rte_cpu_to_be_32(0xfffffffe);
	uint16_t nsport = rte_cpu_to_be_16(20001), ndport = rte_cpu_to_be_16(1389);
	uint16_t ck, full;

	assert_true(build(buf, sizeof(buf), payload_len) > 0);
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, tcp), 0);
	ck = tcp->cksum;
	ck = pe_csum_replace32(ck, ip->src_addr, nsrc);
	ck = pe_csum_replace32(ck, ip->dst_addr, ndst);
	ck = pe_csum_replace16(ck, tcp->src_port, nsport);
	ck = pe_csum_replace16(ck, tcp->dst_port, ndport);
	ck = pe_csum_replace32(ck, tcp->sent_seq, nseq);
	ck = pe_csum_replace32(ck, tcp->recv_ack, nack);
	ip->src_addr = nsrc;
	ip->dst_addr = ndst;
	tcp->src_port = nsport;
	tcp->dst_port = ndport;
	tcp->sent_seq = nseq;
	tcp->recv_ack = nack;
	tcp->cksum = 0;
	full = rte_ipv4_udptcp_cksum(ip, tcp);
	assert_int_equal(ck, full);
	tcp->cksum = ck;
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, tcp), 0);
}

static void test_rewrite_empty(void **state) { (void)state; rewrite_and_check(0); }
static void test_rewrite_odd_payload(void **state) { (void)state; rewrite_and_check(1); }
static void test_rewrite_full_segment(void **state) { (void)state; rewrite_and_check(1460); }

static void
test_replace_same_value_is_noop(void **state)
{
	(void)state;
	assert_int_equal(pe_csum_replace32(0x1234, 0xdeadbeef, 0xdeadbeef), 0x1234);
	assert_int_equal(pe_csum_replace16(0xabcd, 0x0102, 0x0102), 0xabcd);
}

static void
test_replace_exhaustive_16(void **state)
{
	/* a 2-byte buffer's checksum against every old/new pair of one byte pattern */
	uint32_t v;

	(void)state;
	for (v = 0; v <= 0xffff; v += 251) {
		uint16_t word = (uint16_t)v, nw = (uint16_t)(v * 31 + 7);
		uint16_t ck = (uint16_t)~rte_raw_cksum(&word, 2);
		uint16_t want = (uint16_t)~rte_raw_cksum(&nw, 2);
		uint16_t got = pe_csum_replace16(ck, word, nw);

		/* 0x0000 and 0xffff are the same one's complement number */
		if (want == 0xffff)
			want = 0;
		if (got == 0xffff)
			got = 0;
		assert_int_equal(got, want);
	}
}

/* pe_csum_raw() folds to what DPDK's rte_raw_cksum() gives: every length and alignment. */
static void
test_raw_matches_dpdk(void **state)
{
	static uint8_t buf[320 + 8];
	uint32_t seed = 12345;
	size_t len, off, i;
	int pattern;

	(void)state;
	for (pattern = 0; pattern < 3; pattern++) {
		for (i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			/* random bytes, all ones (every carry), zeros */
			buf[i] = pattern == 0 ? (uint8_t)(seed >> 16) : pattern == 1 ? 0xff : 0;
		}
		for (off = 0; off < 8; off++) {
			for (len = 0; len <= 320; len++) {
				uint16_t want = rte_raw_cksum(buf + off, len);
				uint16_t got = pe_csum_fold(pe_csum_raw(buf + off, len, 0));
				uint16_t want_init = pe_csum_fold(__rte_raw_cksum(buf + off, len, 0x0002fffdu));
				uint16_t got_init = pe_csum_fold(pe_csum_raw(buf + off, len, 0x0002fffdu));

				if (want != got || want_init != got_init)
					fail_msg("pattern %d off %zu len %zu: %04x/%04x, %04x/%04x", pattern, off,
							len, want, got, want_init, got_init);
			}
		}
	}
}

/* The relay's rewrite as one accumulated difference: the same as field by field and as a full sum. */
static void
test_diff_accumulated(void **state)
{
	uint8_t buf[1600];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t nsrc = rte_cpu_to_be_32(0xc6120002), ndst = rte_cpu_to_be_32(0xc612000b);
	uint32_t nseq = rte_cpu_to_be_32(0x00000010), nack = rte_cpu_to_be_32(0xfffffffe);
	uint16_t nsport = rte_cpu_to_be_16(20001), nwin = rte_cpu_to_be_16(65535);
	uint32_t addr = 0, acc;
	uint16_t len;

	(void)state;
	for (len = 0; len < 1461; len += 97) {
		assert_true(build(buf, sizeof(buf), len) > 0);
		addr = pe_csum_diff32(0, ip->src_addr, nsrc);
		addr = pe_csum_diff32(addr, ip->dst_addr, ndst);
		acc = pe_csum_diff16(addr, tcp->src_port, nsport);
		acc = pe_csum_diff32(acc, tcp->sent_seq, nseq);
		acc = pe_csum_diff32(acc, tcp->recv_ack, nack);
		acc = pe_csum_diff16(acc, tcp->rx_win, nwin);
		ip->hdr_checksum = pe_csum_apply(ip->hdr_checksum, addr);
		tcp->cksum = pe_csum_apply(tcp->cksum, acc);
		ip->src_addr = nsrc;
		ip->dst_addr = ndst;
		tcp->src_port = nsport;
		tcp->sent_seq = nseq;
		tcp->recv_ack = nack;
		tcp->rx_win = nwin;
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, tcp), 0);
		assert_int_equal(rte_ipv4_cksum(ip), 0);   /* the header sums to all ones */
		/* the engine's own check agrees, and notices one flipped bit */
		assert_int_equal(pe_csum_fold(pe_csum_raw(tcp, sizeof(*tcp) + len,
				rte_ipv4_phdr_cksum(ip, 0))), 0xffff);
		buf[sizeof(struct rte_ether_hdr) + sizeof(*ip) + sizeof(*tcp) + len / 2] ^= 0x10;
		if (len != 0)
			assert_int_not_equal(pe_csum_fold(pe_csum_raw(tcp, sizeof(*tcp) + len,
					rte_ipv4_phdr_cksum(ip, 0))), 0xffff);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite_empty),
		cmocka_unit_test(test_rewrite_odd_payload),
		cmocka_unit_test(test_rewrite_full_segment),
		cmocka_unit_test(test_replace_same_value_is_noop),
		cmocka_unit_test(test_replace_exhaustive_16),
		cmocka_unit_test(test_raw_matches_dpdk),
		cmocka_unit_test(test_diff_accumulated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
