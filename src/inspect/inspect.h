/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_INSPECT_H
#define PE_INSPECT_H

/*
 * The inspection API: the one header a protocol inspector includes.
 *
 * An inspector sees each direction of a proxied connection as a sequence of
 * complete protocol messages. The engine does the framing with the
 * inspector's frame() (how long is the message that starts here?), holds
 * the segments of a message until it is complete, then calls inspect() with
 * the message's bytes in one contiguous buffer and applies the verdict:
 *
 *   PASS         forward the message unchanged
 *   DROP         remove it from the stream: the receiver never sees it
 *   RESET        RST toward both sides
 *   REWRITE      forward it with edits applied; the length may change
 *   REFUSE       send r->reply to the sender, then FIN toward it and RST
 *                toward the other side (e.g. an LDAP error response)
 *   PASSTHROUGH  forward it and stop inspecting both directions of this
 *                connection (e.g. after StartTLS, the rest is TLS)
 *
 * and, before a backend is chosen (m->bound false), r->pool selects the
 * backend pool (delayed binding on the first message). "Wait for more" is
 * AGAIN, from frame(): the engine holds what it has and asks again when more
 * bytes have arrived.
 *
 * Everything the engine does around a verdict is the engine's: sequence and
 * acknowledgment numbers and SACK blocks of both sides are translated
 * across length-changing edits for the rest of the connection, and output
 * the receiver has not acknowledged is kept and retransmitted byte for byte
 * (a rewritten message is never inspected twice). Messages over
 * inspect.max_message_bytes, or not complete within inspect.hold_ms, get
 * the policy inspect.on_limit (pass uninspected, or reset), counted.
 *
 * An inspector is DPDK-free: bytes in, verdicts out. It keeps per-connection
 * state in conn_state (conn_state_size bytes, zeroed when the connection is
 * accepted, never freed by it) and must not keep pointers into m->data after
 * returning. See src/inspect/inspect_lines.c for a minimal example and
 * docs/inspect.md for the walk-through.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn/conn_types.h"

struct pe_config;

enum pe_verdict {
	PE_VERDICT_AGAIN,       /* frame() only: more bytes are needed to tell */
	PE_VERDICT_PASS,
	PE_VERDICT_DROP,
	PE_VERDICT_RESET,
	PE_VERDICT_REWRITE,
	PE_VERDICT_REFUSE,
	PE_VERDICT_PASSTHROUGH,
	PE_VERDICT_MAX
};

/* Replace m->data[off, off + del) by ins[0, ins_len). */
struct pe_inspect_edit {
	uint32_t off;
	uint32_t del;
	const uint8_t *ins;     /* into m->scratch, the inspector's static data, or m->data */
	uint32_t ins_len;
};

#define PE_INSPECT_MAX_EDITS 8

/* One complete message, as inspect() gets it. */
struct pe_inspect_msg {
	const uint8_t *data;
	uint32_t len;
	enum pe_side from;      /* PE_SIDE_CLIENT: toward the backend */
	bool bound;             /* a backend has been chosen already */
	void *conn_state;       /* the inspector's per-connection state */
	uint8_t *scratch;       /* room for replacement bytes and replies ... */
	size_t scratch_len;     /* ... valid until the verdict has been applied */
};

struct pe_inspect_result {
	enum pe_verdict verdict;
	int pool;               /* before binding: backend pool index, -1 for the default */
	uint16_t rule;          /* which of the inspector's rules decided: counted per rule */
	bool malformed;         /* the message breaks the protocol (counted as inspect_malformed) */
	uint8_t n_edits;        /* REWRITE: edits sorted by off, not overlapping */
	struct pe_inspect_edit edits[PE_INSPECT_MAX_EDITS];
	const uint8_t *reply;   /* REFUSE: bytes for the sender (may be empty) */
	uint32_t reply_len;
};

struct pe_inspector {
	const char *name;       /* as in the config: inspect.protocol */
	size_t conn_state_size; /* at most PE_INSPECT_STATE_MAX */
	/*
	 * Set up from the loaded config (rules, pools already resolved by
	 * config.c). 0, or -errno with a message in err. Called once.
	 */
	int (*init)(const struct pe_config *cfg, char *err, size_t errlen);
	/* Does the engine inspect the messages sent by @from at all? */
	bool (*inspects)(enum pe_side from);
	/*
	 * Framing: the length of the message starting at p[0], from its first
	 * n bytes: PASS with *len (as soon as it is known, before the message
	 * is all in), AGAIN when more bytes are needed to tell, RESET when no
	 * message starts here (*rule: the rule to count it under). Any other
	 * verdict is taken as RESET.
	 */
	enum pe_verdict (*frame)(const uint8_t *p, size_t n, size_t *len, uint16_t *rule);
	/*
	 * Decide on one complete message. r comes zeroed (verdict AGAIN, which
	 * is no verdict here: the inspector must set one, or the connection is
	 * reset as inspect_bad_verdict), with pool = -1.
	 */
	void (*inspect)(const struct pe_inspect_msg *m, struct pe_inspect_result *r);
	/*
	 * Number of rules and their names (telemetry /pe/rules, logs). Names
	 * are telemetry keys: letters, digits, '_' and '/' only.
	 */
	unsigned int (*n_rules)(void);
	const char *(*rule_name)(unsigned int rule);
};

#define PE_INSPECT_STATE_MAX 64

/* The inspector called @name, or NULL. */
const struct pe_inspector *pe_inspector_find(const char *name);

/* "pass", "drop", ... */
const char *pe_verdict_str(enum pe_verdict v);

/*
 * Apply @r's edits to @in[0, @len) into @out (at most @cap bytes): the
 * output length, or -ENOSPC. Edits must be sorted and inside the message
 * (-EINVAL otherwise): an inspector's mistake never corrupts a stream.
 */
long pe_inspect_apply(const uint8_t *in, uint32_t len, const struct pe_inspect_result *r,
		uint8_t *out, size_t cap);

extern const struct pe_inspector pe_inspector_ldap;
extern const struct pe_inspector pe_inspector_lines;

#endif /* PE_INSPECT_H */
