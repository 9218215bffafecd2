/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "proxy/lb.h"

/* Every policy; keep in step with the names config.c accepts for "selection". */
static const struct pe_lb_ops *const policies[] = {
	&pe_lb_rr_ops,
};

const struct pe_lb_ops *
pe_lb_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(policies[i]->name, name) == 0)
			return policies[i];
	return NULL;
}
