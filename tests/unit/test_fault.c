/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault-injection decision core (io/fault_model.c): the generator against
 * published outputs, determinism per seed and stream, rates over 10^6 draws,
 * the edges 0 % and 100 %, exclusivity of the outcomes and the hold times.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "io/fault_model.h"

#define DRAWS 1000000u

/* Counts of each outcome over @n decisions. */
struct tally {
	uint32_t n[4];   /* by enum pe_fault_action */
};

static void
run(struct pe_fault_rng *r, const struct pe_fault_dir *d, uint32_t n, struct tally *t)
{
	uint32_t i, hold;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++)
		t->n[pe_fault_decide(r, d, &hold)]++;
}

/* |got - want| <= tol */
static void
assert_near(uint32_t got, uint32_t want, uint32_t tol)
{
	assert_in_range(got, want > tol ? want - tol : 0, want + tol);
}

/*
 * xoshiro256** from state {1, 2, 3, 4}: the first two outputs worked by hand
 * from the reference code (rotl(2 * 5, 7) * 9 = 11520, then s[1] = 0), the
 * next from rand_xoshiro's test vectors.
 */
static void
test_xoshiro_reference(void **state)
{
	struct pe_fault_rng r = { .s = { 1, 2, 3, 4 } };

	(void)state;
	assert_true(pe_fault_rng_next(&r) == 11520ull);
	assert_true(pe_fault_rng_next(&r) == 0ull);
	assert_true(pe_fault_rng_next(&r) == 1509978240ull);
	assert_true(pe_fault_rng_next(&r) == 1215971899390074240ull);
}

/* splitmix64 from 1234567 (seed ^ 0 for stream 0): the published first outputs. */
static void
test_splitmix_seeding(void **state)
{
	struct pe_fault_rng r;

	(void)state;
	pe_fault_rng_init(&r, 1234567, 0);
	assert_true(r.s[0] == 6457827717110365317ull);
	assert_true(r.s[1] == 3203168211198807973ull);
	assert_true(r.s[2] == 9817491932198370423ull);
	assert_true(r.s[3] == 4593380528125082431ull);
}

static void
test_same_seed_same_decisions(void **state)
{
	const struct pe_fault_dir d = {
		.loss_ppm = 100000, .duplicate_ppm = 100000, .reorder_ppm = 100000,
		.reorder_us = 1000, .delay_us = 7,
	};
	struct pe_fault_rng a, b;
	uint32_t i, ha, hb;

	(void)state;
	pe_fault_rng_init(&a, 42, 1);
	pe_fault_rng_init(&b, 42, 1);
	for (i = 0; i < DRAWS; i++) {
		assert_int_equal(pe_fault_decide(&a, &d, &ha), pe_fault_decide(&b, &d, &hb));
		assert_int_equal(ha, hb);
	}
}

/* Number of the first 1000 decisions on which two generators disagree. */
static uint32_t
disagreements(struct pe_fault_rng *a, struct pe_fault_rng *b)
{
	const struct pe_fault_dir d = { .loss_ppm = 500000 };
	uint32_t i, h, n = 0;

	for (i = 0; i < 1000; i++)
		n += pe_fault_decide(a, &d, &h) != pe_fault_decide(b, &d, &h);
	return n;
}

static void
test_seeds_and_streams_differ(void **state)
{
	struct pe_fault_rng a, b;

	(void)state;
	/* independent 50 % coins disagree about half the time */
	pe_fault_rng_init(&a, 1, 0);
	pe_fault_rng_init(&b, 2, 0);
	assert_in_range(disagreements(&a, &b), 400, 600);
	pe_fault_rng_init(&a, 1, 0);
	pe_fault_rng_init(&b, 1, 1);
	assert_in_range(disagreements(&a, &b), 400, 600);
	pe_fault_rng_init(&a, 0, 0);
	pe_fault_rng_init(&b, 0, 2);
	assert_in_range(disagreements(&a, &b), 400, 600);
}

/*
 * 5 % loss, 1 % duplicate, 5 % reorder over 10^6 draws: each within 0.1
 * percentage point (about 4.5 standard deviations for 5 %), for several seeds.
 */
static void
test_rates(void **state)
{
	const struct pe_fault_dir d = {
		.loss_ppm = 50000, .duplicate_ppm = 10000, .reorder_ppm = 50000,
		.reorder_us = 1000,
	};
	static const uint64_t seeds[] = { 1, 2, 12345678901234567ull, 0 };
	struct pe_fault_rng r;
	struct tally t;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		pe_fault_rng_init(&r, seeds[i], 0);
		run(&r, &d, DRAWS, &t);
		assert_near(t.n[PE_FAULT_LOSE], 50000, 1000);
		assert_near(t.n[PE_FAULT_DUPLICATE], 10000, 1000);
		assert_near(t.n[PE_FAULT_REORDER], 50000, 1000);
		assert_int_equal(t.n[PE_FAULT_PASS] + t.n[PE_FAULT_LOSE] +
				t.n[PE_FAULT_DUPLICATE] + t.n[PE_FAULT_REORDER], DRAWS);
	}
}

/* The draw itself covers [0, 10^6) evenly: ten deciles within 1 %. */
static void
test_draw_uniform(void **state)
{
	uint32_t decile[10] = { 0 }, i, x;
	struct pe_fault_rng r;

	(void)state;
	pe_fault_rng_init(&r, 1, 0);
	for (i = 0; i < DRAWS; i++) {
		x = pe_fault_draw_ppm(&r);
		assert_true(x < PE_FAULT_PPM);
		decile[x / (PE_FAULT_PPM / 10)]++;
	}
	for (i = 0; i < 10; i++)
		assert_near(decile[i], DRAWS / 10, 1000);
}

static void
test_zero_never_faults(void **state)
{
	const struct pe_fault_dir d = { .reorder_us = 1000 };
	struct pe_fault_rng r;
	uint32_t i, hold;

	(void)state;
	pe_fault_rng_init(&r, 1, 0);
	for (i = 0; i < DRAWS; i++) {
		assert_int_equal(pe_fault_decide(&r, &d, &hold), PE_FAULT_PASS);
		assert_int_equal(hold, 0);
	}
}

static void
test_hundred_percent(void **state)
{
	const struct pe_fault_dir lose = { .loss_ppm = PE_FAULT_PPM, .delay_us = 5 };
	const struct pe_fault_dir dup = { .duplicate_ppm = PE_FAULT_PPM };
	const struct pe_fault_dir reorder = { .reorder_ppm = PE_FAULT_PPM, .reorder_us = 1 };
	struct pe_fault_rng r;
	struct tally t;

	(void)state;
	pe_fault_rng_init(&r, 1, 0);
	run(&r, &lose, DRAWS, &t);
	assert_int_equal(t.n[PE_FAULT_LOSE], DRAWS);
	run(&r, &dup, DRAWS, &t);
	assert_int_equal(t.n[PE_FAULT_DUPLICATE], DRAWS);
	run(&r, &reorder, DRAWS, &t);
	assert_int_equal(t.n[PE_FAULT_REORDER], DRAWS);
}

/*
 * One draw decides: loss takes its slice first, then duplicate, then reorder.
 * With 50 % + 50 % nothing is left for reorder or pass; with 30 % of each of
 * the three a frame is never both lost and duplicated or reordered.
 */
static void
test_exclusive(void **state)
{
	const struct pe_fault_dir half = {
		.loss_ppm = 500000, .duplicate_ppm = 500000, .reorder_ppm = 0,
	};
	const struct pe_fault_dir thirds = {
		.loss_ppm = 300000, .duplicate_ppm = 300000, .reorder_ppm = 300000,
		.reorder_us = 1000,
	};
	struct pe_fault_rng r;
	struct tally t;

	(void)state;
	pe_fault_rng_init(&r, 7, 0);
	run(&r, &half, DRAWS, &t);
	assert_int_equal(t.n[PE_FAULT_REORDER], 0);
	assert_int_equal(t.n[PE_FAULT_PASS], 0);
	assert_int_equal(t.n[PE_FAULT_LOSE] + t.n[PE_FAULT_DUPLICATE], DRAWS);
	assert_near(t.n[PE_FAULT_LOSE], 500000, 2000);

	run(&r, &thirds, DRAWS, &t);
	assert_near(t.n[PE_FAULT_LOSE], 300000, 2000);
	assert_near(t.n[PE_FAULT_DUPLICATE], 300000, 2000);
	assert_near(t.n[PE_FAULT_REORDER], 300000, 2000);
	assert_near(t.n[PE_FAULT_PASS], 100000, 2000);
}

/* hold_us: 0 when lost, delay_us otherwise, plus reorder_us when reordered. */
static void
test_hold(void **state)
{
	const struct pe_fault_dir d = {
		.loss_ppm = 250000, .duplicate_ppm = 250000, .reorder_ppm = 250000,
		.reorder_us = 2000, .delay_us = 300,
	};
	struct pe_fault_rng r;
	uint32_t i, hold;

	(void)state;
	pe_fault_rng_init(&r, 3, 1);
	for (i = 0; i < 100000; i++) {
		switch (pe_fault_decide(&r, &d, &hold)) {
		case PE_FAULT_LOSE:
			assert_int_equal(hold, 0);
			break;
		case PE_FAULT_REORDER:
			assert_int_equal(hold, 2300);
			break;
		case PE_FAULT_PASS:
		case PE_FAULT_DUPLICATE:
			assert_int_equal(hold, 300);
			break;
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xoshiro_reference),
		cmocka_unit_test(test_splitmix_seeding),
		cmocka_unit_test(test_same_seed_same_decisions),
		cmocka_unit_test(test_seeds_and_streams_differ),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_draw_uniform),
		cmocka_unit_test(test_zero_never_faults),
		cmocka_unit_test(test_hundred_percent),
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
