/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tcp/tcp_cookie.h"
#include "tcp/tcp_opt.h"

static const struct pe_cookie_secret secret = { { 0x12345678, 0x9abcdef0 } };
static const struct pe_cookie_tuple tuple = {
	.saddr = 0x0a0012c6, .daddr = 0x010012c6, .sport = 0x3930, .dport = 0x8501,
};

static void
test_round_trip_every_mss(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		uint32_t c = pe_cookie_make(&secret, &tuple, 0xfffffff0u, 1000, i);

		assert_int_equal(pe_cookie_check(&secret, &tuple, 0xfffffff0u, c, 1000), (int)i);
		/* still valid in the next period, not after */
		assert_int_equal(pe_cookie_check(&secret, &tuple, 0xfffffff0u, c, 1001), (int)i);
		assert_int_equal(pe_cookie_check(&secret, &tuple, 0xfffffff0u, c, 1002), -1);
	}
}

static void
test_forged_or_other_tuple(void **state)
{
	struct pe_cookie_tuple other = tuple;
	uint32_t c = pe_cookie_make(&secret, &tuple, 777, 5, 3);
	struct pe_cookie_secret s2 = { { 1, 2 } };

	(void)state;
	other.sport ^= 1;
	assert_int_equal(pe_cookie_check(&secret, &other, 777, c, 5), -1);
	/* the client ISN is added in, so a nearby ISN only shifts the MSS index (as in Linux) */
	assert_int_equal(pe_cookie_check(&secret, &tuple, 777 + 1000, c, 5), -1);
	assert_int_equal(pe_cookie_check(&s2, &tuple, 777, c, 5), -1);
	assert_int_equal(pe_cookie_check(&secret, &tuple, 777, c + 1, 5), -1);
}

static void
test_period_counter_wraps(void **state)
{
	/* the cookie keeps 8 bits of the period; 255 -> 256 must still be one period apart */
	uint32_t c = pe_cookie_make(&secret, &tuple, 1, 255, 2);

	(void)state;
	assert_int_equal(pe_cookie_check(&secret, &tuple, 1, c, 256), 2);
	assert_int_equal(pe_cookie_check(&secret, &tuple, 1, c, 255 + 256), -1);
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
test_opt_parse_linux_syn(void **state)
{
	/* Linux SYN: MSS 1460, SACK-permitted, TS, NOP, wscale 7 */
	static const uint8_t o[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_parse(o, sizeof(o), &p), 0);
	assert_true(p.has_mss);
	assert_int_equal(p.mss, 1460);
	assert_true(p.sack_perm);
	assert_true(p.has_ts);
	assert_int_equal(p.ts_val, 1);
	assert_true(p.has_wscale);
	assert_int_equal(p.wscale, 7);
}

static void
test_opt_parse_malformed(void **state)
{
	static const uint8_t truncated[] = { 2, 4, 0x05 };
	static const uint8_t bad_mss_len[] = { 2, 3, 0x05, 0 };
	static const uint8_t zero_len[] = { 30, 0, 1, 1 };
	static const uint8_t kind_only[] = { 1, 1, 2 };
	static const uint8_t eol_stops[] = { 0, 2, 3 };
	struct pe_tcp_opts p;

	(void)state;
	assert_int_equal(pe_tcp_opt_parse(truncated, sizeof(truncated), &p), -22);
	assert_int_equal(pe_tcp_opt_parse(bad_mss_len, sizeof(bad_mss_len), &p), -22);
	assert_int_equal(pe_tcp_opt_parse(zero_len, sizeof(zero_len), &p), -22);
	assert_int_equal(pe_tcp_opt_parse(kind_only, sizeof(kind_only), &p), -22);
	assert_int_equal(pe_tcp_opt_parse(eol_stops, sizeof(eol_stops), &p), 0);
	assert_false(p.has_mss);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_mss),
		cmocka_unit_test(test_forged_or_other_tuple),
		cmocka_unit_test(test_period_counter_wraps),
		cmocka_unit_test(test_mss_classes),
		cmocka_unit_test(test_opt_parse_linux_syn),
		cmocka_unit_test(test_opt_parse_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
