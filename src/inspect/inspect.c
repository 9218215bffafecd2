/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "inspect/inspect.h"

/* Every inspector; inspect.protocol names one of them. */
static const struct pe_inspector *const inspectors[] = {
	&pe_inspector_ldap,
	&pe_inspector_lines,
};

const struct pe_inspector *
pe_inspector_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(inspectors) / sizeof(inspectors[0]); i++)
		if (strcmp(inspectors[i]->name, name) == 0)
			return inspectors[i];
	return NULL;
}

const char *
pe_verdict_str(enum pe_verdict v)
{
	static const char *const names[PE_VERDICT_MAX] = {
		[PE_VERDICT_AGAIN] = "again",
		[PE_VERDICT_PASS] = "pass",
		[PE_VERDICT_DROP] = "drop",
		[PE_VERDICT_RESET] = "reset",
		[PE_VERDICT_REWRITE] = "rewrite",
		[PE_VERDICT_REFUSE] = "refuse",
		[PE_VERDICT_PASSTHROUGH] = "passthrough",
	};

	return (unsigned int)v < PE_VERDICT_MAX ? names[v] : "?";
}

long
pe_inspect_apply(const uint8_t *in, uint32_t len, const struct pe_inspect_result *r,
		uint8_t *out, size_t cap)
{
	uint32_t pos = 0;
	size_t n = 0;
	unsigned int i;

	if (r->n_edits > PE_INSPECT_MAX_EDITS)
		return -EINVAL;
	for (i = 0; i < r->n_edits; i++) {
		const struct pe_inspect_edit *e = &r->edits[i];

		if (e->off < pos || e->off > len || e->del > len - e->off ||
				(e->ins_len != 0 && e->ins == NULL))
			return -EINVAL;
		if (n + (e->off - pos) + e->ins_len > cap)
			return -ENOSPC;
		memcpy(out + n, in + pos, e->off - pos);
		n += e->off - pos;
		if (e->ins_len != 0)
			memmove(out + n, e->ins, e->ins_len);
		n += e->ins_len;
		pos = e->off + e->del;
	}
	if (n + (len - pos) > cap)
		return -ENOSPC;
	memcpy(out + n, in + pos, len - pos);
	return (long)(n + (len - pos));
}
