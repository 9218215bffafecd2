/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The LDAP inspector (RFC 4511): routing by bind DN or first operation,
 * a firewall (anonymous binds, an operation allow-list, malformed BER) and
 * DN suffix rewriting in both directions. Policy from the config's ldap { }
 * section (struct pe_ldap_conf); DPDK-free.
 *
 * Framing is the LDAPMessage's outer SEQUENCE length (pe_ldap_frame); each
 * complete message is decoded in full (pe_ldap_msg_parse), so a message the
 * decoder refuses never reaches a backend: the connection is reset.
 *
 * Routes are tried in order on the first message of a connection, before a
 * backend is chosen, and match what the client sent (the client-visible DN
 * when a rewrite is configured). Refusals answer the request with its own
 * response type, resultCode unwillingToPerform (53) and a diagnosticMessage,
 * then the engine closes the connection.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "core/config_types.h"
#include "inspect/inspect.h"
#include "proto/ber.h"
#include "proto/ldap_rewrite.h"

/*
 * Rules after the configured routes (rule i < n_routes is ldap.routes[i],
 * named "route_<i>": telemetry names allow only letters, digits, _ and /).
 */
enum {
	RULE_DEFAULT_POOL,
	RULE_REFUSE_ANONYMOUS,
	RULE_OP_NOT_ALLOWED,
	RULE_MALFORMED,
	RULE_STARTTLS,
	RULE_REWRITE,
	RULE_PASS,
	RULE_BUILTIN_COUNT
};

static const char *const builtin_names[RULE_BUILTIN_COUNT] = {
	[RULE_DEFAULT_POOL] = "default_pool",
	[RULE_REFUSE_ANONYMOUS] = "refuse_anonymous",
	[RULE_OP_NOT_ALLOWED] = "operation_not_allowed",
	[RULE_MALFORMED] = "malformed",
	[RULE_STARTTLS] = "starttls",
	[RULE_REWRITE] = "rewrite",
	[RULE_PASS] = "pass",
};

#define DN_REGEX_MAX 1024   /* longer bind DNs never match a regular expression */

static struct {
	const struct pe_ldap_conf *conf;
	struct pe_ldap_dn_map map;
	regex_t re[PE_MAX_ROUTES];
	char route_names[PE_MAX_ROUTES][16];
} ldap;

static uint16_t
rule_of(unsigned int builtin)
{
	return (uint16_t)(ldap.conf->n_routes + builtin);
}

static int
ldap_init(const struct pe_config *cfg, char *err, size_t errlen)
{
	unsigned int i;
	int rc;

	ldap.conf = &cfg->ldap;
	ldap.map = (struct pe_ldap_dn_map){
		.client = cfg->ldap.client_suffix, .client_len = strlen(cfg->ldap.client_suffix),
		.backend = cfg->ldap.backend_suffix, .backend_len = strlen(cfg->ldap.backend_suffix),
	};
	for (i = 0; i < cfg->ldap.n_routes; i++) {
		snprintf(ldap.route_names[i], sizeof(ldap.route_names[i]), "route_%u", i);
		if (cfg->ldap.routes[i].match != PE_ROUTE_BIND_DN_REGEX)
			continue;
		/* config.c compiled it once already: this fails only without memory */
		rc = regcomp(&ldap.re[i], cfg->ldap.routes[i].dn, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (rc != 0) {
			snprintf(err, errlen, "ldap.routes[%u].bind_dn_regex: regcomp failed (%d)", i, rc);
			return -ENOMEM;
		}
	}
	return 0;
}

static bool
ldap_inspects(enum pe_side from)
{
	/* responses are only looked at to rewrite them */
	return from == PE_SIDE_CLIENT || ldap.conf->rewrite;
}

static enum pe_verdict
ldap_frame(const uint8_t *p, size_t n, size_t *len, uint16_t *rule)
{
	switch (pe_ldap_frame(p, n, len, NULL)) {
	case 0:
		return PE_VERDICT_PASS;
	case -EAGAIN:
		return PE_VERDICT_AGAIN;
	default:
		*rule = rule_of(RULE_MALFORMED);
		return PE_VERDICT_RESET;
	}
}

static bool
route_matches(unsigned int i, const struct pe_ldap_msg *msg)
{
	const struct pe_route_conf *r = &ldap.conf->routes[i];
	const struct pe_ldap_bind *b = &msg->bind;
	char dn[DN_REGEX_MAX];
	size_t prefix;

	if (r->match == PE_ROUTE_OPERATIONS)
		return (r->ops & (UINT32_C(1) << msg->op.tag)) != 0;
	if (msg->op.tag != PE_LDAP_OP_BIND_REQ)
		return false;
	switch (r->match) {
	case PE_ROUTE_BIND_DN:
		return pe_ldap_dn_equal(b->name, b->name_len, r->dn, strlen(r->dn));
	case PE_ROUTE_BIND_DN_SUFFIX:
		return pe_ldap_dn_suffix(b->name, b->name_len, r->dn, strlen(r->dn), &prefix);
	case PE_ROUTE_BIND_DN_REGEX:
		if (b->name_len >= sizeof(dn) || memchr(b->name, '\0', b->name_len) != NULL)
			return false;
		memcpy(dn, b->name, b->name_len);
		dn[b->name_len] = '\0';
		return regexec(&ldap.re[i], dn, 0, NULL, 0) == 0;
	default:
		return false;
	}
}

/* The pool for a connection whose first message is @msg, and the rule that chose it. */
static void
route(const struct pe_ldap_msg *msg, struct pe_inspect_result *r)
{
	unsigned int i;

	for (i = 0; i < ldap.conf->n_routes; i++) {
		if (route_matches(i, msg)) {
			r->pool = ldap.conf->routes[i].pool;
			r->rule = (uint16_t)i;
			return;
		}
	}
	r->pool = ldap.conf->default_pool;
	r->rule = rule_of(RULE_DEFAULT_POOL);
}

/* Answer @msg with its response type, unwillingToPerform and @diag; close. */
static void
refuse(const struct pe_inspect_msg *m, const struct pe_ldap_msg *msg, const char *diag,
		unsigned int rule, struct pe_inspect_result *r)
{
	int resp = pe_ldap_response_op((enum pe_ldap_op)msg->op.tag);
	long n = 0;

	r->rule = rule_of(rule);
	r->verdict = PE_VERDICT_REFUSE;
	if (resp >= 0)
		n = pe_ldap_encode_result(m->scratch, m->scratch_len, msg->msg_id,
				(enum pe_ldap_op)resp, PE_LDAP_RC_UNWILLING_TO_PERFORM, "", diag);
	if (n > 0) {
		r->reply = m->scratch;
		r->reply_len = (uint32_t)n;
	}
}

/* DN rewrite of the message, if configured and anything matched. */
static void
rewrite(const struct pe_inspect_msg *m, const struct pe_ldap_msg *msg, struct pe_inspect_result *r)
{
	enum pe_ber_reason why;
	long n;

	if (!ldap.conf->rewrite)
		return;
	n = pe_ldap_rewrite(m->data, m->len, msg, &ldap.map, m->from == PE_SIDE_CLIENT,
			m->scratch, m->scratch_len, &why);
	if (n == 0)
		return;
	if (n < 0) {
		/* malformed inside (the framing and outer parse were fine), or no room */
		r->verdict = PE_VERDICT_RESET;
		r->rule = rule_of(RULE_MALFORMED);
		r->malformed = n == -EBADMSG;
		return;
	}
	r->verdict = PE_VERDICT_REWRITE;
	r->n_edits = 1;
	r->edits[0] = (struct pe_inspect_edit){
		.off = 0, .del = m->len, .ins = m->scratch, .ins_len = (uint32_t)n,
	};
	if (m->bound || m->from != PE_SIDE_CLIENT)
		r->rule = rule_of(RULE_REWRITE);
}

static void
ldap_inspect(const struct pe_inspect_msg *m, struct pe_inspect_result *r)
{
	const struct pe_ldap_conf *conf = ldap.conf;
	struct pe_ldap_msg msg;
	char diag[96];

	r->verdict = PE_VERDICT_PASS;
	r->rule = rule_of(RULE_PASS);
	if (pe_ldap_msg_parse(m->data, m->len, &msg, NULL) < 0) {
		r->verdict = PE_VERDICT_RESET;
		r->rule = rule_of(RULE_MALFORMED);
		r->malformed = true;
		return;
	}
	if (m->from == PE_SIDE_CLIENT) {
		const char *name = pe_ldap_op_name((enum pe_ldap_op)msg.op.tag);

		if (name == NULL) {
			/* a response, or an operation RFC 4511 does not define, from a client */
			r->verdict = PE_VERDICT_RESET;
			r->rule = rule_of(RULE_MALFORMED);
			r->malformed = true;
			return;
		}
		if (!(conf->allow_ops & (UINT32_C(1) << msg.op.tag))) {
			snprintf(diag, sizeof(diag), "operation %s not allowed by proxy policy", name);
			refuse(m, &msg, diag, RULE_OP_NOT_ALLOWED, r);
			return;
		}
		if (conf->refuse_anonymous && msg.op.tag == PE_LDAP_OP_BIND_REQ &&
				pe_ldap_bind_is_anonymous(&msg.bind)) {
			refuse(m, &msg, "anonymous bind refused by proxy policy",
					RULE_REFUSE_ANONYMOUS, r);
			return;
		}
		if (!m->bound)
			route(&msg, r);
		if (msg.op.tag == PE_LDAP_OP_EXTENDED_REQ && pe_ldap_is_starttls(m->data, m->len, &msg)) {
			/* what follows the response is TLS: nothing more to read or rewrite */
			/* counted as starttls even on a first message (its pool is chosen all the same) */
			r->verdict = PE_VERDICT_PASSTHROUGH;
			r->rule = rule_of(RULE_STARTTLS);
			return;
		}
	}
	rewrite(m, &msg, r);
}

static unsigned int
ldap_n_rules(void)
{
	return ldap.conf->n_routes + RULE_BUILTIN_COUNT;
}

static const char *
ldap_rule_name(unsigned int rule)
{
	if (rule < ldap.conf->n_routes)
		return ldap.route_names[rule];
	rule -= ldap.conf->n_routes;
	return rule < RULE_BUILTIN_COUNT ? builtin_names[rule] : "?";
}

const struct pe_inspector pe_inspector_ldap = {
	.name = "ldap",
	.conn_state_size = 0,
	.init = ldap_init,
	.inspects = ldap_inspects,
	.frame = ldap_frame,
	.inspect = ldap_inspect,
	.n_rules = ldap_n_rules,
	.rule_name = ldap_rule_name,
};
