/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ldap_walk: frame and parse every LDAPMessage of one direction of an LDAP
 * byte stream (stdin), with the engine's own decoder (src/proto/ber.c), and
 * print one JSON line:
 *
 *   {"ops": [tag, ...], "ids": [messageID, ...], "messages": N, "bad": N,
 *    "stopped": "end" | "incomplete" | "not-ldap", "offset": o, "why": "..."}
 *
 * with one {"offset": o, "reason": "..."} line on stderr per refused message.
 *
 * "incomplete": the stream ends inside a message (a capture cut short);
 * "not-ldap": the bytes at "offset" cannot start an LDAPMessage (TLS after
 * StartTLS, a SASL security layer): the walk stops there. Test tooling for
 * the real captures (pytest/test_ber_captures.py); exit 0 unless stdin fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/ber.h"

#define MAX_STREAM (64u << 20)
#define MAX_MSGS (1u << 20)

int
main(void)
{
	uint8_t *p = malloc(MAX_STREAM);
	uint32_t *ids = malloc(MAX_MSGS * sizeof(*ids));
	size_t n = 0, off = 0, got, msgs = 0, bad = 0, i;
	const char *stopped = "end", *why = "";
	enum pe_ber_reason r;

	if (p == NULL || ids == NULL)
		return 1;
	while ((got = fread(p + n, 1, MAX_STREAM - n, stdin)) > 0)
		n += got;
	if (ferror(stdin)) {
		free(p);
		free(ids);
		return 1;
	}
	printf("{\"ops\": [");
	while (off < n) {
		struct pe_ldap_msg m;
		size_t len;
		int rc = pe_ldap_frame(p + off, n - off, &len, &r);

		if (rc == -EAGAIN || (rc == 0 && len > n - off)) {
			stopped = "incomplete";
			break;
		}
		if (rc < 0) {
			stopped = "not-ldap";
			why = pe_ber_reason_str(r);
			break;
		}
		if (pe_ldap_msg_parse(p + off, len, &m, &r) < 0) {
			fprintf(stderr, "{\"offset\": %zu, \"reason\": \"%s\"}\n", off, pe_ber_reason_str(r));
			bad++;
		} else if (msgs < MAX_MSGS) {
			printf("%s%u", msgs ? ", " : "", (unsigned int)m.op.tag);
			ids[msgs++] = m.msg_id;
		}
		off += len;
	}
	printf("], \"ids\": [");
	for (i = 0; i < msgs; i++)
		printf("%s%u", i ? ", " : "", ids[i]);
	printf("], \"messages\": %zu, \"bad\": %zu, \"stopped\": \"%s\", \"offset\": %zu, \"why\": \"%s\"}\n",
			msgs, bad, stopped, off, why);
	free(p);
	free(ids);
	return 0;
}
