/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tcp/tcp_seq.h"

static void
test_compare_plain(void **state)
{
	(void)state;
	assert_true(pe_seq_lt(1, 2));
	assert_false(pe_seq_lt(2, 2));
	assert_true(pe_seq_leq(2, 2));
	assert_true(pe_seq_gt(3, 2));
	assert_true(pe_seq_geq(3, 3));
}

static void
test_compare_across_wrap(void **state)
{
	(void)state;
	/* 0xfffffff0 is 32 before 0x10 modulo 2^32 */
	assert_true(pe_seq_lt(0xfffffff0u, 0x10u));
	assert_true(pe_seq_gt(0x10u, 0xfffffff0u));
	assert_false(pe_seq_lt(0x10u, 0xfffffff0u));
	assert_true(pe_seq_leq(0xffffffffu, 0u));
	/* just under half the space apart still orders correctly */
	assert_true(pe_seq_lt(0u, 0x7fffffffu));
	assert_true(pe_seq_gt(0u, 0x80000001u));
}

static void
test_in_window_across_wrap(void **state)
{
	(void)state;
	assert_true(pe_seq_in(0xfffffffeu, 0xfffffff0u, 0x10u));
	assert_true(pe_seq_in(0x5u, 0xfffffff0u, 0x10u));
	assert_true(pe_seq_in(0xfffffff0u, 0xfffffff0u, 0x10u));
	assert_false(pe_seq_in(0x10u, 0xfffffff0u, 0x10u));
	assert_false(pe_seq_in(0xffffffefu, 0xfffffff0u, 0x10u));
}

static void
test_translation_round_trip(void **state)
{
	/* client ISN near the top, backend ISN near the bottom: every number wraps */
	const uint32_t isn_a = 0xfffffff0u, isn_b = 0x00000100u;
	uint32_t d = pe_seq_delta(isn_a, isn_b), n;

	(void)state;
	assert_int_equal(pe_seq_to(isn_a, d), isn_b);
	assert_int_equal(pe_seq_to(isn_a + 1, d), isn_b + 1);
	/* 100 bytes after the ISN in space A is 100 bytes after it in space B */
	assert_int_equal(pe_seq_to(isn_a + 100, d), isn_b + 100);
	for (n = isn_a - 1000; n != isn_a + 70000; n += 997)
		assert_int_equal(pe_seq_from(pe_seq_to(n, d), d), n);
	/* order is preserved by translation */
	assert_true(pe_seq_lt(pe_seq_to(isn_a + 5, d), pe_seq_to(isn_a + 20, d)));
}

static void
test_translation_identity(void **state)
{
	(void)state;
	assert_int_equal(pe_seq_delta(1234, 1234), 0);
	assert_int_equal(pe_seq_to(42, 0), 42);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare_plain),
		cmocka_unit_test(test_compare_across_wrap),
		cmocka_unit_test(test_in_window_across_wrap),
		cmocka_unit_test(test_translation_round_trip),
		cmocka_unit_test(test_translation_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
