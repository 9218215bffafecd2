/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The example inspector: a line protocol (SMTP, Redis inline commands,
 * memcached text: every message is one line ending in "\n"). It shows each
 * part of the API in a few lines, as a model for a real one:
 *
 *   framing    a message ends at the first "\n" (frame)
 *   SELECT     the first word of the client's first line names a pool
 *   REFUSE     a client line starting with "DENY" gets "-ERR denied\r\n" and
 *              the connection closes
 *   RESET      a line holding a NUL byte resets the connection
 *   REWRITE    in server lines every "secret" becomes "[redacted]" (longer:
 *              the engine moves every later sequence number); a line with
 *              more than PE_INSPECT_MAX_EDITS of them is reset rather than
 *              let through half redacted
 *   PASS       everything else
 *
 * config:  inspect: { protocol = "lines"; };  plus pools named by first words.
 */
#include <errno.h>
#include <string.h>

#include "core/config_types.h"
#include "inspect/inspect.h"

enum { RULE_POOL, RULE_DENY, RULE_NUL, RULE_REDACT, RULE_TOO_MANY, RULE_PASS, RULE_COUNT };

static const char *const rule_names[RULE_COUNT] = {
	[RULE_POOL] = "pool",
	[RULE_DENY] = "deny",
	[RULE_NUL] = "nul",
	[RULE_REDACT] = "redact",
	[RULE_TOO_MANY] = "too_many_secrets",
	[RULE_PASS] = "pass",
};

static const struct pe_config *lines_cfg;

static int
lines_init(const struct pe_config *cfg, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	lines_cfg = cfg;
	return 0;
}

static bool
lines_inspects(enum pe_side from)
{
	(void)from;
	return true;
}

static enum pe_verdict
lines_frame(const uint8_t *p, size_t n, size_t *len, uint16_t *rule)
{
	const uint8_t *nl = memchr(p, '\n', n);

	(void)rule;
	if (nl == NULL)
		return PE_VERDICT_AGAIN;
	*len = (size_t)(nl - p) + 1;
	return PE_VERDICT_PASS;
}

/* The pool named by the first word of @m's line, or -1. */
static int
first_word_pool(const struct pe_inspect_msg *m)
{
	size_t w = 0;
	unsigned int i;

	while (w < m->len && m->data[w] != ' ' && m->data[w] != '\r' && m->data[w] != '\n')
		w++;
	for (i = 0; i < lines_cfg->n_pools; i++)
		if (strlen(lines_cfg->pools[i].name) == w &&
				memcmp(lines_cfg->pools[i].name, m->data, w) == 0)
			return (int)i;
	return -1;
}

static void
lines_inspect(const struct pe_inspect_msg *m, struct pe_inspect_result *r)
{
	static const uint8_t denied[] = "-ERR denied\r\n";
	static const uint8_t redacted[] = "[redacted]";
	static const char secret[] = "secret";
	uint32_t i;

	r->rule = RULE_PASS;
	if (memchr(m->data, '\0', m->len) != NULL) {
		r->verdict = PE_VERDICT_RESET;
		r->rule = RULE_NUL;
		return;
	}
	if (m->from == PE_SIDE_CLIENT) {
		if (m->len >= 4 && memcmp(m->data, "DENY", 4) == 0) {
			r->verdict = PE_VERDICT_REFUSE;
			r->reply = denied;
			r->reply_len = sizeof(denied) - 1;
			r->rule = RULE_DENY;
			return;
		}
		if (!m->bound && (r->pool = first_word_pool(m)) >= 0)
			r->rule = RULE_POOL;
		r->verdict = PE_VERDICT_PASS;
		return;
	}
	r->verdict = PE_VERDICT_PASS;
	for (i = 0; i + sizeof(secret) - 1 <= m->len; i++) {
		if (memcmp(m->data + i, secret, sizeof(secret) - 1) != 0)
			continue;
		if (r->n_edits == PE_INSPECT_MAX_EDITS) {
			r->verdict = PE_VERDICT_RESET;
			r->rule = RULE_TOO_MANY;
			return;
		}
		r->edits[r->n_edits++] = (struct pe_inspect_edit){
			.off = i, .del = sizeof(secret) - 1,
			.ins = redacted, .ins_len = sizeof(redacted) - 1,
		};
		i += sizeof(secret) - 2;
	}
	if (r->n_edits != 0) {
		r->verdict = PE_VERDICT_REWRITE;
		r->rule = RULE_REDACT;
	}
}

static unsigned int
lines_n_rules(void)
{
	return RULE_COUNT;
}

static const char *
lines_rule_name(unsigned int rule)
{
	return rule < RULE_COUNT ? rule_names[rule] : "?";
}

const struct pe_inspector pe_inspector_lines = {
	.name = "lines",
	.conn_state_size = 0,
	.init = lines_init,
	.inspects = lines_inspects,
	.frame = lines_frame,
	.inspect = lines_inspect,
	.n_rules = lines_n_rules,
	.rule_name = lines_rule_name,
};
