/* SPDX-License-Identifier: BSD-3-Clause */
/* SYN cookies: encoding, validity window, secret rotation, options in the timestamp. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tcp/tcp_cookie.h"

static const struct pe_cookie_secret secret = { {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
} };
static const struct pe_cookie_tuple tuple = {
	.saddr = 0x0a0012c6, .daddr = 0x010012c6, .sport = 0x3930, .dport = 0x8501,
};

/* The keys a worker holds at @period: this period's and the one before. */
static void
keys_at(const struct pe_cookie_secret *s, uint32_t period, struct pe_cookie_key k[2])
{
	pe_cookie_key_derive(s, period, &k[0]);
	pe_cookie_key_derive(s, period - 1, &k[1]);
}

static void
test_round_trip_every_mss(void **state)
{
	struct pe_cookie_key now[2], next[2], later[2];
	unsigned int i;

	(void)state;
	keys_at(&secret, 1000, now);
	keys_at(&secret, 1001, next);
	keys_at(&secret, 1002, later);
	for (i = 0; i < 4; i++) {
		uint32_t c = pe_cookie_make(&now[0], &tuple, 0xfffffff0u, i);

		assert_int_equal(pe_cookie_check(now, 2, &tuple, 0xfffffff0u, c), (int)i);
		/* still valid in the next period (under the previous key), not after */
		assert_int_equal(pe_cookie_check(next, 2, &tuple, 0xfffffff0u, c), (int)i);
		assert_int_equal(pe_cookie_check(later, 2, &tuple, 0xfffffff0u, c), -1);
	}
}

static void
test_same_syn_same_cookie(void **state)
{
	struct pe_cookie_key k[2];

	(void)state;
	/* a retransmitted SYN in the same period gets the same answer */
	keys_at(&secret, 7, k);
	assert_int_equal(pe_cookie_make(&k[0], &tuple, 42, 3), pe_cookie_make(&k[0], &tuple, 42, 3));
}

static void
test_keys_rotate(void **state)
{
	struct pe_cookie_key a, b, c;

	(void)state;
	pe_cookie_key_derive(&secret, 5, &a);
	pe_cookie_key_derive(&secret, 6, &b);
	pe_cookie_key_derive(&secret, 5, &c);
	assert_memory_not_equal(a.k, b.k, sizeof(a.k));
	/* deterministic: engines sharing the master secret derive the same key */
	assert_memory_equal(a.k, c.k, sizeof(a.k));
	assert_int_equal(a.period, 5);
	/* a key is not the master secret */
	assert_memory_not_equal(a.k, secret.master, sizeof(a.k));
}

static void
test_forged_or_other_tuple(void **state)
{
	struct pe_cookie_tuple other = tuple;
	struct pe_cookie_secret s2 = secret;
	struct pe_cookie_key k[2], k2[2];
	uint32_t c;
	unsigned int bit, accepted = 0;

	(void)state;
	keys_at(&secret, 5, k);
	s2.master[0] ^= 1;
	keys_at(&s2, 5, k2);
	c = pe_cookie_make(&k[0], &tuple, 777, 3);
	other.sport ^= 1;
	assert_int_equal(pe_cookie_check(k, 2, &other, 777, c), -1);
	other = tuple;
	other.daddr ^= 0x100;
	assert_int_equal(pe_cookie_check(k, 2, &other, 777, c), -1);
	assert_int_equal(pe_cookie_check(k, 2, &tuple, 777 + 1000, c), -1);
	assert_int_equal(pe_cookie_check(k2, 2, &tuple, 777, c), -1);
	assert_int_equal(pe_cookie_check(k, 2, &tuple, 777, c + 1), -1);
	/*
	 * Flipping any bit above the two that carry the MSS index is caught
	 * (those two only move the index to another class, as in Linux).
	 */
	for (bit = 2; bit < 32; bit++)
		accepted += pe_cookie_check(k, 2, &tuple, 777, c ^ (1u << bit)) >= 0;
	assert_int_equal(accepted, 0);
}

static void
test_period_counter_wraps(void **state)
{
	/* the cookie keeps 8 bits of the period; 255 -> 256 must still be one period apart */
	struct pe_cookie_key k255[2], k256[2], k511[2];
	uint32_t c;

	(void)state;
	keys_at(&secret, 255, k255);
	keys_at(&secret, 256, k256);
	keys_at(&secret, 255 + 256, k511);
	c = pe_cookie_make(&k255[0], &tuple, 1, 2);
	assert_int_equal(pe_cookie_check(k256, 2, &tuple, 1, c), 2);
	assert_int_equal(pe_cookie_check(k511, 2, &tuple, 1, c), -1);
}

static void
test_n_keys_bounds_validity(void **state)
{
	struct pe_cookie_key k[2], next[2];
	uint32_t c;

	(void)state;
	keys_at(&secret, 100, k);
	keys_at(&secret, 101, next);
	c = pe_cookie_make(&k[0], &tuple, 9, 1);
	/* with only the current key, the previous period's cookie is refused */
	assert_int_equal(pe_cookie_check(next, 1, &tuple, 9, c), -1);
	assert_int_equal(pe_cookie_check(next, 2, &tuple, 9, c), 1);
}

static void
test_forgery_rate(void **state)
{
	/* random ACKs: each key accepts 4 of 2^32 values with the right top byte */
	struct pe_cookie_key k[2];
	uint32_t x = 12345, i, accepted = 0;

	(void)state;
	keys_at(&secret, 50, k);
	for (i = 0; i < 200000; i++) {
		x = x * 1664525u + 1013904223u;
		accepted += pe_cookie_check(k, 2, &tuple, 1, x) >= 0;
	}
	assert_true(accepted <= 1);
}

static void
test_window_check_for_overtaking_data(void **state)
{
	struct pe_cookie_key k[2];
	uint32_t isn = 0xfffff000u, c, x = 777, i, accepted = 0;

	(void)state;
	keys_at(&secret, 40, k);
	c = pe_cookie_make(&k[0], &tuple, isn, 2);
	/* data k bytes after the first segment: seq - 1 = isn + k */
	assert_true(pe_cookie_check_window(k, 2, &tuple, isn, 65535, c));
	assert_true(pe_cookie_check_window(k, 2, &tuple, isn + 1448, 65535, c));
	assert_true(pe_cookie_check_window(k, 2, &tuple, isn + 65535, 65535, c));
	/* further than the span, another tuple, another secret: no */
	assert_false(pe_cookie_check_window(k, 2, &tuple, isn + 70000, 65535, c));
	assert_false(pe_cookie_check_window(k, 2, &tuple, isn + 1448, 1000, c));
	{
		struct pe_cookie_tuple other = tuple;

		other.sport ^= 0x100;
		assert_false(pe_cookie_check_window(k, 2, &other, isn + 1448, 65535, c));
	}
	/* random ACK values pass about span / 2^32 * 4 of the time per key: rarely */
	for (i = 0; i < 100000; i++) {
		x = x * 1664525u + 1013904223u;
		accepted += pe_cookie_check_window(k, 2, &tuple, isn, 65535, x);
	}
	assert_true(accepted < 20);
}

static void
test_mss_classes(void **state)
{
	(void)state;
	assert_int_equal(pe_cookie_mss_index(1460), 3);
	assert_int_equal(pe_cookie_mss_index(9000), 3);
	assert_int_equal(pe_cookie_mss_index(1459), 2);
	assert_int_equal(pe_cookie_mss_index(1300), 1);
	assert_int_equal(pe_cookie_mss_index(100), 0);
}

static void
test_ts_options_round_trip(void **state)
{
	struct pe_cookie_opts in, out;
	unsigned int ws, sack;

	(void)state;
	for (ws = 0; ws <= 15; ws++) {
		for (sack = 0; sack < 2; sack++) {
			uint32_t now = 0x12345678, ts;

			if (ws == 15) {
				in = (struct pe_cookie_opts){ .wscale_ok = false, .sack_ok = sack };
			} else {
				if (ws > 14)
					continue;
				in = (struct pe_cookie_opts){ .wscale_ok = true, .wscale = (uint8_t)ws,
					.sack_ok = sack };
			}
			ts = pe_cookie_ts_encode(now, &in);
			/* never ahead of the clock, at most one 64-tick step behind */
			assert_true(ts <= now);
			assert_true(now - ts < 2u << PE_COOKIE_TS_BITS);
			assert_int_equal(pe_cookie_ts_decode(ts, &out), 0);
			assert_int_equal(out.wscale_ok, in.wscale_ok);
			assert_int_equal(out.sack_ok, in.sack_ok);
			if (in.wscale_ok)
				assert_int_equal(out.wscale, in.wscale);
		}
	}
}

static void
test_ts_options_impossible(void **state)
{
	struct pe_cookie_opts o;

	(void)state;
	/* window scale 15 does not exist (0xf means none) nor does reserved bit 5 */
	assert_int_equal(pe_cookie_ts_decode(0x1000 | 14, &o), 0);
	assert_int_equal(pe_cookie_ts_decode(0x1000 | 0x20, &o), -1);
	assert_int_equal(pe_cookie_ts_decode(0x1000 | 0xf, &o), 0);
	assert_false(o.wscale_ok);
}

static void
test_ts_offset(void **state)
{
	struct pe_cookie_secret s2 = secret;

	(void)state;
	s2.master[15] ^= 0x80;
	assert_int_equal(pe_cookie_ts_offset(&secret, 1, 2), pe_cookie_ts_offset(&secret, 1, 2));
	assert_int_not_equal(pe_cookie_ts_offset(&secret, 1, 2), pe_cookie_ts_offset(&secret, 3, 2));
	assert_int_not_equal(pe_cookie_ts_offset(&secret, 1, 2), pe_cookie_ts_offset(&s2, 1, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_mss),
		cmocka_unit_test(test_same_syn_same_cookie),
		cmocka_unit_test(test_keys_rotate),
		cmocka_unit_test(test_forged_or_other_tuple),
		cmocka_unit_test(test_period_counter_wraps),
		cmocka_unit_test(test_n_keys_bounds_validity),
		cmocka_unit_test(test_forgery_rate),
		cmocka_unit_test(test_window_check_for_overtaking_data),
		cmocka_unit_test(test_mss_classes),
		cmocka_unit_test(test_ts_options_round_trip),
		cmocka_unit_test(test_ts_options_impossible),
		cmocka_unit_test(test_ts_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
