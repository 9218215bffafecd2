/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP options: parsing (malformed, truncated, duplicate), building, in-place rewrites, window rescaling. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "tcp/tcp_opt.h"

/* Linux SYN: MSS 1460, SACK-permitted, TS(1, 0), NOP, wscale 7 */
static const uint8_t linux_syn[] = {
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
};

static void
test_parse_linux_syn(void **state)
{
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_parse(linux_syn, sizeof(linux_syn), &p), 0);
	assert_true(p.has_mss);
	assert_int_equal(p.mss, 1460);
	assert_true(p.sack_perm);
	assert_true(p.has_ts);
	assert_int_equal(p.ts_val, 1);
	assert_int_equal(p.ts_ecr, 0);
	assert_int_equal(p.ts_off, 6);
	assert_true(p.has_wscale);
	assert_int_equal(p.wscale, 7);
	assert_int_equal(p.sack_off, PE_TCPOPT_ABSENT);
	assert_int_equal(p.eol_off, PE_TCPOPT_ABSENT);
}

/*
 * NOP NOP TS, the layout of almost every established segment, takes a short
 * cut: it must find what the general walk finds for the same option at
 * another place (TS NOP NOP), and leave a wrong length to the general walk.
 */
static void
test_parse_aligned_ts(void **state)
{
	static const uint8_t aligned[12] = { 1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0x12, 0x34 };
	static const uint8_t moved[12] = { 8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0x12, 0x34, 1, 1 };
	static const uint8_t bad_len[12] = { 1, 1, 8, 9, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0x12, 0x34 };
	struct pe_tcp_opts a, m;

	(void)state;
	assert_int_equal(pe_tcp_opt_parse(aligned, sizeof(aligned), &a), 0);
	assert_int_equal(pe_tcp_opt_parse(moved, sizeof(moved), &m), 0);
	assert_true(a.has_ts && m.has_ts);
	assert_int_equal(a.ts_val, 0xdeadbeef);
	assert_int_equal(a.ts_ecr, 0x1234);
	assert_int_equal(a.ts_off, 2);
	assert_int_equal(m.ts_off, 0);
	m.ts_off = a.ts_off;
	assert_memory_equal(&a, &m, sizeof(a));
	assert_int_equal(pe_tcp_opt_parse(bad_len, sizeof(bad_len), &a), -EINVAL);
}

static void
test_parse_malformed(void **state)
{
	static const uint8_t truncated[] = { 2, 4, 0x05 };
	static const uint8_t bad_mss_len[] = { 2, 3, 0x05, 0 };
	static const uint8_t zero_len[] = { 30, 0, 1, 1 };
	static const uint8_t kind_only[] = { 1, 1, 2 };
	static const uint8_t bad_ts_len[] = { 8, 8, 0, 0, 0, 0, 0, 0 };
	static const uint8_t bad_ws_len[] = { 3, 4, 7, 0 };
	static const uint8_t bad_sackok_len[] = { 4, 3, 0, 1 };
	static const uint8_t sack_odd[] = { 5, 6, 0, 0, 0, 1, 1, 1 };
	static const uint8_t sack_empty[] = { 5, 2, 1, 1 };
	static const uint8_t ts_truncated[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t eol_stops[] = { 0, 2, 3 };
	static const uint8_t unknown_ok[] = { 30, 4, 9, 9, 2, 4, 1, 0 };
	uint8_t too_long[44];
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_parse(truncated, sizeof(truncated), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(bad_mss_len, sizeof(bad_mss_len), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(zero_len, sizeof(zero_len), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(kind_only, sizeof(kind_only), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(bad_ts_len, sizeof(bad_ts_len), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(bad_ws_len, sizeof(bad_ws_len), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(bad_sackok_len, sizeof(bad_sackok_len), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(sack_odd, sizeof(sack_odd), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(sack_empty, sizeof(sack_empty), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(ts_truncated, sizeof(ts_truncated), &p), -EINVAL);
	memset(too_long, PE_TCPOPT_NOP, sizeof(too_long));
	assert_int_equal(pe_tcp_opt_parse(too_long, sizeof(too_long), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(eol_stops, sizeof(eol_stops), &p), 0);
	assert_false(p.has_mss);
	assert_int_equal(p.eol_off, 0);
	assert_int_equal(pe_tcp_opt_parse(unknown_ok, sizeof(unknown_ok), &p), 0);
	assert_true(p.has_mss);
	assert_int_equal(p.mss, 256);
}

static void
test_parse_duplicates(void **state)
{
	static const uint8_t two_mss[] = { 2, 4, 5, 0xb4, 2, 4, 2, 0 };
	static const uint8_t two_ws[] = { 3, 3, 7, 3, 3, 2, 1, 1 };
	static const uint8_t two_ts[] = { 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		8, 10, 0, 0, 0, 2, 0, 0, 0, 0 };
	static const uint8_t two_sackok[] = { 4, 2, 4, 2 };
	static const uint8_t two_sack[] = { 5, 10, 0, 0, 0, 1, 0, 0, 0, 2,
		5, 10, 0, 0, 0, 3, 0, 0, 0, 4 };
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_parse(two_mss, sizeof(two_mss), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(two_ws, sizeof(two_ws), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(two_ts, sizeof(two_ts), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(two_sackok, sizeof(two_sackok), &p), -EINVAL);
	assert_int_equal(pe_tcp_opt_parse(two_sack, sizeof(two_sack), &p), -EINVAL);
}

static void
test_build_syn_linux_order(void **state)
{
	const struct pe_tcp_opts all = {
		.has_mss = true, .mss = 1460, .sack_perm = true, .has_ts = true,
		.ts_val = 1, .ts_ecr = 0, .has_wscale = true, .wscale = 7,
	};
	uint8_t buf[PE_TCPOPT_SYN_LEN_MAX];
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_build_syn(buf, &all), sizeof(linux_syn));
	assert_memory_equal(buf, linux_syn, sizeof(linux_syn));
	assert_int_equal(pe_tcp_opt_parse(buf, sizeof(linux_syn), &p), 0);
}

static void
test_build_syn_every_combination(void **state)
{
	unsigned int bits;

	(void)state;
	for (bits = 0; bits < 16; bits++) {
		const struct pe_tcp_opts in = {
			.has_mss = bits & 1, .mss = 1300,
			.sack_perm = bits & 2,
			.has_ts = bits & 4, .ts_val = 0xdeadbeef, .ts_ecr = 0x01020304,
			.has_wscale = bits & 8, .wscale = 14,
		};
		uint8_t buf[PE_TCPOPT_SYN_LEN_MAX];
		struct pe_tcp_opts out;
		size_t n = pe_tcp_opt_build_syn(buf, &in);

		assert_int_equal(n % 4, 0);
		assert_true(n <= PE_TCPOPT_SYN_LEN_MAX);
		assert_int_equal(pe_tcp_opt_parse(buf, n, &out), 0);
		assert_int_equal(out.has_mss, in.has_mss);
		assert_int_equal(out.sack_perm, in.sack_perm);
		assert_int_equal(out.has_ts, in.has_ts);
		assert_int_equal(out.has_wscale, in.has_wscale);
		if (in.has_mss)
			assert_int_equal(out.mss, 1300);
		if (in.has_ts) {
			assert_int_equal(out.ts_val, 0xdeadbeef);
			assert_int_equal(out.ts_ecr, 0x01020304);
			/* TS values 4-byte aligned within the header, as Linux places them */
			assert_int_equal((out.ts_off + 2) % 4, 0);
		}
		if (in.has_wscale)
			assert_int_equal(out.wscale, 14);
	}
}

static void
test_ts_rewrite(void **state)
{
	/* data segment: NOP NOP TS */
	uint8_t o[PE_TCPOPT_TS_ALIGNED_LEN];
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_put_ts(o, 0xfffffff0, 7), sizeof(o));
	assert_int_equal(pe_tcp_opt_parse(o, sizeof(o), &p), 0);
	assert_int_equal(p.ts_val, 0xfffffff0);
	/* translation across the wrap of the 32-bit clock */
	pe_tcp_opt_set_ts(o, &p, p.ts_val + 0x20, p.ts_ecr - 8);
	assert_int_equal(pe_tcp_opt_parse(o, sizeof(o), &p), 0);
	assert_int_equal(p.ts_val, 0x10);
	assert_int_equal(p.ts_ecr, 0xffffffff);
}

static void
test_sack_shift_across_wrap(void **state)
{
	/* NOP NOP SACK with two blocks: [0xfffffff0, 0x10) and [0x20, 0x30) */
	uint8_t o[] = { 1, 1, 5, 18,
		0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10,
		0, 0, 0, 0x20, 0, 0, 0, 0x30 };
	const uint8_t want[] = { 1, 1, 5, 18,
		0, 0, 0, 0x10, 0, 0, 0, 0x30,
		0, 0, 0, 0x40, 0, 0, 0, 0x50 };
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_parse(o, sizeof(o), &p), 0);
	assert_int_equal(p.sack_off, 2);
	assert_int_equal(p.sack_blocks, 2);
	assert_int_equal(pe_tcp_opt_sack_len(&p), 18);
	pe_tcp_opt_sack_shift(o, &p, 0x20);
	assert_memory_equal(o, want, sizeof(want));
	/* and back */
	pe_tcp_opt_sack_shift(o, &p, (uint32_t)-0x20);
	assert_int_equal(o[4], 0xff);
	assert_int_equal(o[7], 0xf0);
}

static void
test_strip(void **state)
{
	uint8_t o[] = { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0 };
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_parse(o, sizeof(o), &p), 0);
	pe_tcp_opt_strip(o, p.sack_off, pe_tcp_opt_sack_len(&p));
	assert_int_equal(pe_tcp_opt_parse(o, sizeof(o), &p), 0);
	assert_int_equal(p.sack_off, PE_TCPOPT_ABSENT);
	assert_true(p.has_ts);
	assert_int_equal(p.ts_val, 9);
}

static void
test_window_rescale(void **state)
{
	(void)state;
	/* same shift: untouched */
	assert_int_equal(pe_tcp_win_rescale(1234, 7, 7), 1234);
	/* 502 << 7 = 64256 bytes, for a receiver without scaling */
	assert_int_equal(pe_tcp_win_rescale(502, 7, 0), 64256);
	/* too large for an unscaled field: capped */
	assert_int_equal(pe_tcp_win_rescale(1000, 7, 0), 65535);
	/* unscaled 65535 bytes for a receiver applying 7: rounded down */
	assert_int_equal(pe_tcp_win_rescale(65535, 0, 7), 511);
	/* 100 bytes cannot be expressed with shift 7, but an open window stays open */
	assert_int_equal(pe_tcp_win_rescale(100, 0, 7), 1);
	assert_int_equal(pe_tcp_win_rescale(0, 0, 7), 0);
	/* 2 << 14 bytes to shift 2 */
	assert_int_equal(pe_tcp_win_rescale(2, 14, 2), 8192);
	assert_int_equal(pe_tcp_win_rescale(0xffff, 14, 0), 0xffff);
}

/* SACK blocks the engine sends itself: written as RFC 2018 §3 says and parsed back */
static void
test_put_sack(void **state)
{
	const uint32_t blocks[4][2] = {
		{ 100, 200 }, { 0xfffffff0u, 0x10 }, { 300, 400 }, { 500, 600 },
	};
	uint8_t buf[40];
	struct pe_tcp_opts o;
	size_t n;

	(void)state;
	assert_int_equal(pe_tcp_opt_put_sack(buf, blocks, 0), 0);
	n = pe_tcp_opt_put_ts(buf, 7, 8);
	/* a fourth block does not fit beside the timestamp: three are written */
	n += pe_tcp_opt_put_sack(buf + n, blocks, 4);
	assert_int_equal(n, 12 + 4 + 24);
	assert_int_equal(pe_tcp_opt_parse(buf, n, &o), 0);
	assert_true(o.has_ts);
	assert_int_equal(o.sack_blocks, 3);
	assert_int_equal(pe_tcp_opt_sack_len(&o), 26);
	assert_memory_equal(buf + 12, "\x01\x01\x05\x1a\x00\x00\x00\x64\x00\x00\x00\xc8", 12);
	assert_memory_equal(buf + 24, "\xff\xff\xff\xf0\x00\x00\x00\x10", 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_linux_syn),
		cmocka_unit_test(test_put_sack),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_aligned_ts),
		cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_build_syn_linux_order),
		cmocka_unit_test(test_build_syn_every_combination),
		cmocka_unit_test(test_ts_rewrite),
		cmocka_unit_test(test_sack_shift_across_wrap),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_window_rescale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
