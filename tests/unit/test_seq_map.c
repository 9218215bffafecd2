/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence mapping across length-changing edits: exact outside edits,
 * conservative inside, monotonic, across the 2^32 wrap, retiring and
 * merging when the edit table is full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proxy/seq_map.h"
#include "tcp/tcp_seq.h"

static void
test_no_edits(void **state)
{
	struct pe_seq_map m;

	(void)state;
	pe_seq_map_init(&m, 1000);
	assert_int_equal(pe_seq_map_to_out(&m, 5, false), 1005);
	assert_int_equal(pe_seq_map_to_in(&m, 1005), 5);
	/* equal-length edits (a same-size rewrite) need no entry */
	pe_seq_map_add(&m, 5, 15, 1005, 1015);
	assert_int_equal(m.n, 0);
}

/* input 100..110 became 10 bytes more (a longer DN), then 200..250 was dropped */
static void
test_grow_and_drop(void **state)
{
	struct pe_seq_map m;
	uint32_t out;

	(void)state;
	pe_seq_map_init(&m, 0);
	pe_seq_map_add(&m, 100, 110, 100, 120);
	assert_int_equal(m.delta, 10);
	pe_seq_map_add(&m, 200, 250, 210, 210);
	assert_int_equal(m.delta, -40u);

	assert_int_equal(pe_seq_map_to_out(&m, 50, false), 50);
	assert_int_equal(pe_seq_map_to_out(&m, 100, false), 100);
	assert_int_equal(pe_seq_map_to_out(&m, 105, false), 100);
	assert_int_equal(pe_seq_map_to_out(&m, 105, true), 120);
	assert_int_equal(pe_seq_map_to_out(&m, 110, false), 120);
	assert_int_equal(pe_seq_map_to_out(&m, 150, false), 160);
	assert_int_equal(pe_seq_map_to_out(&m, 230, false), 210);
	assert_int_equal(pe_seq_map_to_out(&m, 250, false), 210);
	assert_int_equal(pe_seq_map_to_out(&m, 300, false), 260);

	/* acknowledgments: inside the grown edit at most in_b - 1 until all output is in */
	assert_int_equal(pe_seq_map_to_in(&m, 100), 100);
	assert_int_equal(pe_seq_map_to_in(&m, 105), 105);
	assert_int_equal(pe_seq_map_to_in(&m, 119), 109);
	assert_int_equal(pe_seq_map_to_in(&m, 120), 110);
	assert_int_equal(pe_seq_map_to_in(&m, 160), 150);
	/* the dropped message counts as delivered once what follows it is */
	assert_int_equal(pe_seq_map_to_in(&m, 210), 250);
	assert_int_equal(pe_seq_map_to_in(&m, 260), 300);

	/* monotonic everywhere */
	for (out = 0; out < 400; out++)
		assert_true(pe_seq_leq(pe_seq_map_to_in(&m, out), pe_seq_map_to_in(&m, out + 1)));
}

/* a shrinking edit: acknowledgments inside stay linear and below in_b */
static void
test_shrink(void **state)
{
	struct pe_seq_map m;

	(void)state;
	pe_seq_map_init(&m, 0);
	pe_seq_map_add(&m, 0, 20, 0, 15);
	assert_int_equal(pe_seq_map_to_in(&m, 10), 10);
	assert_int_equal(pe_seq_map_to_in(&m, 14), 14);
	assert_int_equal(pe_seq_map_to_in(&m, 15), 20);
}

/* an insertion (no input replaced) maps its output to the point it was inserted at */
static void
test_insert(void **state)
{
	struct pe_seq_map m;

	(void)state;
	pe_seq_map_init(&m, 0);
	pe_seq_map_add(&m, 10, 10, 10, 30);
	assert_int_equal(pe_seq_map_to_in(&m, 20), 10);
	assert_int_equal(pe_seq_map_to_in(&m, 30), 10);
	assert_int_equal(pe_seq_map_to_in(&m, 31), 11);
	assert_int_equal(pe_seq_map_to_out(&m, 11, false), 31);
}

static void
test_wrap(void **state)
{
	struct pe_seq_map m;
	uint32_t base = 0xfffffff0u, d = 0x12345678u;

	(void)state;
	pe_seq_map_init(&m, d);
	pe_seq_map_add(&m, base, base + 0x20, base + d, base + d + 0x10);
	assert_int_equal(pe_seq_map_to_out(&m, base + 0x30, false), base + d + 0x20);
	assert_int_equal(pe_seq_map_to_in(&m, base + d + 0x20), base + 0x30);
	assert_int_equal(pe_seq_map_to_in(&m, base + d + 0x8), base + 0x8);
	assert_int_equal(pe_seq_map_to_out(&m, base - 5, false), base + d - 5);
}

static void
test_retire(void **state)
{
	struct pe_seq_map m;

	(void)state;
	pe_seq_map_init(&m, 0);
	pe_seq_map_add(&m, 10, 20, 10, 25);
	pe_seq_map_add(&m, 30, 40, 35, 35);
	pe_seq_map_retire(&m, 24);
	assert_int_equal(m.n, 2);
	pe_seq_map_retire(&m, 25);
	assert_int_equal(m.n, 1);
	/* still exact after retiring the older edit */
	assert_int_equal(pe_seq_map_to_in(&m, 30), 25);
	assert_int_equal(pe_seq_map_to_in(&m, 40), 45);
	pe_seq_map_retire(&m, 35);
	assert_int_equal(m.n, 0);
	assert_int_equal(pe_seq_map_to_in(&m, 40), 45);
	assert_int_equal(pe_seq_map_to_out(&m, 45, false), 40);
}

/* more edits than the table holds: merged into the newest, still monotonic and exact after */
static void
test_full_merges(void **state)
{
	struct pe_seq_map m;
	uint32_t i, out, in = 0, o = 0;

	(void)state;
	pe_seq_map_init(&m, 0);
	for (i = 0; i < 3 * PE_SEQ_MAP_EDITS; i++) {
		/* 100-byte messages, each rewritten one byte longer, 10 bytes apart */
		pe_seq_map_add(&m, in, in + 100, o, o + 101);
		in += 110;
		o += 111;
	}
	assert_int_equal(m.n, PE_SEQ_MAP_EDITS);
	assert_int_equal(pe_seq_map_to_in(&m, o), in);
	assert_int_equal(pe_seq_map_to_out(&m, in, false), o);
	for (out = 0; out < o; out++) {
		uint32_t a = pe_seq_map_to_in(&m, out);

		assert_true(pe_seq_leq(a, pe_seq_map_to_in(&m, out + 1)));
		/* never more input than the output acknowledged, byte for byte */
		assert_true(pe_seq_leq(a, out));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_edits),
		cmocka_unit_test(test_grow_and_drop),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_retire),
		cmocka_unit_test(test_full_merges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
