/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The timer heap against a reference model: timers fire in deadline order,
 * exactly once, stops and re-arms in any order (10^5 random operations).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "core/timerheap.h"

#define N 257

static struct pe_tmr tm[N];
static struct pe_theap_slot slots[N];

static void
test_order_and_stop(void **state)
{
	struct pe_theap q;
	struct pe_tmr *t;
	uint64_t last = 0;
	unsigned int i, fired = 0;

	(void)state;
	pe_theap_init(&q, slots, N);
	for (i = 0; i < N; i++) {
		tm[i] = (struct pe_tmr){ 0 };
		assert_int_equal(pe_tmr_arm(&q, &tm[i], (i * 7919u) % 1000), 0);
	}
	assert_int_equal(pe_tmr_arm(&q, &(struct pe_tmr){ 0 }, 1), -ENOSPC);
	/* stop every third; move every fifth later */
	for (i = 0; i < N; i += 3)
		pe_tmr_stop(&q, &tm[i]);
	for (i = 1; i < N; i += 5)
		if (pe_tmr_armed(&tm[i]))
			pe_tmr_arm(&q, &tm[i], tm[i].due + 2000);
	/* only tm[0] was due at 0, and it is stopped */
	assert_null(pe_theap_pop_due(&q, 0));
	while ((t = pe_theap_pop_due(&q, UINT64_MAX)) != NULL) {
		assert_false(pe_tmr_armed(t));
		assert_true(t->due >= last);
		assert_int_not_equal((t - tm) % 3, 0);
		last = t->due;
		fired++;
	}
	assert_int_equal(fired, N - (N + 2) / 3);
	assert_int_equal(pe_theap_count(&q), 0);
}

static void
test_due_boundary(void **state)
{
	struct pe_theap q;

	(void)state;
	pe_theap_init(&q, slots, N);
	tm[0] = (struct pe_tmr){ 0 };
	pe_tmr_arm(&q, &tm[0], 100);
	assert_null(pe_theap_pop_due(&q, 99));
	assert_ptr_equal(pe_theap_pop_due(&q, 100), &tm[0]);
	assert_null(pe_theap_pop_due(&q, 1000));
	/* stopping a timer that is not armed changes nothing */
	pe_tmr_stop(&q, &tm[0]);
	assert_int_equal(pe_theap_count(&q), 0);
}

/* random arm/re-arm/stop/pop against a brute-force model of the earliest due */
static void
test_random_against_model(void **state)
{
	struct pe_theap q;
	unsigned int op;
	uint64_t now = 0;

	(void)state;
	srand(7);
	pe_theap_init(&q, slots, N);
	for (op = 0; op < N; op++)
		tm[op] = (struct pe_tmr){ 0 };
	for (op = 0; op < 100000; op++) {
		unsigned int i = (unsigned int)rand() % N, k, best = N;
		struct pe_tmr *t;

		switch (rand() % 4) {
		case 0:
		case 1:
			pe_tmr_arm(&q, &tm[i], now + (uint64_t)(rand() % 500));
			break;
		case 2:
			pe_tmr_stop(&q, &tm[i]);
			break;
		default:
			now += (uint64_t)(rand() % 50);
			for (k = 0; k < N; k++)
				if (pe_tmr_armed(&tm[k]) && tm[k].due <= now &&
						(best == N || tm[k].due < tm[best].due))
					best = k;
			t = pe_theap_pop_due(&q, now);
			if (best == N) {
				assert_null(t);
			} else {
				assert_non_null(t);
				assert_true(t->due == tm[best].due);
			}
			break;
		}
		/* heap order holds everywhere */
		for (k = 1; k < q.n; k++)
			assert_true(q.h[(k - 1) / 2].due <= q.h[k].due);
		/* each slot knows its timer, the timer its slot, and both the same due */
		for (k = 0; k < q.n; k++) {
			assert_int_equal(q.h[k].t->pos, k + 1);
			assert_true(q.h[k].t->due == q.h[k].due);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_stop),
		cmocka_unit_test(test_due_boundary),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
