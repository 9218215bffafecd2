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
 *
 *   ldap_walk --rewrite CLIENT_SUFFIX BACKEND_SUFFIX --request|--response
 *
 * reads a byte stream of whole LDAPMessages on stdin and writes it on stdout
 * with every message rewritten by the engine's own pe_ldap_rewrite() (as the
 * LDAP inspector does with ldap.rewrite): --request, client -> backend
 * suffix (what the client sent); --response, backend -> client suffix.
 * Messages nothing matches in are copied unchanged. Expected bytes for
 * testbed/replay.py --config. Exit status:
 *   0  the whole stream was written;
 *   1  a message the engine would refuse (no LDAPMessage at that offset, a
 *      message pe_ldap_msg_parse() or pe_ldap_rewrite() refuses), or stdin
 *      fails: one line "ldap_walk: offset O: reason" on stderr;
 *   3  the stream ends inside a message: "ldap_walk: offset O: stream ends
 *      inside a message (N of L bytes)" (or "... message header") on stderr;
 *   2  bad arguments.
 * Nothing is written on stdout unless the status is 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ber.h"
#include "proto/ldap_rewrite.h"

#define MAX_STREAM (64u << 20)
#define MAX_MSGS (1u << 20)

/* stdin into a new buffer of MAX_STREAM bytes; NULL when stdin fails */
static uint8_t *
read_stdin(size_t *n)
{
	uint8_t *p = malloc(MAX_STREAM);
	size_t got;

	*n = 0;
	if (p == NULL)
		return NULL;
	while ((got = fread(p + *n, 1, MAX_STREAM - *n, stdin)) > 0)
		*n += got;
	if (ferror(stdin) || (*n == MAX_STREAM && fgetc(stdin) != EOF)) {
		free(p);
		return NULL;
	}
	return p;
}

static int
rewrite_main(const char *client, const char *backend, bool request)
{
	struct pe_ldap_dn_map map = {
		.client = client, .client_len = strlen(client),
		.backend = backend, .backend_len = strlen(backend),
	};
	uint8_t *p, *out, *buf = NULL;
	size_t n, off = 0, out_len = 0, out_cap, buf_cap = 0;
	int status = 0;

	p = read_stdin(&n);
	if (p == NULL) {
		fprintf(stderr, "ldap_walk: cannot read stdin (or more than %u bytes)\n", MAX_STREAM);
		return 1;
	}
	out_cap = 2 * n + 4096;
	out = malloc(out_cap);
	if (out == NULL) {
		free(p);
		return 1;
	}
	while (off < n && status == 0) {
		struct pe_ldap_msg m;
		enum pe_ber_reason r = PE_BER_OK;
		size_t len;
		long w;
		int rc = pe_ldap_frame(p + off, n - off, &len, &r);

		if (rc == -EAGAIN || (rc == 0 && len > n - off)) {
			if (rc == 0)
				fprintf(stderr, "ldap_walk: offset %zu: stream ends inside a message (%zu of %zu bytes)\n",
						off, n - off, len);
			else
				fprintf(stderr, "ldap_walk: offset %zu: stream ends inside a message header (%zu bytes)\n",
						off, n - off);
			status = 3;
			break;
		}
		if (rc < 0) {
			fprintf(stderr, "ldap_walk: offset %zu: no LDAPMessage: %s\n", off, pe_ber_reason_str(r));
			status = 1;
			break;
		}
		if (pe_ldap_msg_parse(p + off, len, &m, &r) < 0) {
			fprintf(stderr, "ldap_walk: offset %zu: message refused: %s\n", off, pe_ber_reason_str(r));
			status = 1;
			break;
		}
		for (;;) {
			w = pe_ldap_rewrite(p + off, len, &m, &map, request, buf, buf_cap, &r);
			if (w != -ENOSPC)
				break;
			free(buf);
			buf_cap = buf_cap ? 2 * buf_cap : 2 * len + 4096;
			buf = malloc(buf_cap);
			if (buf == NULL) {
				w = -ENOMEM;
				break;
			}
		}
		if (w < 0) {
			fprintf(stderr, "ldap_walk: offset %zu: rewrite refused: %s\n", off,
					w == -EBADMSG ? pe_ber_reason_str(r) : strerror((int)-w));
			status = 1;
			break;
		}
		if (out_len + (w ? (size_t)w : len) > out_cap) {
			uint8_t *o;

			out_cap = 2 * (out_len + (w ? (size_t)w : len));
			o = realloc(out, out_cap);
			if (o == NULL) {
				status = 1;
				break;
			}
			out = o;
		}
		memcpy(out + out_len, w ? buf : p + off, w ? (size_t)w : len);
		out_len += w ? (size_t)w : len;
		off += len;
	}
	if (status == 0 && (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0)) {
		fprintf(stderr, "ldap_walk: cannot write stdout\n");
		status = 1;
	}
	free(buf);
	free(out);
	free(p);
	return status;
}

static int
usage(void)
{
	fprintf(stderr, "usage: ldap_walk < STREAM\n"
			"       ldap_walk --rewrite CLIENT_SUFFIX BACKEND_SUFFIX --request|--response < STREAM\n");
	return 2;
}

int
main(int argc, char **argv)
{
	uint8_t *p = malloc(MAX_STREAM);
	uint32_t *ids = malloc(MAX_MSGS * sizeof(*ids));
	size_t n = 0, off = 0, got, msgs = 0, bad = 0, i;
	const char *stopped = "end", *why = "";
	enum pe_ber_reason r;

	if (argc > 1) {
		free(p);
		free(ids);
		if (argc != 5 || strcmp(argv[1], "--rewrite") != 0)
			return usage();
		if (strcmp(argv[4], "--request") == 0)
			return rewrite_main(argv[2], argv[3], true);
		if (strcmp(argv[4], "--response") == 0)
			return rewrite_main(argv[2], argv[3], false);
		return usage();
	}
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
