/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "proto/ldap_rewrite.h"

static int
bad(enum pe_ber_reason *why, enum pe_ber_reason r)
{
	if (why != NULL)
		*why = r;
	return -EBADMSG;
}

static bool
is(const struct pe_ber_tlv *t, uint8_t cls, bool constructed, uint32_t tag)
{
	return t->cls == cls && t->constructed == constructed && t->tag == tag;
}

static bool
is_octets(const struct pe_ber_tlv *t)
{
	return is(t, PE_BER_UNIVERSAL, false, PE_BER_TAG_OCTET_STRING);
}

/*
 * DN comparison. A string DN (RFC 4514 §3) seen as the sequence of its
 * significant characters:
 *
 *   " uid = x , dc=Example\, Inc ,dc=com "  ->  "uid=x,dc=example\, inc,dc=com"
 *
 * Spaces touching an unescaped ',' or '=' or either end are dropped, ASCII
 * letters are folded, "\c" is kept as the two characters '\' 'c' (escapes
 * are not decoded) and c is never a separator.
 */
struct dn_it {
	const uint8_t *s;
	size_t n;
	size_t i;
	size_t keep;    /* spaces before s[keep] are inside a value */
	bool sep;       /* at the start, or just after ',' or '=' */
	bool esc;       /* s[i] follows a '\' */
};

static void
dn_it_init(struct dn_it *it, const uint8_t *s, size_t n)
{
	it->s = s;
	it->n = n;
	it->i = 0;
	it->keep = 0;
	it->sep = true;
	it->esc = false;
}

static int
fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The next significant character, or -1 at the end. */
static int
dn_next(struct dn_it *it)
{
	uint8_t c;
	size_t j;

	while (it->i < it->n) {
		c = it->s[it->i++];
		if (it->esc) {
			it->esc = false;
			return fold(c);
		}
		if (c == '\\') {
			it->esc = true;
			it->sep = false;
			return c;
		}
		if (c == ',' || c == '=') {
			it->sep = true;
			return c;
		}
		if (c != ' ' || it->i <= it->keep) {
			it->sep = false;
			return fold(c);
		}
		if (it->sep)
			continue;
		/* a run of spaces: significant only if a value goes on after it */
		for (j = it->i; j < it->n && it->s[j] == ' '; j++)
			;
		if (j == it->n || it->s[j] == ',' || it->s[j] == '=') {
			it->i = j;
			continue;
		}
		it->keep = j;
		return c;
	}
	return -1;
}

bool
pe_ldap_dn_equal(const uint8_t *dn, size_t dn_len, const char *b,
	size_t b_len)
{
	struct dn_it x, y;
	int c;

	dn_it_init(&x, dn, dn_len);
	dn_it_init(&y, (const uint8_t *)b, b_len);
	do {
		c = dn_next(&x);
		if (c != dn_next(&y))
			return false;
	} while (c >= 0);
	return true;
}

/* Separators (unescaped ',') in s[0..n) */
static size_t
dn_seps(const uint8_t *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == ',')
			c++;
	}
	return c;
}

/* Offset just after the k-th (k >= 1) separator of s[0..n); n if none. */
static size_t
dn_after_sep(const uint8_t *s, size_t n, size_t k)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == ',' && --k == 0)
			return i + 1;
	}
	return n;
}

/*
 * A DN with R separators can only end in a suffix with r separators at one
 * place: after its (R - r)-th separator. So count, then compare once: O(n),
 * however many ',' a hostile DN holds.
 */
bool
pe_ldap_dn_suffix(const uint8_t *dn, size_t dn_len, const char *suffix,
	size_t suffix_len, size_t *prefix_len)
{
	const uint8_t *s = (const uint8_t *)suffix;
	size_t dn_sep, suf_sep, start = 0;
	struct dn_it it;

	dn_it_init(&it, s, suffix_len);
	if (dn_next(&it) < 0)
		return false;
	dn_sep = dn_seps(dn, dn_len);
	suf_sep = dn_seps(s, suffix_len);
	if (dn_sep < suf_sep)
		return false;
	if (dn_sep > suf_sep)
		start = dn_after_sep(dn, dn_len, dn_sep - suf_sep);
	if (!pe_ldap_dn_equal(dn + start, dn_len - start, suffix, suffix_len))
		return false;
	*prefix_len = start;
	return true;
}

/*
 * The DN of an LDAP URL (RFC 4516 §2):
 *
 *   ldap://host:port/dc=example,dc=com?attrs?scope?filter?exts
 *          \_______/ \_______________/
 *          authority       dn
 *
 * 0 and the DN span [*dn, *end) of u, or -ENOENT: not ldap:// or no DN.
 */
static int
uri_dn(const uint8_t *u, size_t n, size_t *dn, size_t *end)
{
	static const char scheme[] = "ldap://";
	size_t i, k = sizeof(scheme) - 1;

	if (n < k)
		return -ENOENT;
	for (i = 0; i < k; i++)
		if (fold(u[i]) != scheme[i])
			return -ENOENT;
	while (i < n && u[i] != '/' && u[i] != '?')
		i++;
	if (i == n || u[i] != '/')
		return -ENOENT;
	*dn = ++i;
	while (i < n && u[i] != '?')
		i++;
	*end = i;
	return 0;
}

/*
 * Length octets: how many encode @len when the original used @orig_ll of
 * them. Kept when the value fits (0x84 stays 0x84), else minimal.
 */
static size_t
len_size(size_t orig_ll, size_t len)
{
	uint64_t v = len;
	size_t k;

	if (orig_ll == 1 && v < 0x80)
		return 1;
	if (orig_ll > 1 && (v >> (8 * (orig_ll - 1))) == 0)
		return orig_ll;
	if (v < 0x80)
		return 1;
	for (k = 1; k < 4 && (v >> (8 * k)) != 0; k++)
		;
	return 1 + k;
}

static void
put_len(uint8_t *o, size_t ll, size_t len)
{
	size_t i;

	if (ll == 1) {
		o[0] = (uint8_t)len;
		return;
	}
	o[0] = (uint8_t)(0x80 | (ll - 1));
	for (i = ll - 1; i > 0; i--, len >>= 8)
		o[i] = (uint8_t)len;
}

/* Identifier octets of a TLV pe_ber_read_tlv() accepted */
static size_t
id_size(const uint8_t *p)
{
	size_t i = 1;

	if ((p[0] & 0x1f) == 0x1f)
		while (p[i++] & 0x80)
			;
	return i;
}

/*
 * The rewriter walks the message twice, visiting the same TLVs in the
 * same order: the first pass measures every new length, innermost first;
 * the second writes. The TLVs whose length can change form one chain:
 */
enum {
	RW_MSG,         /* LDAPMessage */
	RW_OP,          /* protocolOp */
	RW_REFERRAL,    /* LDAPResult referral [3] */
	RW_LEVELS
};

struct rw_level {
	bool open;
	size_t id_len;
	size_t ll;              /* length octets in p */
	size_t len;             /* value length in p */
	size_t new_len;         /* value length in out */
};

struct rw {
	const uint8_t *p;
	size_t n;
	const char *to;
	size_t to_len;
	const char *from;
	size_t from_len;
	uint32_t op_tag;        /* as pe_ldap_msg_parse() decoded it */
	bool emit;              /* second pass */
	size_t matched;
	struct rw_level lvl[RW_LEVELS];
	uint8_t *out;
	size_t cap;
	size_t o;               /* bytes written to out, <= cap */
	size_t done;            /* p[0..done) is accounted for in out */
	bool overflow;          /* not reached: the first pass measured */
};

static void
rw_put(struct rw *rw, const void *src, size_t len)
{
	if (len > rw->cap - rw->o) {
		rw->overflow = true;
		return;
	}
	if (len > 0)
		memcpy(rw->out + rw->o, src, len);
	rw->o += len;
}

/* Copy p[done..off) unchanged. */
static void
rw_copy_to(struct rw *rw, size_t off)
{
	rw_put(rw, rw->p + rw->done, off - rw->done);
	rw->done = off;
}

/* Identifier of the TLV at off, then new length octets */
static void
rw_put_hdr(struct rw *rw, size_t off, size_t id_len, size_t ll, size_t len)
{
	uint8_t b[8];

	rw_copy_to(rw, off);
	rw_put(rw, rw->p + off, id_len);
	put_len(b, ll, len);
	rw_put(rw, b, ll);
}

/* A constructed TLV of the chain whose length may change */
static void
rw_open(struct rw *rw, unsigned int k, size_t off, const struct pe_ber_tlv *t)
{
	struct rw_level *l = &rw->lvl[k];

	if (!rw->emit) {
		l->open = true;
		l->id_len = id_size(rw->p + off);
		l->ll = t->hdr_len - l->id_len;
		l->len = t->len;
		l->new_len = t->len;
		return;
	}
	rw_put_hdr(rw, off, l->id_len, len_size(l->ll, l->new_len), l->new_len);
	rw->done = off + t->hdr_len;
}

/*
 * A primitive TLV at off, child of level @k, holding a DN (or an LDAP URL
 * when @uri): replace the from suffix of the DN by the to suffix.
 */
static void
rw_field(struct rw *rw, unsigned int k, size_t off, const struct pe_ber_tlv *t,
	bool uri)
{
	size_t dn = 0, end = t->len, pre, id_len, ll, vlen;

	if (uri && uri_dn(t->val, t->len, &dn, &end) != 0)
		return;
	if (!pe_ldap_dn_suffix(t->val + dn, end - dn, rw->from, rw->from_len,
			&pre))
		return;
	pre += dn;
	vlen = pre + rw->to_len + (t->len - end);
	id_len = id_size(rw->p + off);
	ll = len_size(t->hdr_len - id_len, vlen);
	if (!rw->emit) {
		rw->matched++;
		rw->lvl[k].new_len = rw->lvl[k].new_len - (t->hdr_len + t->len) +
			id_len + ll + vlen;
		return;
	}
	rw_put_hdr(rw, off, id_len, ll, vlen);
	rw_put(rw, t->val, pre);
	rw_put(rw, rw->to, rw->to_len);
	rw_put(rw, t->val + end, t->len - end);
	rw->done = off + t->hdr_len + t->len;
}

/* Next child TLV in p[*pos..end): 0 and its offset in *at, or -ENOENT. */
static int
rw_next(const struct rw *rw, size_t *pos, size_t end, struct pe_ber_tlv *t,
	size_t *at)
{
	if (*pos >= end)
		return -ENOENT;
	if (pe_ber_read_tlv(rw->p + *pos, end - *pos, t, NULL) != 0)
		return -EBADMSG;  /* not reached after pe_ldap_msg_parse() */
	*at = *pos;
	*pos += t->hdr_len + t->len;
	return 0;
}

/* Next child must exist and be an LDAPDN (OCTET STRING): rewrite it. */
static int
rw_dn(struct rw *rw, size_t *pos, size_t end, enum pe_ber_reason *why)
{
	struct pe_ber_tlv t;
	size_t at;

	if (rw_next(rw, pos, end, &t, &at) != 0 || !is_octets(&t))
		return bad(why, PE_BER_OP_BODY);
	rw_field(rw, RW_OP, at, &t, false);
	return 0;
}

/* Next child must exist and be primitive universal @tag: skip it. */
static int
rw_skip(struct rw *rw, size_t *pos, size_t end, uint32_t tag,
	enum pe_ber_reason *why)
{
	struct pe_ber_tlv t;
	size_t at;

	if (rw_next(rw, pos, end, &t, &at) != 0 ||
			!is(&t, PE_BER_UNIVERSAL, false, tag))
		return bad(why, PE_BER_OP_BODY);
	return 0;
}

/* The URIs that fill p[pos..end), children of level @k */
static int
rw_uris(struct rw *rw, unsigned int k, size_t pos, size_t end,
	enum pe_ber_reason *why)
{
	struct pe_ber_tlv t;
	size_t at;
	int rc;

	while ((rc = rw_next(rw, &pos, end, &t, &at)) == 0) {
		if (!is_octets(&t))
			return bad(why, PE_BER_REFERRAL);
		rw_field(rw, k, at, &t, true);
	}
	return rc == -ENOENT ? 0 : bad(why, PE_BER_REFERRAL);
}

/*
 * ModifyDNRequest ::= [APPLICATION 12] SEQUENCE { entry LDAPDN,
 *	newrdn RelativeLDAPDN, deleteoldrdn BOOLEAN,
 *	newSuperior [0] LDAPDN OPTIONAL }
 */
static int
rw_moddn(struct rw *rw, size_t pos, size_t end, enum pe_ber_reason *why)
{
	struct pe_ber_tlv t;
	size_t at;

	if (rw_dn(rw, &pos, end, why) != 0 ||
			rw_skip(rw, &pos, end, PE_BER_TAG_OCTET_STRING, why) != 0 ||
			rw_skip(rw, &pos, end, PE_BER_TAG_BOOLEAN, why) != 0)
		return -EBADMSG;
	if (rw_next(rw, &pos, end, &t, &at) != 0 || t.cls != PE_BER_CONTEXT ||
			t.tag != 0)
		return 0;
	if (t.constructed)
		return bad(why, PE_BER_OP_BODY);
	rw_field(rw, RW_OP, at, &t, false);
	return 0;
}

/*
 * LDAPResult ::= SEQUENCE { resultCode ENUMERATED, matchedDN LDAPDN,
 *	diagnosticMessage LDAPString, referral [3] Referral OPTIONAL }
 * Referral ::= SEQUENCE SIZE (1..MAX) OF uri URI
 * (then BindResponse serverSaslCreds [7], ExtendedResponse [10] [11]: copied)
 */
static int
rw_result(struct rw *rw, size_t pos, size_t end, enum pe_ber_reason *why)
{
	struct pe_ber_tlv t;
	size_t at;

	if (rw_skip(rw, &pos, end, PE_BER_TAG_ENUMERATED, why) != 0 ||
			rw_dn(rw, &pos, end, why) != 0 ||
			rw_skip(rw, &pos, end, PE_BER_TAG_OCTET_STRING, why) != 0)
		return -EBADMSG;
	if (rw_next(rw, &pos, end, &t, &at) != 0 || t.cls != PE_BER_CONTEXT ||
			t.tag != 3)
		return 0;
	if (!t.constructed)
		return bad(why, PE_BER_REFERRAL);
	rw_open(rw, RW_REFERRAL, at, &t);
	return rw_uris(rw, RW_REFERRAL, at + t.hdr_len, at + t.hdr_len + t.len,
		why);
}

static bool
is_result_op(enum pe_ldap_op op)
{
	switch (op) {
	case PE_LDAP_OP_BIND_RESP:
	case PE_LDAP_OP_SEARCH_DONE:
	case PE_LDAP_OP_MODIFY_RESP:
	case PE_LDAP_OP_ADD_RESP:
	case PE_LDAP_OP_DEL_RESP:
	case PE_LDAP_OP_MODDN_RESP:
	case PE_LDAP_OP_COMPARE_RESP:
	case PE_LDAP_OP_EXTENDED_RESP:
		return true;
	default:
		return false;
	}
}

/* Which protocolOps hold DNs in which direction */
static bool
rw_applies(uint32_t op, bool request)
{
	switch (op) {
	case PE_LDAP_OP_BIND_REQ:
	case PE_LDAP_OP_SEARCH_REQ:
	case PE_LDAP_OP_MODIFY_REQ:
	case PE_LDAP_OP_ADD_REQ:
	case PE_LDAP_OP_DEL_REQ:
	case PE_LDAP_OP_MODDN_REQ:
	case PE_LDAP_OP_COMPARE_REQ:
		return request;
	case PE_LDAP_OP_SEARCH_ENTRY:
	case PE_LDAP_OP_SEARCH_REF:
		return !request;
	default:
		/* every LDAPResult response: its matchedDN and referrals */
		return !request && is_result_op((enum pe_ldap_op)op);
	}
}

/* One pass over the message: the DN-holding TLVs in the order of p. */
static int
rw_walk(struct rw *rw, size_t op_off, enum pe_ber_reason *why)
{
	struct pe_ber_tlv msg, op;
	size_t pos, end;

	if (pe_ber_read_tlv(rw->p, rw->n, &msg, NULL) != 0 ||
			msg.hdr_len + msg.len != rw->n ||
			!is(&msg, PE_BER_UNIVERSAL, true, PE_BER_TAG_SEQUENCE))
		return bad(why, PE_BER_NOT_SEQUENCE);
	if (op_off <= msg.hdr_len || op_off >= rw->n ||
			pe_ber_read_tlv(rw->p + op_off, rw->n - op_off, &op,
				NULL) != 0 ||
			op.cls != PE_BER_APPLICATION || op.tag != rw->op_tag)
		return bad(why, PE_BER_OP);
	rw_open(rw, RW_MSG, 0, &msg);

	/* DelRequest ::= [APPLICATION 10] LDAPDN: the op is the DN */
	if (op.tag == PE_LDAP_OP_DEL_REQ) {
		if (op.constructed)
			return bad(why, PE_BER_OP_FORM);
		rw_field(rw, RW_MSG, op_off, &op, false);
		return 0;
	}
	if (!op.constructed)
		return bad(why, PE_BER_OP_FORM);
	rw_open(rw, RW_OP, op_off, &op);
	pos = op_off + op.hdr_len;
	end = pos + op.len;

	switch (op.tag) {
	case PE_LDAP_OP_BIND_REQ:
		/* BindRequest ::= { version INTEGER, name LDAPDN, authentication } */
		if (rw_skip(rw, &pos, end, PE_BER_TAG_INTEGER, why) != 0)
			return -EBADMSG;
		return rw_dn(rw, &pos, end, why);
	case PE_LDAP_OP_SEARCH_REQ:     /* { baseObject LDAPDN, scope, ... } */
	case PE_LDAP_OP_MODIFY_REQ:     /* { object LDAPDN, changes } */
	case PE_LDAP_OP_ADD_REQ:        /* { entry LDAPDN, attributes } */
	case PE_LDAP_OP_COMPARE_REQ:    /* { entry LDAPDN, ava } */
	case PE_LDAP_OP_SEARCH_ENTRY:   /* { objectName LDAPDN, attributes } */
		return rw_dn(rw, &pos, end, why);
	case PE_LDAP_OP_MODDN_REQ:
		return rw_moddn(rw, pos, end, why);
	case PE_LDAP_OP_SEARCH_REF:     /* [APPLICATION 19] SEQUENCE OF URI */
		return rw_uris(rw, RW_OP, pos, end, why);
	default:                        /* the LDAPResult responses */
		return rw_result(rw, pos, end, why);
	}
}

/*
 * The new value length of each level of the chain, innermost first: a
 * level's new length is its children's, its own header may then grow or
 * shrink, and that changes its parent's.
 */
static int
rw_measure(struct rw *rw, size_t *total, enum pe_ber_reason *why)
{
	struct rw_level *l, *up;
	unsigned int k;

	for (k = RW_LEVELS - 1; k > 0; k--) {
		l = &rw->lvl[k];
		up = &rw->lvl[k - 1];
		if (!l->open)
			continue;
		if (l->new_len > PE_BER_MAX_LEN)
			return bad(why, PE_BER_TOO_LONG);
		up->new_len = up->new_len - (l->id_len + l->ll + l->len) +
			l->id_len + len_size(l->ll, l->new_len) + l->new_len;
	}
	l = &rw->lvl[RW_MSG];
	if (l->new_len > PE_BER_MAX_LEN)
		return bad(why, PE_BER_TOO_LONG);
	*total = l->id_len + len_size(l->ll, l->new_len) + l->new_len;
	return 0;
}

long
pe_ldap_rewrite(const uint8_t *p, size_t n, const struct pe_ldap_msg *m,
	const struct pe_ldap_dn_map *map, bool request, uint8_t *out, size_t cap,
	enum pe_ber_reason *why)
{
	struct rw rw;
	size_t total;
	int rc;

	if (!rw_applies(m->op.tag, request) ||
			m->op.cls != PE_BER_APPLICATION)
		return 0;
	memset(&rw, 0, sizeof(rw));
	rw.p = p;
	rw.n = n;
	rw.op_tag = m->op.tag;
	rw.from = request ? map->client : map->backend;
	rw.from_len = request ? map->client_len : map->backend_len;
	rw.to = request ? map->backend : map->client;
	rw.to_len = request ? map->backend_len : map->client_len;

	rc = rw_walk(&rw, m->op_off, why);
	if (rc < 0)
		return rc;
	if (rw.matched == 0)
		return 0;
	rc = rw_measure(&rw, &total, why);
	if (rc < 0)
		return rc;
	if (total > cap)
		return -ENOSPC;

	rw.emit = true;
	rw.out = out;
	rw.cap = cap;
	if (rw_walk(&rw, m->op_off, why) != 0)
		return -EBADMSG;  /* not reached: the first pass walked it */
	rw_copy_to(&rw, n);
	if (rw.overflow || rw.o != total)
		return -EBADMSG;  /* not reached */
	return (long)total;
}

/* Minimal two's complement octets of a non-negative v (X.690 §8.3.2) */
static size_t
int_size(uint32_t v)
{
	size_t k = 1;

	while (k < 5 && (uint64_t)v >= (uint64_t)1 << (8 * k - 1))
		k++;
	return k;
}

static uint8_t *
put_hdr(uint8_t *o, uint8_t id, size_t len)
{
	size_t ll = len_size(0, len);

	*o++ = id;
	put_len(o, ll, len);
	return o + ll;
}

static uint8_t *
put_int(uint8_t *o, uint8_t id, uint32_t v)
{
	size_t k = int_size(v), i;

	o = put_hdr(o, id, k);
	for (i = k; i > 0; i--, v = (uint32_t)((uint64_t)v >> 8))
		o[i - 1] = (uint8_t)v;
	return o + k;
}

static uint8_t *
put_str(uint8_t *o, const char *s, size_t len)
{
	o = put_hdr(o, PE_BER_TAG_OCTET_STRING, len);
	if (len > 0)
		memcpy(o, s, len);
	return o + len;
}

/* TLV size of a value of @len in minimal form */
static size_t
tlv_size(size_t len)
{
	return 1 + len_size(0, len) + len;
}

/*
 *   30 L  02 k messageID
 *         6t L  0a k resultCode  04 L matchedDN  04 L diagnosticMessage
 */
long
pe_ldap_encode_result(uint8_t *out, size_t cap, uint32_t msg_id,
	enum pe_ldap_op resp_op, uint8_t result_code, const char *matched_dn,
	const char *diag)
{
	size_t dn_len = matched_dn ? strlen(matched_dn) : 0;
	size_t diag_len = diag ? strlen(diag) : 0;
	size_t res, msg, total;
	uint8_t *o = out;

	if (!is_result_op(resp_op) || msg_id > INT32_MAX ||
			dn_len > PE_BER_MAX_LEN || diag_len > PE_BER_MAX_LEN)
		return -EINVAL;
	res = tlv_size(int_size(result_code)) + tlv_size(dn_len) +
		tlv_size(diag_len);
	msg = tlv_size(int_size(msg_id)) + tlv_size(res);
	if (msg > PE_BER_MAX_LEN)
		return -EINVAL;
	total = tlv_size(msg);
	if (total > cap)
		return -ENOSPC;
	o = put_hdr(o, 0x20 | PE_BER_TAG_SEQUENCE, msg);
	o = put_int(o, PE_BER_TAG_INTEGER, msg_id);
	o = put_hdr(o, (uint8_t)(PE_BER_APPLICATION << 6 | 0x20 | resp_op), res);
	o = put_int(o, PE_BER_TAG_ENUMERATED, result_code);
	o = put_str(o, matched_dn, dn_len);
	o = put_str(o, diag, diag_len);
	return (long)(o - out);
}

int
pe_ldap_response_op(enum pe_ldap_op req)
{
	switch (req) {
	case PE_LDAP_OP_BIND_REQ:
		return PE_LDAP_OP_BIND_RESP;
	case PE_LDAP_OP_SEARCH_REQ:
		return PE_LDAP_OP_SEARCH_DONE;
	case PE_LDAP_OP_MODIFY_REQ:
		return PE_LDAP_OP_MODIFY_RESP;
	case PE_LDAP_OP_ADD_REQ:
		return PE_LDAP_OP_ADD_RESP;
	case PE_LDAP_OP_DEL_REQ:
		return PE_LDAP_OP_DEL_RESP;
	case PE_LDAP_OP_MODDN_REQ:
		return PE_LDAP_OP_MODDN_RESP;
	case PE_LDAP_OP_COMPARE_REQ:
		return PE_LDAP_OP_COMPARE_RESP;
	case PE_LDAP_OP_EXTENDED_REQ:
		return PE_LDAP_OP_EXTENDED_RESP;
	default:
		return -1;
	}
}

static const char *const op_names[] = {
	[PE_LDAP_OP_BIND_REQ] = "bind",
	[PE_LDAP_OP_UNBIND_REQ] = "unbind",
	[PE_LDAP_OP_SEARCH_REQ] = "search",
	[PE_LDAP_OP_MODIFY_REQ] = "modify",
	[PE_LDAP_OP_ADD_REQ] = "add",
	[PE_LDAP_OP_DEL_REQ] = "delete",
	[PE_LDAP_OP_MODDN_REQ] = "moddn",
	[PE_LDAP_OP_COMPARE_REQ] = "compare",
	[PE_LDAP_OP_ABANDON_REQ] = "abandon",
	[PE_LDAP_OP_EXTENDED_REQ] = "extended",
};

#define OP_NAMES (sizeof(op_names) / sizeof(op_names[0]))

const char *
pe_ldap_op_name(enum pe_ldap_op op)
{
	if ((unsigned int)op >= OP_NAMES)
		return NULL;
	return op_names[op];
}

int
pe_ldap_op_from_name(const char *name)
{
	unsigned int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < OP_NAMES; i++)
		if (op_names[i] != NULL && strcmp(op_names[i], name) == 0)
			return (int)i;
	return -1;
}

/*
 * ExtendedRequest ::= [APPLICATION 23] SEQUENCE {
 *	requestName [0] LDAPOID, requestValue [1] OCTET STRING OPTIONAL }
 */
bool
pe_ldap_is_starttls(const uint8_t *p, size_t n, const struct pe_ldap_msg *m)
{
	static const char oid[] = "1.3.6.1.4.1.1466.20037";
	struct pe_ber_tlv op, t;

	if (m->op_off == 0 || m->op_off >= n ||
			pe_ber_read_tlv(p + m->op_off, n - m->op_off, &op, NULL) != 0 ||
			!is(&op, PE_BER_APPLICATION, true, PE_LDAP_OP_EXTENDED_REQ) ||
			pe_ber_read_tlv(op.val, op.len, &t, NULL) != 0 ||
			!is(&t, PE_BER_CONTEXT, false, 0))
		return false;
	return t.len == sizeof(oid) - 1 && memcmp(t.val, oid, t.len) == 0;
}
