/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PROTO_BER_H
#define PE_PROTO_BER_H

/*
 * Bounded, allocation-free BER decoding for LDAPv3 (RFC 4511 §5.1: BER of
 * X.690 restricted to definite lengths, primitive strings). Every function
 * reads only p[0..n), never writes to it, and returns spans into it.
 *
 * One TLV:
 *
 *   identifier                  length                       value
 *   +--+-+-----+ [+-+-------+]  +-+-------+ [+--------+...]  +------+
 *   |cl|c| tag | [|m| tag7  |]  |L| len7  | [| len8   |...]  | len  |
 *   +--+-+-----+ [+-+-------+]  +-+-------+ [+--------+...]  +------+
 *    2  1   5     tag 31 only:   L=0: len7 is the length
 *                 1..4 octets,   L=1: len7 = count (1..4) of
 *                 m=1 more       big-endian length octets
 *
 * Strictness, decided once for every caller:
 * - rejected (no encoder emits them, and each could make two parsers
 *   disagree): indefinite length 0x80 (RFC 4511 §5.1), the reserved length
 *   octet 0xff (X.690 §8.1.3.5), more than 4 length octets, lengths over
 *   PE_BER_MAX_LEN, high-tag-number form for tag numbers < 31 or with a
 *   leading 0x80 octet (X.690 §8.1.2.4), tag numbers over 4 octets,
 *   nesting deeper than PE_BER_MAX_DEPTH, a TLV running past its parent,
 *   constructed or empty INTEGERs, constructed OCTET STRINGs.
 * - accepted (real encoders emit them and the value is unambiguous):
 *   non-minimal long-form lengths (OpenLDAP's liblber and Active Directory
 *   write 0x84 + 4 octets for every SEQUENCE), INTEGERs with redundant
 *   leading 0x00/0xff octets up to 8 content octets, trailing SEQUENCE
 *   components after the known ones (RFC 4511 §4: receivers MUST ignore
 *   them), protocolOp application tags RFC 4511 does not define (policy,
 *   not decoding, refuses them), bind authentication choices other than
 *   simple and sasl (Active Directory's sicily [9] [10] [11]).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PE_BER_MAX_LEN (16u << 20)  /* largest value length accepted */
#define PE_BER_MAX_DEPTH 32         /* constructed TLVs nested in one message */

/* Identifier classes (bits 8-7 of the identifier octet) */
#define PE_BER_UNIVERSAL 0
#define PE_BER_APPLICATION 1
#define PE_BER_CONTEXT 2
#define PE_BER_PRIVATE 3

/* Universal tag numbers used by LDAP */
#define PE_BER_TAG_BOOLEAN 1
#define PE_BER_TAG_INTEGER 2
#define PE_BER_TAG_OCTET_STRING 4
#define PE_BER_TAG_NULL 5
#define PE_BER_TAG_ENUMERATED 10
#define PE_BER_TAG_SEQUENCE 16
#define PE_BER_TAG_SET 17

/* Why input was refused: one counter per reason (name, text). */
#define PE_BER_REASONS(X) \
	X(OK, "no error") \
	X(INDEFINITE, "indefinite length") \
	X(LEN_RESERVED, "reserved length octet 0xff") \
	X(LEN_OF_LEN, "more than 4 length octets") \
	X(TOO_LONG, "length over PE_BER_MAX_LEN") \
	X(TAG_NONMINIMAL, "high-tag-number form not minimal") \
	X(TAG_TOO_LONG, "tag number over 4 octets") \
	X(OVERRUN, "TLV longer than its parent") \
	X(TOO_DEEP, "nesting deeper than PE_BER_MAX_DEPTH") \
	X(TRUNCATED, "buffer shorter than the message") \
	X(TRAILING, "bytes after the message") \
	X(NOT_SEQUENCE, "message is not a universal constructed SEQUENCE") \
	X(MSGID, "messageID not an INTEGER") \
	X(MSGID_RANGE, "messageID outside 0..2^31-1") \
	X(OP, "protocolOp missing or not APPLICATION class") \
	X(OP_FORM, "protocolOp has the wrong form for its type") \
	X(CONTROLS, "controls not a [0] SEQUENCE OF Control") \
	X(BIND_VERSION, "BindRequest version not an INTEGER 1..127") \
	X(BIND_NAME, "BindRequest name not an OCTET STRING") \
	X(BIND_AUTH, "BindRequest authentication malformed") \
	X(OP_BODY, "protocolOp component missing or of the wrong type") \
	X(REFERRAL, "referral not a constructed [3] of OCTET STRING URIs")

enum pe_ber_reason {
#define PE_BER_REASON_ENUM(name, text) PE_BER_##name,
	PE_BER_REASONS(PE_BER_REASON_ENUM)
#undef PE_BER_REASON_ENUM
	PE_BER_REASON_COUNT
};

/* Text of @r ("?" when out of range). */
const char *pe_ber_reason_str(enum pe_ber_reason r);

/* One decoded TLV header; val points into the input. */
struct pe_ber_tlv {
	uint8_t cls;           /* PE_BER_UNIVERSAL .. PE_BER_PRIVATE */
	bool constructed;
	uint32_t tag;          /* tag number, < 2^28 */
	size_t hdr_len;        /* identifier + length octets; 0: header incomplete */
	size_t len;            /* value length, <= PE_BER_MAX_LEN */
	const uint8_t *val;
};

/*
 * Decode the TLV at p[0..n).
 * 0: the whole TLV (hdr_len + len bytes) is in p[0..n).
 * -EAGAIN: p[0..n) is a prefix of a TLV that may still be valid; hdr_len is
 *   0 when the header is incomplete, else hdr_len, len and val are set and
 *   only the value is short.
 * -EBADMSG: no continuation can make it valid; *why (if @why is not NULL)
 *   says which rule it broke.
 */
int pe_ber_read_tlv(const uint8_t *p, size_t n, struct pe_ber_tlv *t,
	enum pe_ber_reason *why);

/*
 * Framing: the length of the LDAPMessage starting at p[0] (it must start
 * with 0x30, a universal constructed SEQUENCE), from its first bytes.
 * 0: *msg_len is header + value length, known as soon as the header is in;
 *   the message is complete when n >= *msg_len (the caller compares, so it
 *   can refuse an oversized message before holding it).
 * -EAGAIN: fewer bytes than the header needs (n == 0 included).
 * -EBADMSG: it cannot be an LDAPMessage (wrong first octet, indefinite or
 *   reserved length, length over PE_BER_MAX_LEN); *why says which.
 */
int pe_ldap_frame(const uint8_t *p, size_t n, size_t *msg_len,
	enum pe_ber_reason *why);

/* protocolOp application tag numbers (RFC 4511 §4.2 .. §4.14) */
enum pe_ldap_op {
	PE_LDAP_OP_BIND_REQ = 0,
	PE_LDAP_OP_BIND_RESP = 1,
	PE_LDAP_OP_UNBIND_REQ = 2,
	PE_LDAP_OP_SEARCH_REQ = 3,
	PE_LDAP_OP_SEARCH_ENTRY = 4,
	PE_LDAP_OP_SEARCH_DONE = 5,
	PE_LDAP_OP_MODIFY_REQ = 6,
	PE_LDAP_OP_MODIFY_RESP = 7,
	PE_LDAP_OP_ADD_REQ = 8,
	PE_LDAP_OP_ADD_RESP = 9,
	PE_LDAP_OP_DEL_REQ = 10,
	PE_LDAP_OP_DEL_RESP = 11,
	PE_LDAP_OP_MODDN_REQ = 12,
	PE_LDAP_OP_MODDN_RESP = 13,
	PE_LDAP_OP_COMPARE_REQ = 14,
	PE_LDAP_OP_COMPARE_RESP = 15,
	PE_LDAP_OP_ABANDON_REQ = 16,
	PE_LDAP_OP_SEARCH_REF = 19,
	PE_LDAP_OP_EXTENDED_REQ = 23,
	PE_LDAP_OP_EXTENDED_RESP = 24,
	PE_LDAP_OP_INTERMEDIATE_RESP = 25,
};

/* BindRequest authentication choice: the context tag number */
#define PE_LDAP_AUTH_SIMPLE 0
#define PE_LDAP_AUTH_SASL 3

/*
 * BindRequest ::= [APPLICATION 0] SEQUENCE {
 *	version INTEGER (1 .. 127), name LDAPDN (OCTET STRING),
 *	authentication CHOICE { simple [0] OCTET STRING, sasl [3] SaslCredentials, ... } }
 * SaslCredentials ::= SEQUENCE { mechanism LDAPString, credentials OCTET STRING OPTIONAL }
 */
struct pe_ldap_bind {
	uint8_t version;
	uint32_t auth;              /* context tag number: PE_LDAP_AUTH_* or another */
	const uint8_t *name;        /* the bind DN, not NUL-terminated */
	size_t name_len;
	const uint8_t *mech;        /* sasl: mechanism; else NULL */
	size_t mech_len;
	const uint8_t *cred;        /* simple: password; sasl: credentials or NULL */
	size_t cred_len;
};

/*
 * One LDAPMessage ::= SEQUENCE { messageID MessageID, protocolOp CHOICE {..},
 *	controls [0] Controls OPTIONAL }
 */
struct pe_ldap_msg {
	size_t len;                 /* the whole message */
	uint32_t msg_id;            /* 0 .. 2^31-1 */
	struct pe_ber_tlv op;       /* APPLICATION class; op.tag is a pe_ldap_op */
	size_t op_off;              /* offset of the protocolOp TLV in the message */
	bool has_controls;
	struct pe_ber_tlv controls; /* the [0] TLV when has_controls */
	size_t controls_off;        /* of the [0] TLV; 0 when absent */
	struct pe_ldap_bind bind;   /* when op.tag == PE_LDAP_OP_BIND_REQ */
};

/*
 * Decode the one complete LDAPMessage that is exactly p[0..n) (n as
 * pe_ldap_frame() gave it). Every constructed TLV is walked, iteratively and
 * at most PE_BER_MAX_DEPTH deep, and must hold TLVs that fill it exactly.
 * 0, or -EBADMSG with *why (if @why is not NULL); a buffer shorter than the
 * message is PE_BER_TRUNCATED, never -EAGAIN.
 */
int pe_ldap_msg_parse(const uint8_t *p, size_t n, struct pe_ldap_msg *m,
	enum pe_ber_reason *why);

/*
 * An anonymous (RFC 4513 §5.1.1: empty name and password) or
 * unauthenticated (§5.1.2: name, empty password) simple bind.
 */
static inline bool
pe_ldap_bind_is_anonymous(const struct pe_ldap_bind *b)
{
	return b->auth == PE_LDAP_AUTH_SIMPLE && b->cred_len == 0;
}

#endif /* PE_PROTO_BER_H */
