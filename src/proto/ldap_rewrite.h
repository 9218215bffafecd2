/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PROTO_LDAP_REWRITE_H
#define PE_PROTO_LDAP_REWRITE_H

/*
 * LDAPv3 (RFC 4511) DN suffix rewriting and the few responses the proxy
 * answers itself. Allocation-free, no DPDK: every function works on
 * (const uint8_t *, size_t) spans of one complete LDAPMessage that
 * pe_ldap_msg_parse() has accepted.
 *
 * What is rewritten (a DN is rewritten only when it ends in the "from"
 * suffix on an RDN boundary; only that suffix is replaced):
 *
 *   request, client -> backend          response, backend -> client
 *   BindRequest       name              SearchResultEntry   objectName
 *   SearchRequest     baseObject        LDAPResult          matchedDN, and the
 *   ModifyRequest     object              (Bind, SearchDone,  DN of each ldap://
 *   AddRequest        entry               Modify, Add, Del,   URI in referral [3]
 *   DelRequest        the op itself       ModDN, Compare,
 *   ModifyDNRequest   entry, newSuperior  Extended responses)
 *   CompareRequest    entry             SearchResultReference  DN of each ldap:// URI
 *
 * What is NOT rewritten, and passes through byte for byte:
 * - values of DN-syntax attributes (member, seeAlso, manager ...) in
 *   SearchResultEntry, AddRequest and ModifyRequest, and AttributeValue
 *   assertions in CompareRequest;
 * - search filters (e.g. (memberOf=cn=x,dc=...)), ModifyDNRequest newrdn
 *   (an RDN, never a suffix);
 * - ExtendedRequest/Response values (password modify userIdentity, ...),
 *   IntermediateResponse, controls, SASL credentials ("dn:" authzId);
 * - DNs in URIs other than ldap:// (ldaps://, ldapi://), the host[:port] of
 *   any URI, and percent-encoded DNs in URIs: only a DN written literally
 *   between the '/' after host[:port] and the first '?' is matched. The
 *   replacement suffix is inserted as configured, not percent-encoded.
 *
 * DN comparison (RFC 4514 string form): ASCII case-insensitive; spaces
 * around ',' and '=' and at either end are ignored; a '\'-escaped
 * character is compared as written (escapes are not decoded, so "\2C" and
 * "\," differ) and is never a separator; RDNs are separated by unescaped
 * ',' only (not the obsolete ';' of RFC 1779, no "quoted" values).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ber.h"

/* RFC 4511 Appendix A result codes the engine answers with */
#define PE_LDAP_RC_PROTOCOL_ERROR 2
#define PE_LDAP_RC_INAPPROPRIATE_AUTH 48
#define PE_LDAP_RC_UNWILLING_TO_PERFORM 53

/* Do the two string DNs name the same entry (rules above)? */
bool pe_ldap_dn_equal(const uint8_t *dn, size_t dn_len, const char *b,
	size_t b_len);

/*
 * Does @dn consist of whole RDNs ending in @suffix: dn equals suffix, or
 * dn = prefix "," suffix? On true, *prefix_len is the number of bytes of dn
 * before the suffix, the separating ',' included, so a rewriter keeps
 * dn[0, prefix_len) and appends the other suffix. A suffix that is empty or
 * only spaces never matches (it would make the root DSE "" a match).
 * O(dn_len + suffix_len).
 */
bool pe_ldap_dn_suffix(const uint8_t *dn, size_t dn_len, const char *suffix,
	size_t suffix_len, size_t *prefix_len);

/* One client-visible suffix and the backend suffix it stands for */
struct pe_ldap_dn_map {
	const char *client;
	size_t client_len;
	const char *backend;
	size_t backend_len;
};

/*
 * Rewrite the DNs (table above) of the one complete LDAPMessage p[0..n),
 * which pe_ldap_msg_parse() decoded into *m: client -> backend suffix when
 * @request (it came from the client), backend -> client otherwise.
 *
 * Every enclosing length (LDAPMessage, protocolOp, referral) is re-encoded.
 * Each length keeps its original number of length octets when the new
 * value fits in them (OpenLDAP's 0x84 + 4 octets stays, so a request and
 * the rewritten-back response round trip byte-identically), else takes the
 * minimal form. Everything else (messageID, controls, other components,
 * trailing components) is copied unchanged. @out must not overlap @p.
 *
 * Returns 0: nothing matched, out untouched; > 0: the length of the
 * rewritten message in out[0..); -ENOSPC: it needs more than @cap bytes,
 * out untouched; -EBADMSG: a component the rewriter walks is missing or of
 * the wrong type (or *m does not describe p), *why (if not NULL) says which,
 * out untouched. O(n): one pass to measure, one to write; no recursion.
 */
long pe_ldap_rewrite(const uint8_t *p, size_t n, const struct pe_ldap_msg *m,
	const struct pe_ldap_dn_map *map, bool request, uint8_t *out, size_t cap,
	enum pe_ber_reason *why);

/*
 * Encode LDAPMessage { msg_id, <resp_op> LDAPResult { result_code,
 * matched_dn, diag } } in minimal BER, e.g. a BindResponse with
 * unwillingToPerform. NULL strings are empty. An ExtendedResponse gets no
 * responseName. Returns the length, -ENOSPC when over @cap (out untouched
 * then), -EINVAL when resp_op is not one of the eight LDAPResult responses
 * or msg_id is over 2^31-1.
 */
long pe_ldap_encode_result(uint8_t *out, size_t cap, uint32_t msg_id,
	enum pe_ldap_op resp_op, uint8_t result_code, const char *matched_dn,
	const char *diag);

/*
 * The response op a request op is answered with (BIND_REQ -> BIND_RESP,
 * SEARCH_REQ -> SEARCH_DONE, MODIFY .. COMPARE, EXTENDED_REQ ->
 * EXTENDED_RESP); -1 for UNBIND_REQ, ABANDON_REQ (never answered, RFC 4511
 * §4.3, §4.11) and anything that is not a request.
 */
int pe_ldap_response_op(enum pe_ldap_op req);

/*
 * Config name of a request op: "bind", "unbind", "search", "modify", "add",
 * "delete", "moddn", "compare", "abandon", "extended"; NULL for others.
 */
const char *pe_ldap_op_name(enum pe_ldap_op op);

/* Inverse of pe_ldap_op_name() (exact, case-sensitive): the op, or -1. */
int pe_ldap_op_from_name(const char *name);

/*
 * Is m (decoded from p[0..n)) an ExtendedRequest whose requestName [0] is
 * StartTLS, 1.3.6.1.4.1.1466.20037 (RFC 4511 §4.14.1)?
 */
bool pe_ldap_is_starttls(const uint8_t *p, size_t n,
	const struct pe_ldap_msg *m);

#endif /* PE_PROTO_LDAP_REWRITE_H */
