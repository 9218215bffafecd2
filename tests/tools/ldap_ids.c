/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ldap_ids: build/ldap_walk's walk (same framing loop, same decoder,
 * src/proto/ber.c) printing the messageID of each message too, which
 * ldap_walk's JSON does not carry. pytest/test_ber_tshark.py compiles it
 * with the system C compiler and checks that its protocolOp list equals
 * ldap_walk's for every input before using its messageIDs.
 *
 *   {"msgs": [[msg_id, op_tag, offset], ...], "bad": N,
 *    "stopped": "end" | "incomplete" | "not-ldap", "offset": o}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/ber.h"

#define MAX_STREAM (64u << 20)

int
main(void)
{
	uint8_t *p = malloc(MAX_STREAM);
	size_t n = 0, off = 0, got, msgs = 0, bad = 0;
	const char *stopped = "end";
	enum pe_ber_reason r;

	if (p == NULL)
		return 1;
	while ((got = fread(p + n, 1, MAX_STREAM - n, stdin)) > 0)
		n += got;
	if (ferror(stdin)) {
		free(p);
		return 1;
	}
	printf("{\"msgs\": [");
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
			break;
		}
		if (pe_ldap_msg_parse(p + off, len, &m, &r) < 0) {
			bad++;
		} else {
			printf("%s[%u, %u, %zu]", msgs ? ", " : "", (unsigned int)m.msg_id,
					(unsigned int)m.op.tag, off);
			msgs++;
		}
		off += len;
	}
	printf("], \"bad\": %zu, \"stopped\": \"%s\", \"offset\": %zu}\n", bad, stopped, off);
	free(p);
	return 0;
}
