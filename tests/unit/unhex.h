/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_TEST_UNHEX_H
#define PE_TEST_UNHEX_H

/* Test vectors are hex strings: decode one into @out (at most @cap bytes). Include after cmocka.h. */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2, i;
	unsigned int b;

	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

#endif /* PE_TEST_UNHEX_H */
