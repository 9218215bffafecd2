/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "proto/ber.h"

static const char *const reason_str[PE_BER_REASON_COUNT] = {
#define PE_BER_REASON_STR(name, text) [PE_BER_##name] = text,
	PE_BER_REASONS(PE_BER_REASON_STR)
#undef PE_BER_REASON_STR
};

const char *
pe_ber_reason_str(enum pe_ber_reason r)
{
	if ((unsigned)r >= PE_BER_REASON_COUNT)
		return "?";
	return reason_str[r];
}

static int
bad(enum pe_ber_reason *why, enum pe_ber_reason r)
{
	if (why != NULL)
		*why = r;
	return -EBADMSG;
}

int
pe_ber_read_tlv(const uint8_t *p, size_t n, struct pe_ber_tlv *t,
	enum pe_ber_reason *why)
{
	size_t i = 1, len, k;
	uint8_t b;

	t->hdr_len = 0;
	t->len = 0;
	t->val = NULL;
	if (n == 0)
		return -EAGAIN;
	t->cls = p[0] >> 6;
	t->constructed = (p[0] & 0x20) != 0;
	t->tag = p[0] & 0x1f;
	if (t->tag == 0x1f) {
		t->tag = 0;
		for (k = 0;; k++) {
			if (k == 4)
				return bad(why, PE_BER_TAG_TOO_LONG);
			if (i >= n)
				return -EAGAIN;
			b = p[i++];
			if (k == 0 && b == 0x80)
				return bad(why, PE_BER_TAG_NONMINIMAL);
			t->tag = t->tag << 7 | (b & 0x7f);
			if (!(b & 0x80))
				break;
		}
		if (t->tag < 0x1f)
			return bad(why, PE_BER_TAG_NONMINIMAL);
	}
	if (i >= n)
		return -EAGAIN;
	b = p[i++];
	if (b < 0x80) {
		len = b;
	} else if (b == 0x80) {
		return bad(why, PE_BER_INDEFINITE);
	} else if (b == 0xff) {
		return bad(why, PE_BER_LEN_RESERVED);
	} else {
		k = b & 0x7f;
		if (k > 4)
			return bad(why, PE_BER_LEN_OF_LEN);
		if (n - i < k)
			return -EAGAIN;
		for (len = 0; k > 0; k--)
			len = len << 8 | p[i++];
	}
	if (len > PE_BER_MAX_LEN)
		return bad(why, PE_BER_TOO_LONG);
	t->hdr_len = i;
	t->len = len;
	t->val = p + i;
	if (n - i < len)
		return -EAGAIN;
	return 0;
}

int
pe_ldap_frame(const uint8_t *p, size_t n, size_t *msg_len,
	enum pe_ber_reason *why)
{
	struct pe_ber_tlv t;
	int rc;

	if (n == 0)
		return -EAGAIN;
	if (p[0] != 0x30)
		return bad(why, PE_BER_NOT_SEQUENCE);
	rc = pe_ber_read_tlv(p, n, &t, why);
	if (rc == -EBADMSG)
		return rc;
	if (t.hdr_len == 0)
		return -EAGAIN;
	*msg_len = t.hdr_len + t.len;
	return 0;
}

/*
 * Check that p[0..n) is a sequence of TLVs and that every constructed one
 * holds TLVs filling it exactly, at most PE_BER_MAX_DEPTH deep. end[d] is
 * where the TLV open at depth d ends; end[0] is n.
 */
static int
ber_walk(const uint8_t *p, size_t n, enum pe_ber_reason *why)
{
	size_t end[PE_BER_MAX_DEPTH + 1];
	struct pe_ber_tlv t;
	unsigned int d = 0;
	size_t pos = 0;
	int rc;

	end[0] = n;
	while (pos < n) {
		rc = pe_ber_read_tlv(p + pos, end[d] - pos, &t, why);
		if (rc == -EAGAIN)
			return bad(why, PE_BER_OVERRUN);
		if (rc < 0)
			return rc;
		if (t.constructed) {
			if (d == PE_BER_MAX_DEPTH)
				return bad(why, PE_BER_TOO_DEEP);
			end[++d] = pos + t.hdr_len + t.len;
			pos += t.hdr_len;
		} else {
			pos += t.hdr_len + t.len;
		}
		while (d > 0 && pos == end[d])
			d--;
	}
	return 0;
}

/*
 * Next TLV of a span ber_walk() has checked: 0, or -ENOENT at its end.
 */
static int
ber_next(const uint8_t *p, size_t n, size_t *pos, struct pe_ber_tlv *t)
{
	if (*pos >= n)
		return -ENOENT;
	if (pe_ber_read_tlv(p + *pos, n - *pos, t, NULL) != 0)
		return -EBADMSG;  /* not reached after ber_walk() */
	*pos += t->hdr_len + t->len;
	return 0;
}

static bool
is(const struct pe_ber_tlv *t, uint8_t cls, bool constructed, uint32_t tag)
{
	return t->cls == cls && t->constructed == constructed && t->tag == tag;
}

/* A primitive universal INTEGER of 1..8 content octets (two's complement). */
static int
ber_int(const struct pe_ber_tlv *t, int64_t *v)
{
	uint64_t u;
	size_t i;

	if (!is(t, PE_BER_UNIVERSAL, false, PE_BER_TAG_INTEGER) ||
			t->len == 0 || t->len > 8)
		return -EBADMSG;
	u = (t->val[0] & 0x80) ? UINT64_MAX : 0;
	for (i = 0; i < t->len; i++)
		u = u << 8 | t->val[i];
	memcpy(v, &u, sizeof(*v));
	return 0;
}

static int
ber_octets(const struct pe_ber_tlv *t, const uint8_t **s, size_t *len)
{
	if (!is(t, PE_BER_UNIVERSAL, false, PE_BER_TAG_OCTET_STRING))
		return -EBADMSG;
	*s = t->val;
	*len = t->len;
	return 0;
}

/* Form of each protocolOp RFC 4511 defines: 'c' constructed, 'p' primitive. */
static const char op_form[] = {
	[PE_LDAP_OP_BIND_REQ] = 'c',
	[PE_LDAP_OP_BIND_RESP] = 'c',
	[PE_LDAP_OP_UNBIND_REQ] = 'p',        /* NULL */
	[PE_LDAP_OP_SEARCH_REQ] = 'c',
	[PE_LDAP_OP_SEARCH_ENTRY] = 'c',
	[PE_LDAP_OP_SEARCH_DONE] = 'c',
	[PE_LDAP_OP_MODIFY_REQ] = 'c',
	[PE_LDAP_OP_MODIFY_RESP] = 'c',
	[PE_LDAP_OP_ADD_REQ] = 'c',
	[PE_LDAP_OP_ADD_RESP] = 'c',
	[PE_LDAP_OP_DEL_REQ] = 'p',           /* LDAPDN */
	[PE_LDAP_OP_DEL_RESP] = 'c',
	[PE_LDAP_OP_MODDN_REQ] = 'c',
	[PE_LDAP_OP_MODDN_RESP] = 'c',
	[PE_LDAP_OP_COMPARE_REQ] = 'c',
	[PE_LDAP_OP_COMPARE_RESP] = 'c',
	[PE_LDAP_OP_ABANDON_REQ] = 'p',       /* MessageID */
	[PE_LDAP_OP_SEARCH_REF] = 'c',
	[PE_LDAP_OP_EXTENDED_REQ] = 'c',
	[PE_LDAP_OP_EXTENDED_RESP] = 'c',
	[PE_LDAP_OP_INTERMEDIATE_RESP] = 'c',
};

static int
op_check(const struct pe_ber_tlv *op, enum pe_ber_reason *why)
{
	int64_t v;

	if (op->tag >= sizeof(op_form) || op_form[op->tag] == 0)
		return 0;
	if (op->constructed != (op_form[op->tag] == 'c'))
		return bad(why, PE_BER_OP_FORM);
	if (op->tag == PE_LDAP_OP_UNBIND_REQ && op->len != 0)
		return bad(why, PE_BER_OP_FORM);
	if (op->tag == PE_LDAP_OP_ABANDON_REQ) {
		struct pe_ber_tlv t = *op;

		t.cls = PE_BER_UNIVERSAL;
		t.tag = PE_BER_TAG_INTEGER;
		if (ber_int(&t, &v) != 0 || v < 0 || v > INT32_MAX)
			return bad(why, PE_BER_OP_FORM);
	}
	return 0;
}

static int
bind_parse(const struct pe_ber_tlv *op, struct pe_ldap_bind *b,
	enum pe_ber_reason *why)
{
	struct pe_ber_tlv t, s;
	size_t pos = 0, spos = 0;
	int64_t v;

	if (ber_next(op->val, op->len, &pos, &t) != 0 || ber_int(&t, &v) != 0 ||
			v < 1 || v > 127)
		return bad(why, PE_BER_BIND_VERSION);
	b->version = (uint8_t)v;
	if (ber_next(op->val, op->len, &pos, &t) != 0 ||
			ber_octets(&t, &b->name, &b->name_len) != 0)
		return bad(why, PE_BER_BIND_NAME);
	if (ber_next(op->val, op->len, &pos, &t) != 0 || t.cls != PE_BER_CONTEXT)
		return bad(why, PE_BER_BIND_AUTH);
	b->auth = t.tag;
	switch (t.tag) {
	case PE_LDAP_AUTH_SIMPLE:
		if (t.constructed)
			return bad(why, PE_BER_BIND_AUTH);
		b->cred = t.val;
		b->cred_len = t.len;
		break;
	case PE_LDAP_AUTH_SASL:
		if (!t.constructed ||
				ber_next(t.val, t.len, &spos, &s) != 0 ||
				ber_octets(&s, &b->mech, &b->mech_len) != 0)
			return bad(why, PE_BER_BIND_AUTH);
		if (ber_next(t.val, t.len, &spos, &s) == 0 &&
				ber_octets(&s, &b->cred, &b->cred_len) != 0)
			return bad(why, PE_BER_BIND_AUTH);
		break;
	default:
		break;  /* e.g. sicily: opaque */
	}
	return 0;
}

/* Controls ::= SEQUENCE OF Control; Control ::= SEQUENCE { controlType LDAPOID, ... } */
static int
controls_check(const struct pe_ber_tlv *c, enum pe_ber_reason *why)
{
	struct pe_ber_tlv t, s;
	size_t pos = 0, spos;

	if (!c->constructed)
		return bad(why, PE_BER_CONTROLS);
	while (ber_next(c->val, c->len, &pos, &t) == 0) {
		spos = 0;
		if (!is(&t, PE_BER_UNIVERSAL, true, PE_BER_TAG_SEQUENCE) ||
				ber_next(t.val, t.len, &spos, &s) != 0 ||
				!is(&s, PE_BER_UNIVERSAL, false, PE_BER_TAG_OCTET_STRING))
			return bad(why, PE_BER_CONTROLS);
	}
	return 0;
}

int
pe_ldap_msg_parse(const uint8_t *p, size_t n, struct pe_ldap_msg *m,
	enum pe_ber_reason *why)
{
	struct pe_ber_tlv seq, t;
	size_t len, pos = 0;
	int64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = pe_ldap_frame(p, n, &len, why);
	if (rc == -EAGAIN)
		return bad(why, PE_BER_TRUNCATED);
	if (rc < 0)
		return rc;
	if (n < len)
		return bad(why, PE_BER_TRUNCATED);
	if (n > len)
		return bad(why, PE_BER_TRAILING);
	rc = ber_walk(p, n, why);
	if (rc < 0)
		return rc;
	if (pe_ber_read_tlv(p, n, &seq, why) != 0)
		return -EBADMSG;  /* not reached after ber_walk() */
	m->len = len;

	if (ber_next(seq.val, seq.len, &pos, &t) != 0 || ber_int(&t, &v) != 0)
		return bad(why, PE_BER_MSGID);
	if (v < 0 || v > INT32_MAX)
		return bad(why, PE_BER_MSGID_RANGE);
	m->msg_id = (uint32_t)v;

	m->op_off = seq.hdr_len + pos;
	if (ber_next(seq.val, seq.len, &pos, &m->op) != 0 ||
			m->op.cls != PE_BER_APPLICATION)
		return bad(why, PE_BER_OP);
	rc = op_check(&m->op, why);
	if (rc < 0)
		return rc;

	m->controls_off = seq.hdr_len + pos;
	if (ber_next(seq.val, seq.len, &pos, &t) == 0 &&
			t.cls == PE_BER_CONTEXT && t.tag == 0) {
		rc = controls_check(&t, why);
		if (rc < 0)
			return rc;
		m->has_controls = true;
		m->controls = t;
	} else {
		m->controls_off = 0;
	}
	/* anything after: ignored (RFC 4511 §4) */

	if (m->op.tag == PE_LDAP_OP_BIND_REQ)
		return bind_parse(&m->op, &m->bind, why);
	return 0;
}
