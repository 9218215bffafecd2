/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS: the Toeplitz hash against the published verification vectors, and
 * the engine's source port choice: for the key and RETA in use, the hash of
 * the backend's reply tuple must index the queue of the worker that owns
 * the connection (the return path needs no locks only if this holds).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <cmocka.h>

#include "conn/port_alloc.h"
#include "net/rss.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct pe_rss *
rss_new(const uint16_t *reta, uint16_t reta_size, uint16_t nq)
{
	struct pe_rss *r = malloc(sizeof(*r));

	assert_non_null(r);
	assert_int_equal(pe_rss_init(r, pe_rss_default_key, reta, reta_size, nq), 0);
	return r;
}

/*
 * Microsoft's "Verifying the RSS Hash Calculation", IPv4 with TCP ports:
 * source address and port, destination address and port, expected hash.
 */
static void
test_verification_vectors(void **state)
{
	static const struct {
		uint32_t src, dst;
		uint16_t sport, dport;
		uint32_t hash;
	} v[] = {
		{ IP4(66, 9, 149, 187), IP4(161, 142, 100, 80), 2794, 1766, 0x51ccc178 },
		{ IP4(199, 92, 111, 2), IP4(65, 69, 140, 83), 14230, 4739, 0xc626b0ea },
		{ IP4(24, 19, 198, 95), IP4(12, 22, 207, 184), 12898, 38024, 0x5c2b394a },
		{ IP4(38, 27, 205, 30), IP4(209, 142, 163, 6), 48228, 2217, 0xafc7327f },
		{ IP4(153, 39, 163, 191), IP4(202, 188, 127, 2), 44251, 1303, 0x10e828a2 },
	};
	struct pe_rss *r = rss_new(NULL, 128, 1);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(pe_rss_hash_v4(r, v[i].src, v[i].dst, v[i].sport, v[i].dport),
				v[i].hash);
	free(r);
}

static void
test_bad_setup(void **state)
{
	static const uint16_t reta[4] = { 0, 1, 2, 1 };
	struct pe_rss *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(pe_rss_init(r, pe_rss_default_key, NULL, 100, 2), -EINVAL);
	assert_int_equal(pe_rss_init(r, pe_rss_default_key, NULL, 1024, 2), -EINVAL);
	assert_int_equal(pe_rss_init(r, pe_rss_default_key, NULL, 128, 0), -EINVAL);
	assert_int_equal(pe_rss_init(r, pe_rss_default_key, reta, 4, 2), -EINVAL);
	assert_int_equal(pe_rss_init(r, pe_rss_default_key, reta, 4, 3), 0);
	free(r);
}

/*
 * For every port, the shortcut (per-backend base ^ per-port bits) gives the
 * queue the full hash of the reply tuple gives: default RETAs of 2, 3, 4 and
 * 8 queues and an irregular one, several backends and source addresses.
 */
static void
test_reply_queue_is_the_hash_queue(void **state)
{
	static const uint16_t odd_reta[8] = { 3, 0, 0, 2, 1, 3, 2, 0 };
	static const struct {
		uint32_t backend, source;
		uint16_t bport;
	} t[] = {
		{ IP4(198, 18, 0, 11), IP4(198, 18, 0, 2), 389 },
		{ IP4(198, 18, 0, 12), IP4(198, 18, 0, 2), 389 },
		{ IP4(198, 19, 255, 254), IP4(198, 18, 0, 1), 3268 },
		{ IP4(10, 0, 0, 1), IP4(172, 16, 5, 4), 65535 },
	};
	static const struct {
		const uint16_t *reta;
		uint16_t size, nq;
	} setups[] = {
		{ NULL, 128, 2 }, { NULL, 128, 3 }, { NULL, 512, 4 }, { NULL, 64, 8 }, { odd_reta, 8, 4 },
	};
	size_t s, i;
	uint32_t p;

	(void)state;
	for (s = 0; s < sizeof(setups) / sizeof(setups[0]); s++) {
		struct pe_rss *r = rss_new(setups[s].reta, setups[s].size, setups[s].nq);

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			uint32_t base = pe_rss_reply_base(r, t[i].backend, t[i].source, t[i].bport);

			for (p = 0; p <= UINT16_MAX; p++) {
				uint32_t h = pe_rss_hash_v4(r, t[i].backend, t[i].source, t[i].bport,
						(uint16_t)p);

				if (pe_rss_reply_queue(r, base, (uint16_t)p) != pe_rss_queue(r, h))
					fail_msg("setup %zu tuple %zu port %u", s, i, p);
			}
		}
		free(r);
	}
}

/*
 * Each of two workers takes ports from its own allocator over the same range;
 * every port a worker gets has the backend's replies on its own queue, no
 * port is handed out twice, and together they use up the range.
 */
static void
test_alloc_per_queue(void **state)
{
	static uint8_t used[65536];
	struct pe_rss *r = rss_new(NULL, 128, 2);
	uint32_t base = pe_rss_reply_base(r, IP4(198, 18, 0, 11), IP4(198, 18, 0, 2), 389);
	uint32_t total = 0;
	uint16_t q;
	int port;

	(void)state;
	for (q = 0; q < 2; q++) {
		struct pe_port_alloc *pa = pe_port_alloc_create(20000, 21023);

		assert_non_null(pa);
		while ((port = pe_port_alloc_get_rss(pa, r, base, q)) >= 0) {
			uint32_t h = pe_rss_hash_v4(r, IP4(198, 18, 0, 11), IP4(198, 18, 0, 2), 389,
					(uint16_t)port);

			assert_int_equal(pe_rss_queue(r, h), q);
			assert_int_equal(used[port], 0);
			used[port] = 1;
			total++;
		}
		assert_int_equal(port, -ENOSPC);
		pe_port_alloc_destroy(pa);
	}
	/* a port fits exactly one queue: the two shares cover the range */
	assert_int_equal(total, 1024);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verification_vectors),
		cmocka_unit_test(test_bad_setup),
		cmocka_unit_test(test_reply_queue_is_the_hash_queue),
		cmocka_unit_test(test_alloc_per_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
