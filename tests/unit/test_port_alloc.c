/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "conn/port_alloc.h"

static void
test_bad_range(void **state)
{
	(void)state;
	assert_null(pe_port_alloc_create(2000, 1000));
	assert_int_equal(errno, EINVAL);
	assert_null(pe_port_alloc_create(0, 10));
}

static void
test_exhaust_and_fifo(void **state)
{
	struct pe_port_alloc *pa = pe_port_alloc_create(1000, 1002);

	(void)state;
	assert_non_null(pa);
	assert_int_equal(pe_port_alloc_get(pa), 1000);
	assert_int_equal(pe_port_alloc_get(pa), 1001);
	assert_int_equal(pe_port_alloc_get(pa), 1002);
	assert_int_equal(pe_port_alloc_get(pa), -ENOSPC);
	/* a released port is reused only after the ones released before it */
	pe_port_alloc_put(pa, 1001);
	pe_port_alloc_put(pa, 1000);
	assert_int_equal(pe_port_alloc_free_count(pa), 2);
	assert_int_equal(pe_port_alloc_get(pa), 1001);
	assert_int_equal(pe_port_alloc_get(pa), 1000);
	pe_port_alloc_destroy(pa);
}

static void
test_put_does_not_overflow(void **state)
{
	struct pe_port_alloc *pa = pe_port_alloc_create(5000, 5000);

	(void)state;
	pe_port_alloc_put(pa, 5000); /* already free: ignored */
	assert_int_equal(pe_port_alloc_free_count(pa), 1);
	assert_int_equal(pe_port_alloc_get(pa), 5000);
	assert_int_equal(pe_port_alloc_get(pa), -ENOSPC);
	pe_port_alloc_destroy(pa);
}

static void
test_full_range(void **state)
{
	struct pe_port_alloc *pa = pe_port_alloc_create(1024, 65535);
	uint32_t n = 0;

	(void)state;
	while (pe_port_alloc_get(pa) > 0)
		n++;
	assert_int_equal(n, 65535 - 1024 + 1);
	pe_port_alloc_destroy(pa);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_range),
		cmocka_unit_test(test_exhaust_and_fifo),
		cmocka_unit_test(test_put_does_not_overflow),
		cmocka_unit_test(test_full_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
