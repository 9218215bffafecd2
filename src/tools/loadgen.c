/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: the load generator of issue 7 is being written (src/tools/loadgen.c). */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "pe_loadgen: not built yet\n");
	return 1;
}
