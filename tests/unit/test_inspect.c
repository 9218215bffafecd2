/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The inspection API (src/inspect/inspect.h): pe_inspector_find,
 * pe_verdict_str, pe_inspect_apply, and the two inspectors driven through
 * their ops tables with policies loaded by pe_config_load() from
 * config/inspector_*.conf (run with the working directory tests/unit).
 *
 * LDAP messages are python3-ldap3 2.9.1 encodings (pyasn1 BER encoder), as in
 * test_ber.c. Each message is copied into a heap buffer of its exact size
 * before inspect() or frame() see it, so ASan or valgrind catch a read past
 * m->len.
 *
 * The LDAP inspector keeps the policy it was given by init() in a static, so
 * the tests run in one cmocka group per config file; each group's setup
 * loads the file and calls init() once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unhex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "inspect/inspect.h"
#include "proto/ber.h"
#include "proto/ldap_rewrite.h"

/*
 * Vectors: for each, the python that encodes it, with
 *
 *   from pyasn1.codec.ber import encoder
 *   from ldap3 import ANONYMOUS, SASL, SIMPLE, SUBTREE, DEREF_NEVER
 *   from ldap3.operation.bind import bind_operation
 *   from ldap3.operation.search import search_operation
 *   from ldap3.operation.add import add_operation
 *   from ldap3.operation.delete import delete_operation
 *   from ldap3.operation.abandon import abandon_operation
 *   from ldap3.operation.unbind import unbind_operation
 *   from ldap3.operation.extended import extended_operation
 *   from ldap3.protocol.rfc4511 import (LDAPMessage, MessageID, ProtocolOp, ResultCode,
 *       LDAPDN, LDAPString, BindResponse, SearchResultDone, AddResponse, DelResponse,
 *       SearchResultEntry, PartialAttributeList)
 *
 *   def msg(i, op, body):
 *       m = LDAPMessage(); m['messageID'] = MessageID(i)
 *       m['protocolOp'] = ProtocolOp().setComponentByName(op, body)
 *       return encoder.encode(m).hex()
 *   def result(cls, code, matched='', diag=''):
 *       r = cls(); r['resultCode'] = ResultCode(code); r['matchedDN'] = LDAPDN(matched)
 *       r['diagnosticMessage'] = LDAPString(diag); return r
 *   def unauth(dn):   # ldap3 refuses a SIMPLE bind with an empty password: build it
 *       b = bind_operation(3, ANONYMOUS, '', ''); b['name'] = LDAPDN(dn); return b
 *   def entry(dn):
 *       e = SearchResultEntry(); e['object'] = LDAPDN(dn)
 *       e['attributes'] = PartialAttributeList(); return e
 */

/* msg(1, 'bindRequest', bind_operation(3, SIMPLE, 'cn=admin,dc=example,dc=com', 'secret')) */
#define B_ADMIN "302c0201016027020103041a636e3d61646d696e2c64633d6578616d706c652c" \
	"64633d636f6d8006736563726574"
/* msg(1, 'bindRequest', bind_operation(3, SIMPLE, 'CN=Admin, DC=Example,DC=com', 'secret')) */
#define B_ADMIN_CASE "302d0201016028020103041b434e3d41646d696e2c2044433d4578616d706c65" \
	"2c44433d636f6d8006736563726574"
/* msg(2, 'bindRequest', bind_operation(3, SIMPLE, 'uid=pat,ou=people,dc=example,dc=com', 'pw')) */
#define B_PEOPLE "3031020102602c02010304237569643d7061742c6f753d70656f706c652c6463" \
	"3d6578616d706c652c64633d636f6d80027077"
/* msg(3, 'bindRequest', bind_operation(3, SIMPLE, 'cn=operator,ou=admins,dc=example,dc=com', 'pw')) */
#define B_OPERATOR "303502010360300201030427636e3d6f70657261746f722c6f753d61646d696e" \
	"732c64633d6578616d706c652c64633d636f6d80027077"
/* msg(3, 'bindRequest', bind_operation(3, SIMPLE, 'CN=OPERATOR,OU=ADMINS,dc=example,dc=com', 'pw')) */
#define B_OPERATOR_UC "303502010360300201030427434e3d4f50455241544f522c4f553d41444d494e" \
	"532c64633d6578616d706c652c64633d636f6d80027077"
/* msg(4, 'bindRequest', bind_operation(3, SIMPLE, 'uid=x,dc=example,dc=com', 'pw')) */
#define B_EXAMPLE "3025020104602002010304177569643d782c64633d6578616d706c652c64633d" \
	"636f6d80027077"
/* msg(4, 'bindRequest', bind_operation(3, SIMPLE, 'uid=x,dc=other,dc=org', 'pw')) */
#define B_OTHER "3023020104601e02010304157569643d782c64633d6f746865722c64633d6f72" \
	"6780027077"
/* msg(7, 'bindRequest', bind_operation(3, ANONYMOUS, '', '')) */
#define B_ANON "300c020107600702010304008000"
/* msg(8, 'bindRequest', unauth('uid=pat,ou=people,dc=example,dc=com')): name, empty password */
#define B_UNAUTH "302f020108602a02010304237569643d7061742c6f753d70656f706c652c6463" \
	"3d6578616d706c652c64633d636f6d8000"
/* msg(9, 'bindRequest', bind_operation(3, SASL, '', None, sasl_mechanism='EXTERNAL')) */
#define B_SASL "301602010960110201030400a30a040845585445524e414c"
/* msg(5, 'searchRequest', search_operation('cn=admin,dc=example,dc=com', '(objectClass=*)',
 *     SUBTREE, DEREF_NEVER, ['cn'], 0, 0, False, None, True)) */
#define S_ADMIN_BASE "3043020105633e041a636e3d61646d696e2c64633d6578616d706c652c64633d" \
	"636f6d0a01020a0100020100020100010100870b6f626a656374436c61737330" \
	"040402636e"
/* msg(6, 'addRequest', add_operation('uid=new,dc=example,dc=com',
 *     {'objectClass': ['top'], 'uid': 'new'}, True)) */
#define A_ADD "3046020106684104197569643d6e65772c64633d6578616d706c652c64633d63" \
	"6f6d30243014040b6f626a656374436c61737331050403746f70300c04037569" \
	"64310504036e6577"
/* msg(10, 'delRequest', delete_operation('uid=new,dc=example,dc=com')) */
#define D_DEL "301e02010a4a197569643d6e65772c64633d6578616d706c652c64633d636f6d"
/* msg(11, 'abandonRequest', abandon_operation(5)) */
#define AB_ABANDON "300602010b500105"
/* msg(12, 'unbindRequest', unbind_operation()) */
#define U_UNBIND "300502010c4200"
/* msg(13, 'extendedReq', extended_operation('1.3.6.1.4.1.1466.20037')): StartTLS */
#define X_STARTTLS "301d02010d77188016312e332e362e312e342e312e313436362e3230303337"
/* msg(14, 'extendedReq', extended_operation('1.3.6.1.4.1.4203.1.11.3')): Who am I? */
#define X_WHOAMI "301e02010e77198017312e332e362e312e342e312e343230332e312e31312e33"
/* msg(1, 'bindResponse', result(BindResponse, 0)) */
#define R_BIND_RESP "300c02010161070a010004000400"

/* The refusals the inspector must write (pe_ldap_encode_result: minimal BER, as pyasn1) */
/* msg(7, 'bindResponse', result(BindResponse, 53, '', 'anonymous bind refused by proxy policy')) */
#define REF_ANON "3032020107612d0a013504000426616e6f6e796d6f75732062696e6420726566" \
	"757365642062792070726f787920706f6c696379"
/* msg(8, 'bindResponse', result(BindResponse, 53, '', 'anonymous bind refused by proxy policy')) */
#define REF_UNAUTH "3032020108612d0a013504000426616e6f6e796d6f75732062696e6420726566" \
	"757365642062792070726f787920706f6c696379"
/* msg(10, 'delResponse', result(DelResponse, 53, '', 'operation delete not allowed by proxy policy')) */
#define REF_DEL "303802010a6b330a01350400042c6f7065726174696f6e2064656c657465206e" \
	"6f7420616c6c6f7765642062792070726f787920706f6c696379"
/* msg(5, 'searchResDone', result(SearchResultDone, 53, '',
 *     'operation search not allowed by proxy policy')) */
#define REF_SEARCH "303802010565330a01350400042c6f7065726174696f6e20736561726368206e" \
	"6f7420616c6c6f7765642062792070726f787920706f6c696379"
/* msg(6, 'addResponse', result(AddResponse, 53, '', 'operation add not allowed by proxy policy')) */
#define REF_ADD "303502010669300a0135040004296f7065726174696f6e20616464206e6f7420" \
	"616c6c6f7765642062792070726f787920706f6c696379"

/* Rewrite: client suffix dc=corp,dc=example <-> backend suffix dc=example,dc=com */
/* msg(21, 'bindRequest', bind_operation(3, SIMPLE, 'uid=pat,ou=people,dc=corp,dc=example', 'pw')) */
#define RW_BIND_C "3032020115602d02010304247569643d7061742c6f753d70656f706c652c6463" \
	"3d636f72702c64633d6578616d706c6580027077"
/* msg(21, 'bindRequest', bind_operation(3, SIMPLE, 'uid=pat,ou=people,dc=example,dc=com', 'pw')) */
#define RW_BIND_B "3031020115602c02010304237569643d7061742c6f753d70656f706c652c6463" \
	"3d6578616d706c652c64633d636f6d80027077"
/* msg(22, 'searchResEntry', entry('uid=alice,dc=example,dc=com')) */
#define RW_ENTRY_B "3024020116641f041b7569643d616c6963652c64633d6578616d706c652c6463" \
	"3d636f6d3000"
/* msg(22, 'searchResEntry', entry('uid=alice,dc=corp,dc=example')) */
#define RW_ENTRY_C "30250201166420041c7569643d616c6963652c64633d636f72702c64633d6578" \
	"616d706c653000"
/* msg(22, 'searchResDone', result(SearchResultDone, 32, 'dc=example,dc=com', 'no such object')) */
#define RW_DONE_B "302b02011665260a0120041164633d6578616d706c652c64633d636f6d040e6e" \
	"6f2073756368206f626a656374"
/* msg(22, 'searchResDone', result(SearchResultDone, 32, 'dc=corp,dc=example', 'no such object')) */
#define RW_DONE_C "302c02011665270a0120041264633d636f72702c64633d6578616d706c65040e" \
	"6e6f2073756368206f626a656374"
/* msg(23, 'bindRequest', bind_operation(3, SIMPLE, 'uid=x,dc=other,dc=org', 'pw')) */
#define RW_BIND_OTHER "3023020117601e02010304157569643d782c64633d6f746865722c64633d6f72" \
	"6780027077"

#define SCRATCH_LEN 4096
#define ERR_LEN 512

/* One pe_config per fixture: the LDAP inspector keeps a pointer into it. */
static struct pe_config cfg_ldap, cfg_open, cfg_rewrite, cfg_lines;
static char err[ERR_LEN];
static uint8_t scratch[SCRATCH_LEN];

/* One message under test, in a heap buffer of exactly its size. */
struct msg {
	uint8_t *p;
	size_t n;
};

static struct msg
msg_bytes(const void *p, size_t n)
{
	struct msg m = { malloc(n ? n : 1), n };

	assert_non_null(m.p);
	if (n != 0)
		memcpy(m.p, p, n);
	return m;
}

static struct msg
msg_hex(const char *hex)
{
	uint8_t buf[1024];

	return msg_bytes(buf, unhex(hex, buf, sizeof(buf)));
}

/* inspect() @m as sent by @from, bound or not, with @scratch_len bytes of scratch. */
static void
inspect_n(const struct pe_inspector *ins, const struct msg *m, enum pe_side from, bool bound,
		size_t scratch_len, struct pe_inspect_result *r)
{
	struct pe_inspect_msg im = {
		.data = m->p, .len = (uint32_t)m->n, .from = from, .bound = bound,
		.conn_state = NULL, .scratch = scratch, .scratch_len = scratch_len,
	};

	/* as the engine hands it over: zeroed, pool -1 */
	memset(r, 0, sizeof(*r));
	r->pool = -1;
	memset(scratch, 0xa5, sizeof(scratch));
	ins->inspect(&im, r);
}

/* Inspect LDAP message @hex; the result in *r. */
static void
ldap_run(const char *hex, enum pe_side from, bool bound, struct pe_inspect_result *r)
{
	struct msg m = msg_hex(hex);

	inspect_n(&pe_inspector_ldap, &m, from, bound, sizeof(scratch), r);
	free(m.p);
}

/* *r is @verdict, chose pool @pool under rule @rule, no edits, no reply. */
static void
assert_plain(const struct pe_inspect_result *r, enum pe_verdict verdict, int pool, int rule)
{
	assert_string_equal(pe_verdict_str(r->verdict), pe_verdict_str(verdict));
	assert_int_equal(r->pool, pool);
	assert_int_equal(r->rule, rule);
	assert_int_equal(r->n_edits, 0);
	assert_null(r->reply);
	assert_int_equal(r->reply_len, 0);
}

static void
route_case(const char *hex, bool bound, enum pe_verdict verdict, int pool, int rule)
{
	struct pe_inspect_result r;

	ldap_run(hex, PE_SIDE_CLIENT, bound, &r);
	assert_plain(&r, verdict, pool, rule);
}

/*
 * r is a REFUSE whose reply is exactly @want_hex, and decodes as an
 * LDAPResult response @resp_op to messageID @id with resultCode 53 and
 * diagnosticMessage @diag.
 */
static void
assert_refusal(const struct pe_inspect_result *r, const char *want_hex, uint32_t id,
		enum pe_ldap_op resp_op, const char *diag)
{
	uint8_t want[256];
	size_t n = unhex(want_hex, want, sizeof(want));
	struct pe_ldap_msg msg;
	struct pe_ber_tlv code, dn, text;
	struct msg copy;

	assert_int_equal(r->verdict, PE_VERDICT_REFUSE);
	assert_int_equal(r->pool, -1);
	assert_int_equal(r->n_edits, 0);
	assert_non_null(r->reply);
	assert_ptr_equal(r->reply, scratch);
	assert_int_equal(r->reply_len, n);
	assert_memory_equal(r->reply, want, n);

	/* and it decodes, independently of the byte comparison */
	copy = msg_bytes(r->reply, r->reply_len);
	assert_int_equal(pe_ldap_msg_parse(copy.p, copy.n, &msg, NULL), 0);
	assert_int_equal(msg.len, copy.n);
	assert_int_equal(msg.msg_id, id);
	assert_int_equal(msg.op.cls, PE_BER_APPLICATION);
	assert_true(msg.op.constructed);
	assert_int_equal(msg.op.tag, resp_op);
	assert_false(msg.has_controls);
	/* LDAPResult ::= SEQUENCE { resultCode ENUMERATED, matchedDN, diagnosticMessage, ... } */
	assert_int_equal(pe_ber_read_tlv(msg.op.val, msg.op.len, &code, NULL), 0);
	assert_int_equal(code.cls, PE_BER_UNIVERSAL);
	assert_false(code.constructed);
	assert_int_equal(code.tag, PE_BER_TAG_ENUMERATED);
	assert_int_equal(code.len, 1);
	assert_int_equal(code.val[0], PE_LDAP_RC_UNWILLING_TO_PERFORM);
	assert_int_equal(code.val[0], 53);
	assert_int_equal(pe_ber_read_tlv(code.val + code.len,
			msg.op.len - code.hdr_len - code.len, &dn, NULL), 0);
	assert_int_equal(dn.tag, PE_BER_TAG_OCTET_STRING);
	assert_int_equal(dn.len, 0);
	assert_int_equal(pe_ber_read_tlv(dn.val + dn.len,
			msg.op.len - code.hdr_len - code.len - dn.hdr_len, &text, NULL), 0);
	assert_int_equal(text.tag, PE_BER_TAG_OCTET_STRING);
	assert_int_equal(text.len, strlen(diag));
	assert_memory_equal(text.val, diag, text.len);
	assert_ptr_equal(text.val + text.len, msg.op.val + msg.op.len);
	free(copy.p);
}

/* r is one whole-message REWRITE whose applied output is exactly @want_hex. */
static void
assert_rewritten(const char *in_hex, const struct pe_inspect_result *r, const char *want_hex)
{
	uint8_t in[512], want[512], out[512];
	size_t n = unhex(in_hex, in, sizeof(in));
	size_t wn = unhex(want_hex, want, sizeof(want));
	long got;

	assert_int_equal(r->verdict, PE_VERDICT_REWRITE);
	assert_int_equal(r->n_edits, 1);
	assert_int_equal(r->edits[0].off, 0);
	assert_int_equal(r->edits[0].del, n);
	assert_ptr_equal(r->edits[0].ins, scratch);
	assert_int_equal(r->edits[0].ins_len, wn);
	assert_null(r->reply);
	got = pe_inspect_apply(in, (uint32_t)n, r, out, sizeof(out));
	assert_int_equal(got, (long)wn);
	assert_memory_equal(out, want, wn);
}

static int
load_init(const char *path, struct pe_config *cfg, const struct pe_inspector *ins)
{
	int rc = pe_config_load(path, cfg, err, sizeof(err));

	if (rc != 0) {
		print_error("%s: %s\n", path, err);
		return -1;
	}
	if (strcmp(cfg->inspect.protocol, ins->name) != 0)
		return -1;
	err[0] = '\0';
	if (ins->init(cfg, err, sizeof(err)) != 0 || err[0] != '\0') {
		print_error("%s: init: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* ---- pe_inspector_find, pe_verdict_str ----------------------------------- */

static void
test_find(void **state)
{
	const struct pe_inspector *all[] = { &pe_inspector_ldap, &pe_inspector_lines };
	unsigned int i;

	(void)state;
	assert_ptr_equal(pe_inspector_find("ldap"), &pe_inspector_ldap);
	assert_ptr_equal(pe_inspector_find("lines"), &pe_inspector_lines);
	assert_null(pe_inspector_find("LDAP"));
	assert_null(pe_inspector_find("ldap "));
	assert_null(pe_inspector_find("ldapx"));
	assert_null(pe_inspector_find("lin"));
	assert_null(pe_inspector_find(""));
	for (i = 0; i < 2; i++) {
		assert_ptr_equal(pe_inspector_find(all[i]->name), all[i]);
		assert_true(all[i]->conn_state_size <= PE_INSPECT_STATE_MAX);
		assert_non_null(all[i]->init);
		assert_non_null(all[i]->inspects);
		assert_non_null(all[i]->frame);
		assert_non_null(all[i]->inspect);
		assert_non_null(all[i]->n_rules);
		assert_non_null(all[i]->rule_name);
	}
}

static void
test_verdict_str(void **state)
{
	(void)state;
	assert_string_equal(pe_verdict_str(PE_VERDICT_PASS), "pass");
	assert_string_equal(pe_verdict_str(PE_VERDICT_DROP), "drop");
	assert_string_equal(pe_verdict_str(PE_VERDICT_RESET), "reset");
	assert_string_equal(pe_verdict_str(PE_VERDICT_REWRITE), "rewrite");
	assert_string_equal(pe_verdict_str(PE_VERDICT_REFUSE), "refuse");
	assert_string_equal(pe_verdict_str(PE_VERDICT_PASSTHROUGH), "passthrough");
	assert_string_equal(pe_verdict_str(PE_VERDICT_MAX), "?");
	assert_string_equal(pe_verdict_str((enum pe_verdict)-1), "?");
	assert_string_equal(pe_verdict_str((enum pe_verdict)1000), "?");
}

/* ---- pe_inspect_apply ------------------------------------------------------ */

static const uint8_t abc[] = "abcdefghij";   /* 10 bytes, the message of these tests */

static struct pe_inspect_edit
edit(uint32_t off, uint32_t del, const char *ins)
{
	return (struct pe_inspect_edit){
		.off = off, .del = del, .ins = (const uint8_t *)ins,
		.ins_len = ins != NULL ? (uint32_t)strlen(ins) : 0,
	};
}

/* Apply @n edits to abc with a large buffer; -errno, or the output equals @want. */
static long
apply(unsigned int n, const struct pe_inspect_edit *e, const char *want)
{
	struct pe_inspect_result r = { .verdict = PE_VERDICT_REWRITE, .pool = -1 };
	uint8_t out[64];
	long got;

	r.n_edits = (uint8_t)n;
	memcpy(r.edits, e, n * sizeof(*e));
	got = pe_inspect_apply(abc, 10, &r, out, sizeof(out));
	if (got >= 0 && want != NULL) {
		assert_int_equal(got, (long)strlen(want));
		assert_memory_equal(out, want, (size_t)got);
	}
	return got;
}

static void
test_apply_edits(void **state)
{
	struct pe_inspect_edit e[PE_INSPECT_MAX_EDITS] = { { 0, 0, NULL, 0 } };
	unsigned int i;

	(void)state;
	/* none: a copy */
	assert_int_equal(apply(0, e, "abcdefghij"), 10);
	/* insert, delete, replace, each at the start, middle and end */
	e[0] = edit(0, 0, "XY");
	assert_int_equal(apply(1, e, "XYabcdefghij"), 12);
	e[0] = edit(5, 0, "XY");
	assert_int_equal(apply(1, e, "abcdeXYfghij"), 12);
	e[0] = edit(10, 0, "XY");
	assert_int_equal(apply(1, e, "abcdefghijXY"), 12);
	e[0] = edit(0, 3, NULL);
	assert_int_equal(apply(1, e, "defghij"), 7);
	e[0] = edit(4, 2, NULL);
	assert_int_equal(apply(1, e, "abcdghij"), 8);
	e[0] = edit(7, 3, NULL);
	assert_int_equal(apply(1, e, "abcdefg"), 7);
	e[0] = edit(0, 10, NULL);
	assert_int_equal(apply(1, e, ""), 0);
	e[0] = edit(2, 3, "12345678");
	assert_int_equal(apply(1, e, "ab12345678fghij"), 15);
	e[0] = edit(0, 10, "Z");
	assert_int_equal(apply(1, e, "Z"), 1);
	/* an empty insert with nothing deleted changes nothing */
	e[0] = edit(3, 0, NULL);
	assert_int_equal(apply(1, e, "abcdefghij"), 10);
	/* several, sorted: adjacent ones and two inserts at one offset are fine */
	e[0] = edit(0, 1, "A");
	e[1] = edit(1, 1, "B");
	e[2] = edit(4, 0, "<");
	e[3] = edit(4, 0, ">");
	e[4] = edit(4, 2, "");
	e[5] = edit(9, 1, "JJ");
	assert_int_equal(apply(6, e, "ABcd<>ghiJJ"), 11);
	/* the most edits there may be */
	for (i = 0; i < PE_INSPECT_MAX_EDITS; i++)
		e[i] = edit(i, 1, "__");
	assert_int_equal(apply(PE_INSPECT_MAX_EDITS, e, "________________ij"), 18);
}

static void
test_apply_einval(void **state)
{
	struct pe_inspect_result r = { .verdict = PE_VERDICT_REWRITE, .pool = -1 };
	struct pe_inspect_edit e[PE_INSPECT_MAX_EDITS] = { { 0, 0, NULL, 0 } };
	uint8_t out[64];
	unsigned int i;

	(void)state;
	/* not sorted */
	e[0] = edit(5, 0, "x");
	e[1] = edit(2, 0, "y");
	assert_int_equal(apply(2, e, NULL), -EINVAL);
	/* overlapping: the second starts inside what the first deletes */
	e[0] = edit(2, 3, "x");
	e[1] = edit(4, 1, "y");
	assert_int_equal(apply(2, e, NULL), -EINVAL);
	e[0] = edit(2, 3, NULL);
	e[1] = edit(2, 0, "y");
	assert_int_equal(apply(2, e, NULL), -EINVAL);
	/* the same, third of three */
	e[0] = edit(0, 0, "a");
	e[1] = edit(3, 4, "b");
	e[2] = edit(6, 0, "c");
	assert_int_equal(apply(3, e, NULL), -EINVAL);
	/* out of range: offset past the end, deletion past the end */
	e[0] = edit(11, 0, "x");
	assert_int_equal(apply(1, e, NULL), -EINVAL);
	e[0] = edit(UINT32_MAX, 0, "x");
	assert_int_equal(apply(1, e, NULL), -EINVAL);
	e[0] = edit(8, 3, NULL);
	assert_int_equal(apply(1, e, NULL), -EINVAL);
	e[0] = edit(0, 11, NULL);
	assert_int_equal(apply(1, e, NULL), -EINVAL);
	e[0] = edit(1, UINT32_MAX, NULL);
	assert_int_equal(apply(1, e, NULL), -EINVAL);
	e[0] = edit(0, 1, "a");
	e[1] = edit(10, 1, NULL);
	assert_int_equal(apply(2, e, NULL), -EINVAL);
	/* bytes to insert but no pointer */
	e[0] = (struct pe_inspect_edit){ .off = 1, .del = 0, .ins = NULL, .ins_len = 1 };
	assert_int_equal(apply(1, e, NULL), -EINVAL);
	/* more edits than the array holds */
	for (i = 0; i < PE_INSPECT_MAX_EDITS; i++)
		r.edits[i] = edit(i, 0, "x");
	r.n_edits = PE_INSPECT_MAX_EDITS + 1;
	assert_int_equal(pe_inspect_apply(abc, 10, &r, out, sizeof(out)), -EINVAL);
	r.n_edits = UINT8_MAX;
	assert_int_equal(pe_inspect_apply(abc, 10, &r, out, sizeof(out)), -EINVAL);
}

/*
 * Every cap below the output length is -ENOSPC, and nothing is written at
 * or past out[cap]; the exact cap works.
 */
static void
enospc_sweep(const uint8_t *in, uint32_t len, const struct pe_inspect_result *r,
		const char *want)
{
	size_t need = strlen(want), cap, i;
	uint8_t out[96];

	assert_true(need + 16 <= sizeof(out));
	for (cap = 0; cap < need; cap++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(pe_inspect_apply(in, len, r, out, cap), -ENOSPC);
		for (i = cap; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xee);
	}
	memset(out, 0xee, sizeof(out));
	assert_int_equal(pe_inspect_apply(in, len, r, out, need), (long)need);
	assert_memory_equal(out, want, need);
	for (i = need; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xee);
	assert_int_equal(pe_inspect_apply(in, len, r, out, sizeof(out)), (long)need);
}

static void
test_apply_enospc(void **state)
{
	struct pe_inspect_result r = { .verdict = PE_VERDICT_REWRITE, .pool = -1 };

	(void)state;
	/* no edits */
	enospc_sweep(abc, 10, &r, "abcdefghij");
	/* growing: insert at the start, in the middle, at the end */
	r.n_edits = 3;
	r.edits[0] = edit(0, 0, "<<");
	r.edits[1] = edit(3, 2, "[middle]");
	r.edits[2] = edit(10, 0, ">>");
	enospc_sweep(abc, 10, &r, "<<abc[middle]fghij>>");
	/* shrinking: the needed size is below the input length */
	r.n_edits = 2;
	r.edits[0] = edit(0, 4, "-");
	r.edits[1] = edit(6, 4, NULL);
	enospc_sweep(abc, 10, &r, "-ef");
	/* everything replaced */
	r.n_edits = 1;
	r.edits[0] = edit(0, 10, "0123456789012345");
	enospc_sweep(abc, 10, &r, "0123456789012345");
}

static void
test_apply_empty(void **state)
{
	struct pe_inspect_result r = { .verdict = PE_VERDICT_PASS, .pool = -1 };
	uint8_t out[16];

	(void)state;
	/* an empty message, no edits: empty output, even with no room at all */
	assert_int_equal(pe_inspect_apply(abc, 0, &r, out, sizeof(out)), 0);
	assert_int_equal(pe_inspect_apply(abc, 0, &r, out, 0), 0);
	/* insert into an empty message */
	r.n_edits = 1;
	r.edits[0] = edit(0, 0, "new");
	assert_int_equal(pe_inspect_apply(abc, 0, &r, out, sizeof(out)), 3);
	assert_memory_equal(out, "new", 3);
	assert_int_equal(pe_inspect_apply(abc, 0, &r, out, 2), -ENOSPC);
	/* nothing there to delete, nowhere past the end */
	r.edits[0] = edit(0, 1, NULL);
	assert_int_equal(pe_inspect_apply(abc, 0, &r, out, sizeof(out)), -EINVAL);
	r.edits[0] = edit(1, 0, "x");
	assert_int_equal(pe_inspect_apply(abc, 0, &r, out, sizeof(out)), -EINVAL);
}

/* ---- LDAP: config/inspector_ldap.conf ------------------------------------- */
/*
 * routes[0] bind_dn cn=admin,dc=example,dc=com           -> admin   (pool 1)
 * routes[1] bind_dn_suffix ou=people,dc=example,dc=com   -> people  (pool 0)
 * routes[2] bind_dn_regex ^cn=[a-z]+,ou=admins,          -> ops     (pool 2)
 * routes[3] operations add, modify                       -> writers (pool 3)
 * routes[4] bind_dn_suffix dc=example,dc=com             -> example (pool 4)
 * default_pool ops; refuse_anonymous; delete, moddn and abandon not allowed.
 */
enum { P_PEOPLE, P_ADMIN, P_OPS, P_WRITERS, P_EXAMPLE };
#define MAIN_ROUTES 5
enum {
	M_DEFAULT = MAIN_ROUTES, M_ANON, M_OP, M_MALFORMED, M_STARTTLS, M_REWRITE, M_PASS,
	M_COUNT
};

static int
setup_ldap(void **state)
{
	(void)state;
	return load_init("config/inspector_ldap.conf", &cfg_ldap, &pe_inspector_ldap);
}

static void
test_ldap_config(void **state)
{
	(void)state;
	/* what the other tests rely on */
	assert_int_equal(cfg_ldap.n_pools, 5);
	assert_string_equal(cfg_ldap.pools[P_ADMIN].name, "admin");
	assert_int_equal(cfg_ldap.ldap.n_routes, MAIN_ROUTES);
	assert_int_equal(cfg_ldap.ldap.default_pool, P_OPS);
	assert_true(cfg_ldap.ldap.refuse_anonymous);
	assert_false(cfg_ldap.ldap.rewrite);
}

static void
test_ldap_rules(void **state)
{
	static const char *const names[M_COUNT] = {
		"route_0", "route_1", "route_2", "route_3", "route_4",
		"default_pool", "refuse_anonymous", "operation_not_allowed", "malformed",
		"starttls", "rewrite", "pass",
	};
	unsigned int i;

	(void)state;
	assert_int_equal(pe_inspector_ldap.n_rules(), M_COUNT);
	for (i = 0; i < M_COUNT; i++)
		assert_string_equal(pe_inspector_ldap.rule_name(i), names[i]);
	assert_string_equal(pe_inspector_ldap.rule_name(M_COUNT), "?");
	assert_string_equal(pe_inspector_ldap.rule_name(UINT16_MAX), "?");
	assert_string_equal(pe_inspector_ldap.rule_name(UINT32_MAX), "?");
}

static void
test_ldap_inspects(void **state)
{
	(void)state;
	/* without rewrite, responses are not looked at */
	assert_true(pe_inspector_ldap.inspects(PE_SIDE_CLIENT));
	assert_false(pe_inspector_ldap.inspects(PE_SIDE_BACKEND));
}

static void
test_ldap_route_bind_dn(void **state)
{
	(void)state;
	/* exact DN (also under routes[4]'s suffix: the first match wins) */
	route_case(B_ADMIN, false, PE_VERDICT_PASS, P_ADMIN, 0);
	/* DN comparison ignores case and spaces around ',' */
	route_case(B_ADMIN_CASE, false, PE_VERDICT_PASS, P_ADMIN, 0);
	/* suffix (routes[4] matches too) */
	route_case(B_PEOPLE, false, PE_VERDICT_PASS, P_PEOPLE, 1);
	/* regular expression, case-insensitive (routes[4] matches too) */
	route_case(B_OPERATOR, false, PE_VERDICT_PASS, P_OPS, 2);
	route_case(B_OPERATOR_UC, false, PE_VERDICT_PASS, P_OPS, 2);
	/* only the last, broader suffix */
	route_case(B_EXAMPLE, false, PE_VERDICT_PASS, P_EXAMPLE, 4);
	/* nothing: default_pool */
	route_case(B_OTHER, false, PE_VERDICT_PASS, P_OPS, M_DEFAULT);
	/* a SASL bind with an empty name is not anonymous: routed, to the default */
	route_case(B_SASL, false, PE_VERDICT_PASS, P_OPS, M_DEFAULT);
}

static void
test_ldap_route_first_op(void **state)
{
	(void)state;
	/* bind-DN routes look at binds only: a search based at routes[0]'s DN is default */
	route_case(S_ADMIN_BASE, false, PE_VERDICT_PASS, P_OPS, M_DEFAULT);
	/* an operations route on a first add (its entry is under routes[4]'s suffix) */
	route_case(A_ADD, false, PE_VERDICT_PASS, P_WRITERS, 3);
	/* an allowed op no route lists */
	route_case(X_WHOAMI, false, PE_VERDICT_PASS, P_OPS, M_DEFAULT);
	route_case(U_UNBIND, false, PE_VERDICT_PASS, P_OPS, M_DEFAULT);
}

/* A 3-byte header (id, 0x82, 16-bit length) then @n bytes of @v at @o. */
static size_t
put_tlv(uint8_t *o, uint8_t id, const uint8_t *v, size_t n)
{
	o[0] = id;
	o[1] = 0x82;
	o[2] = (uint8_t)(n >> 8);
	o[3] = (uint8_t)n;
	memmove(o + 4, v, n);
	return 4 + n;
}

/*
 * A long bind DN (over the regex buffer of 1024) never matches a regex
 * route: "cn=" + 'a' * k + ",ou=admins,dc=x" matches ^cn=[a-z]+,ou=admins, at
 * any length, but only DNs shorter than 1024 bytes are tried.
 *   BindRequest { version 3, name dn, simple "p" }, long-form lengths
 */
static void
test_ldap_route_regex_long(void **state)
{
	static const char tail[] = ",ou=admins,dc=x";
	uint8_t dn[1100], op[1200], body[1200], whole[1300];
	size_t k, dn_len, n;
	struct pe_inspect_result r;
	struct pe_ldap_msg parsed;
	struct msg m;

	(void)state;
	for (k = 1000; k <= 1010; k++) {
		dn_len = 3 + k + strlen(tail);
		memcpy(dn, "cn=", 3);
		memset(dn + 3, 'a', k);
		memcpy(dn + 3 + k, tail, strlen(tail));
		memcpy(op, "\x02\x01\x03", 3);
		n = 3 + put_tlv(op + 3, 0x04, dn, dn_len);
		memcpy(op + n, "\x80\x01p", 3);
		n += 3;
		memcpy(body, "\x02\x01\x01", 3);
		n = 3 + put_tlv(body + 3, 0x60, op, n);
		n = put_tlv(whole, 0x30, body, n);
		m = msg_bytes(whole, n);
		assert_int_equal(pe_ldap_msg_parse(m.p, m.n, &parsed, NULL), 0);
		assert_int_equal(parsed.bind.name_len, dn_len);
		inspect_n(&pe_inspector_ldap, &m, PE_SIDE_CLIENT, false, sizeof(scratch), &r);
		free(m.p);
		if (dn_len < 1024)
			assert_plain(&r, PE_VERDICT_PASS, P_OPS, 2);
		else
			assert_plain(&r, PE_VERDICT_PASS, P_OPS, M_DEFAULT);
	}
}

static void
test_ldap_bound(void **state)
{
	(void)state;
	/* a backend is chosen already: no pool, the rule is pass */
	route_case(B_ADMIN, true, PE_VERDICT_PASS, -1, M_PASS);
	route_case(B_PEOPLE, true, PE_VERDICT_PASS, -1, M_PASS);
	route_case(B_OPERATOR, true, PE_VERDICT_PASS, -1, M_PASS);
	route_case(A_ADD, true, PE_VERDICT_PASS, -1, M_PASS);
	route_case(B_OTHER, true, PE_VERDICT_PASS, -1, M_PASS);
	route_case(S_ADMIN_BASE, true, PE_VERDICT_PASS, -1, M_PASS);
}

static void
test_ldap_refuse_anonymous(void **state)
{
	struct pe_inspect_result r;

	(void)state;
	/* anonymous: empty name and password */
	ldap_run(B_ANON, PE_SIDE_CLIENT, false, &r);
	assert_int_equal(r.rule, M_ANON);
	assert_refusal(&r, REF_ANON, 7, PE_LDAP_OP_BIND_RESP,
		"anonymous bind refused by proxy policy");
	/* unauthenticated: a name, an empty password; also after binding */
	ldap_run(B_UNAUTH, PE_SIDE_CLIENT, false, &r);
	assert_int_equal(r.rule, M_ANON);
	assert_refusal(&r, REF_UNAUTH, 8, PE_LDAP_OP_BIND_RESP,
		"anonymous bind refused by proxy policy");
	ldap_run(B_ANON, PE_SIDE_CLIENT, true, &r);
	assert_int_equal(r.rule, M_ANON);
	assert_refusal(&r, REF_ANON, 7, PE_LDAP_OP_BIND_RESP,
		"anonymous bind refused by proxy policy");
}

static void
test_ldap_op_not_allowed(void **state)
{
	struct pe_inspect_result r;

	(void)state;
	ldap_run(D_DEL, PE_SIDE_CLIENT, false, &r);
	assert_int_equal(r.rule, M_OP);
	assert_refusal(&r, REF_DEL, 10, PE_LDAP_OP_DEL_RESP,
		"operation delete not allowed by proxy policy");
	ldap_run(D_DEL, PE_SIDE_CLIENT, true, &r);
	assert_int_equal(r.rule, M_OP);
	assert_refusal(&r, REF_DEL, 10, PE_LDAP_OP_DEL_RESP,
		"operation delete not allowed by proxy policy");
	/*
	 * abandon is never answered (RFC 4511 §4.11): the code refuses it with
	 * no reply at all (reply NULL, reply_len 0), so the engine closes the
	 * connection without a word.
	 */
	ldap_run(AB_ABANDON, PE_SIDE_CLIENT, true, &r);
	assert_plain(&r, PE_VERDICT_REFUSE, -1, M_OP);
}

/* No room in scratch for the refusal: still REFUSE, with an empty reply. */
static void
test_ldap_refuse_no_room(void **state)
{
	struct pe_inspect_result r;
	struct msg m = msg_hex(B_ANON);
	uint8_t want[64];
	size_t n = unhex(REF_ANON, want, sizeof(want));

	(void)state;
	inspect_n(&pe_inspector_ldap, &m, PE_SIDE_CLIENT, false, n - 1, &r);
	assert_plain(&r, PE_VERDICT_REFUSE, -1, M_ANON);
	inspect_n(&pe_inspector_ldap, &m, PE_SIDE_CLIENT, false, 0, &r);
	assert_plain(&r, PE_VERDICT_REFUSE, -1, M_ANON);
	inspect_n(&pe_inspector_ldap, &m, PE_SIDE_CLIENT, false, n, &r);
	assert_int_equal(r.rule, M_ANON);
	assert_refusal(&r, REF_ANON, 7, PE_LDAP_OP_BIND_RESP,
		"anonymous bind refused by proxy policy");
	free(m.p);
}

static void
test_ldap_starttls(void **state)
{
	(void)state;
	/* first message: routed (default pool), counted as starttls */
	route_case(X_STARTTLS, false, PE_VERDICT_PASSTHROUGH, P_OPS, M_STARTTLS);
	route_case(X_STARTTLS, true, PE_VERDICT_PASSTHROUGH, -1, M_STARTTLS);
	/* another extended operation is no StartTLS */
	route_case(X_WHOAMI, true, PE_VERDICT_PASS, -1, M_PASS);
}

static void
test_ldap_malformed(void **state)
{
	static const char *const bad[] = {
		"0400",                         /* not a SEQUENCE */
		"3000",                         /* no messageID */
		"3003020101",                   /* no protocolOp */
		"3005020101040100",             /* protocolOp not APPLICATION */
		"30050201014201",               /* unbind with a bad length */
		"300c020107600702010304008001", /* B_ANON, [0] one byte too long */
		"300d02010760070201030400800000", /* B_ANON + a byte inside the SEQUENCE */
		"300c020107600702010304008000ff", /* B_ANON + a trailing byte */
		"300c0201076007020103040080",     /* B_ANON truncated */
		"3080020107600702010304008000",   /* indefinite length */
		"ff",
	};
	struct pe_inspect_result r;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ldap_run(bad[i], PE_SIDE_CLIENT, false, &r);
		assert_plain(&r, PE_VERDICT_RESET, -1, M_MALFORMED);
		ldap_run(bad[i], PE_SIDE_CLIENT, true, &r);
		assert_plain(&r, PE_VERDICT_RESET, -1, M_MALFORMED);
		ldap_run(bad[i], PE_SIDE_BACKEND, true, &r);
		assert_plain(&r, PE_VERDICT_RESET, -1, M_MALFORMED);
	}
	/* an empty message */
	{
		struct msg m = msg_bytes("", 0);

		inspect_n(&pe_inspector_ldap, &m, PE_SIDE_CLIENT, false, sizeof(scratch), &r);
		assert_plain(&r, PE_VERDICT_RESET, -1, M_MALFORMED);
		free(m.p);
	}
}

static void
test_ldap_response_from_client(void **state)
{
	(void)state;
	/* a response sent by a client is malformed: reset */
	route_case(R_BIND_RESP, false, PE_VERDICT_RESET, -1, M_MALFORMED);
	route_case(R_BIND_RESP, true, PE_VERDICT_RESET, -1, M_MALFORMED);
	route_case(RW_ENTRY_B, true, PE_VERDICT_RESET, -1, M_MALFORMED);
	route_case(RW_DONE_B, true, PE_VERDICT_RESET, -1, M_MALFORMED);
	/* an application tag RFC 4511 does not define: [APPLICATION 30] */
	route_case("30070201016b0200", true, PE_VERDICT_RESET, -1, M_MALFORMED);
	route_case("30050201015e00", true, PE_VERDICT_RESET, -1, M_MALFORMED);
}

static void
test_ldap_from_backend(void **state)
{
	struct pe_inspect_result r;

	(void)state;
	/* no rewrite: a response passes, no routing (even unbound), no policy */
	ldap_run(R_BIND_RESP, PE_SIDE_BACKEND, false, &r);
	assert_plain(&r, PE_VERDICT_PASS, -1, M_PASS);
	ldap_run(RW_ENTRY_B, PE_SIDE_BACKEND, true, &r);
	assert_plain(&r, PE_VERDICT_PASS, -1, M_PASS);
}

static void
test_ldap_frame(void **state)
{
	uint8_t buf[64];
	size_t n = unhex(B_ADMIN, buf, sizeof(buf)), len, k;
	uint16_t rule;
	struct msg m;

	(void)state;
	assert_int_equal(n, 46);
	/* complete, and as soon as the header is in; rule untouched */
	for (k = 2; k <= n; k++) {
		m = msg_bytes(buf, k);
		len = 0;
		rule = 0xbeef;
		assert_int_equal(pe_inspector_ldap.frame(m.p, m.n, &len, &rule), PE_VERDICT_PASS);
		assert_int_equal(len, n);
		assert_int_equal(rule, 0xbeef);
		free(m.p);
	}
	/* and with the next message behind it */
	m = msg_hex(B_ADMIN B_ANON);
	rule = 0xbeef;
	assert_int_equal(pe_inspector_ldap.frame(m.p, m.n, &len, &rule), PE_VERDICT_PASS);
	assert_int_equal(len, n);
	assert_int_equal(rule, 0xbeef);
	free(m.p);
	/* too short to tell */
	for (k = 0; k < 2; k++) {
		m = msg_bytes(buf, k);
		rule = 0xbeef;
		assert_int_equal(pe_inspector_ldap.frame(m.p, m.n, &len, &rule), PE_VERDICT_AGAIN);
		assert_int_equal(rule, 0xbeef);
		free(m.p);
	}
	m = msg_hex("3084000000");          /* long form, a length octet missing */
	rule = 0xbeef;
	assert_int_equal(pe_inspector_ldap.frame(m.p, m.n, &len, &rule), PE_VERDICT_AGAIN);
	assert_int_equal(rule, 0xbeef);
	free(m.p);
	/* no message starts here: counted as malformed */
	{
		static const char *const bad[] = { "04", "0400", "3080", "30ff", "31050201016000",
			"308501", "ff" };
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			m = msg_hex(bad[i]);
			rule = 0xbeef;
			assert_int_equal(pe_inspector_ldap.frame(m.p, m.n, &len, &rule), PE_VERDICT_RESET);
			assert_int_equal(rule, M_MALFORMED);
			free(m.p);
		}
	}
}

/* ---- LDAP: config/inspector_ldap_open.conf -------------------------------- */
/* No routes, no default_pool, anonymous allowed, only bind and extended allowed. */
enum {
	O_DEFAULT, O_ANON, O_OP, O_MALFORMED, O_STARTTLS, O_REWRITE, O_PASS, O_COUNT
};

static int
setup_open(void **state)
{
	(void)state;
	return load_init("config/inspector_ldap_open.conf", &cfg_open, &pe_inspector_ldap);
}

static void
test_open_rules(void **state)
{
	static const char *const names[O_COUNT] = {
		"default_pool", "refuse_anonymous", "operation_not_allowed", "malformed",
		"starttls", "rewrite", "pass",
	};
	unsigned int i;

	(void)state;
	assert_int_equal(cfg_open.ldap.default_pool, -1);
	assert_int_equal(pe_inspector_ldap.n_rules(), O_COUNT);
	for (i = 0; i < O_COUNT; i++)
		assert_string_equal(pe_inspector_ldap.rule_name(i), names[i]);
	assert_string_equal(pe_inspector_ldap.rule_name(O_COUNT), "?");
	assert_true(pe_inspector_ldap.inspects(PE_SIDE_CLIENT));
	assert_false(pe_inspector_ldap.inspects(PE_SIDE_BACKEND));
}

static void
test_open_anonymous(void **state)
{
	(void)state;
	/* refuse_anonymous false: anonymous and unauthenticated binds pass, pool -1 */
	route_case(B_ANON, false, PE_VERDICT_PASS, -1, O_DEFAULT);
	route_case(B_UNAUTH, false, PE_VERDICT_PASS, -1, O_DEFAULT);
	route_case(B_ANON, true, PE_VERDICT_PASS, -1, O_PASS);
	route_case(B_ADMIN, false, PE_VERDICT_PASS, -1, O_DEFAULT);
	route_case(X_STARTTLS, false, PE_VERDICT_PASSTHROUGH, -1, O_STARTTLS);
	route_case(X_STARTTLS, true, PE_VERDICT_PASSTHROUGH, -1, O_STARTTLS);
}

static void
test_open_op_not_allowed(void **state)
{
	struct pe_inspect_result r;

	(void)state;
	/* each refused with its own response type, on the first message or later */
	ldap_run(S_ADMIN_BASE, PE_SIDE_CLIENT, false, &r);
	assert_int_equal(r.rule, O_OP);
	assert_refusal(&r, REF_SEARCH, 5, PE_LDAP_OP_SEARCH_DONE,
		"operation search not allowed by proxy policy");
	ldap_run(A_ADD, PE_SIDE_CLIENT, true, &r);
	assert_int_equal(r.rule, O_OP);
	assert_refusal(&r, REF_ADD, 6, PE_LDAP_OP_ADD_RESP,
		"operation add not allowed by proxy policy");
	/*
	 * abandon and unbind have no response type: refused with no reply
	 * (reply NULL, reply_len 0); the engine just closes the connection.
	 */
	route_case(AB_ABANDON, false, PE_VERDICT_REFUSE, -1, O_OP);
	route_case(AB_ABANDON, true, PE_VERDICT_REFUSE, -1, O_OP);
	route_case(U_UNBIND, false, PE_VERDICT_REFUSE, -1, O_OP);
	route_case(U_UNBIND, true, PE_VERDICT_REFUSE, -1, O_OP);
	/* malformed still wins over the allow-list */
	route_case(R_BIND_RESP, true, PE_VERDICT_RESET, -1, O_MALFORMED);
}

/* ---- LDAP: config/inspector_ldap_rewrite.conf ------------------------------ */
/*
 * client dc=corp,dc=example <-> backend dc=example,dc=com;
 * routes[0] bind_dn_suffix ou=people,dc=corp,dc=example -> two (pool 1); default one (0)
 */
enum {
	W_DEFAULT = 1, W_ANON, W_OP, W_MALFORMED, W_STARTTLS, W_REWRITE, W_PASS, W_COUNT
};

static int
setup_rewrite(void **state)
{
	(void)state;
	return load_init("config/inspector_ldap_rewrite.conf", &cfg_rewrite, &pe_inspector_ldap);
}

static void
test_rewrite_rules(void **state)
{
	(void)state;
	assert_true(cfg_rewrite.ldap.rewrite);
	assert_int_equal(pe_inspector_ldap.n_rules(), W_COUNT);
	assert_string_equal(pe_inspector_ldap.rule_name(0), "route_0");
	assert_string_equal(pe_inspector_ldap.rule_name(W_REWRITE), "rewrite");
	/* with rewrite, responses are inspected too */
	assert_true(pe_inspector_ldap.inspects(PE_SIDE_CLIENT));
	assert_true(pe_inspector_ldap.inspects(PE_SIDE_BACKEND));
}

static void
test_rewrite_request(void **state)
{
	struct pe_inspect_result r;

	(void)state;
	/* first message: routed on the client-visible DN, rule of the route */
	ldap_run(RW_BIND_C, PE_SIDE_CLIENT, false, &r);
	assert_int_equal(r.pool, 1);
	assert_int_equal(r.rule, 0);
	assert_rewritten(RW_BIND_C, &r, RW_BIND_B);
	/* later: rule rewrite, no pool */
	ldap_run(RW_BIND_C, PE_SIDE_CLIENT, true, &r);
	assert_int_equal(r.pool, -1);
	assert_int_equal(r.rule, W_REWRITE);
	assert_rewritten(RW_BIND_C, &r, RW_BIND_B);
}

static void
test_rewrite_response(void **state)
{
	struct pe_inspect_result r;

	(void)state;
	ldap_run(RW_ENTRY_B, PE_SIDE_BACKEND, true, &r);
	assert_int_equal(r.pool, -1);
	assert_int_equal(r.rule, W_REWRITE);
	assert_rewritten(RW_ENTRY_B, &r, RW_ENTRY_C);
	ldap_run(RW_DONE_B, PE_SIDE_BACKEND, true, &r);
	assert_int_equal(r.pool, -1);
	assert_int_equal(r.rule, W_REWRITE);
	assert_rewritten(RW_DONE_B, &r, RW_DONE_C);
}

static void
test_rewrite_no_match(void **state)
{
	(void)state;
	/* a DN under neither suffix */
	route_case(RW_BIND_OTHER, false, PE_VERDICT_PASS, 0, W_DEFAULT);
	route_case(RW_BIND_OTHER, true, PE_VERDICT_PASS, -1, W_PASS);
	/* requests map client -> backend only: a backend-suffix DN from a client stays */
	route_case(RW_BIND_B, true, PE_VERDICT_PASS, -1, W_PASS);
	/* responses map backend -> client only */
	{
		struct pe_inspect_result r;

		ldap_run(RW_ENTRY_C, PE_SIDE_BACKEND, true, &r);
		assert_plain(&r, PE_VERDICT_PASS, -1, W_PASS);
		ldap_run(R_BIND_RESP, PE_SIDE_BACKEND, true, &r);
		assert_plain(&r, PE_VERDICT_PASS, -1, W_PASS);
		ldap_run(R_BIND_RESP, PE_SIDE_BACKEND, false, &r);
		assert_plain(&r, PE_VERDICT_PASS, -1, W_PASS);
	}
	/* StartTLS is let through untouched */
	route_case(X_STARTTLS, true, PE_VERDICT_PASSTHROUGH, -1, W_STARTTLS);
}

/* A rewrite that does not fit in scratch resets, counted as malformed. */
static void
test_rewrite_no_room(void **state)
{
	struct pe_inspect_result r;
	struct msg m = msg_hex(RW_ENTRY_B);
	uint8_t want[64];
	size_t n = unhex(RW_ENTRY_C, want, sizeof(want));

	(void)state;
	inspect_n(&pe_inspector_ldap, &m, PE_SIDE_BACKEND, true, n - 1, &r);
	assert_plain(&r, PE_VERDICT_RESET, -1, W_MALFORMED);
	inspect_n(&pe_inspector_ldap, &m, PE_SIDE_BACKEND, true, n, &r);
	assert_int_equal(r.rule, W_REWRITE);
	assert_rewritten(RW_ENTRY_B, &r, RW_ENTRY_C);
	free(m.p);
}

/* ---- lines: config/inspector_lines.conf ----------------------------------- */
/* pools GET (0), SET (1) */
enum { L_POOL, L_DENY, L_NUL, L_REDACT, L_TOO_MANY, L_PASS, L_COUNT };

static int
setup_lines(void **state)
{
	(void)state;
	return load_init("config/inspector_lines.conf", &cfg_lines, &pe_inspector_lines);
}

static void
lines_run(const char *s, size_t n, enum pe_side from, bool bound, struct pe_inspect_result *r)
{
	struct msg m = msg_bytes(s, n);

	inspect_n(&pe_inspector_lines, &m, from, bound, sizeof(scratch), r);
	free(m.p);
}

static void
lines_case(const char *s, enum pe_side from, bool bound, enum pe_verdict v, int pool, int rule)
{
	struct pe_inspect_result r;

	lines_run(s, strlen(s), from, bound, &r);
	assert_plain(&r, v, pool, rule);
}

static void
test_lines_rules(void **state)
{
	static const char *const names[L_COUNT] = {
		"pool", "deny", "nul", "redact", "too_many_secrets", "pass",
	};
	unsigned int i;

	(void)state;
	assert_int_equal(pe_inspector_lines.n_rules(), L_COUNT);
	for (i = 0; i < L_COUNT; i++)
		assert_string_equal(pe_inspector_lines.rule_name(i), names[i]);
	assert_string_equal(pe_inspector_lines.rule_name(L_COUNT), "?");
	assert_true(pe_inspector_lines.inspects(PE_SIDE_CLIENT));
	assert_true(pe_inspector_lines.inspects(PE_SIDE_BACKEND));
}

static void
test_lines_frame(void **state)
{
	static const struct { const char *s; enum pe_verdict rc; size_t len; } cases[] = {
		{ "GET a\r\nSET b\r\n", PE_VERDICT_PASS, 7 },
		{ "\n", PE_VERDICT_PASS, 1 },
		{ "\nGET", PE_VERDICT_PASS, 1 },
		{ "GET a", PE_VERDICT_AGAIN, 0 },
		{ "", PE_VERDICT_AGAIN, 0 },
		{ "\r", PE_VERDICT_AGAIN, 0 },
	};
	unsigned int i;
	size_t len;
	uint16_t rule;
	struct msg m;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = msg_bytes(cases[i].s, strlen(cases[i].s));
		len = 12345;
		rule = 0xbeef;
		assert_int_equal(pe_inspector_lines.frame(m.p, m.n, &len, &rule), cases[i].rc);
		assert_int_equal(len, cases[i].rc == PE_VERDICT_PASS ? cases[i].len : 12345);
		assert_int_equal(rule, 0xbeef);
		free(m.p);
	}
	/* a NUL does not end a line */
	m = msg_bytes("a\0b\n", 4);
	assert_int_equal(pe_inspector_lines.frame(m.p, m.n, &len, &rule), PE_VERDICT_PASS);
	assert_int_equal(len, 4);
	free(m.p);
}

static void
test_lines_pool(void **state)
{
	(void)state;
	lines_case("GET key\r\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, 0, L_POOL);
	lines_case("SET key v\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, 1, L_POOL);
	lines_case("GET\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, 0, L_POOL);
	lines_case("GET\r\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, 0, L_POOL);
	/* no pool of that name: pass, pool -1 */
	lines_case("DEL key\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, -1, L_PASS);
	lines_case("GETX key\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, -1, L_PASS);
	lines_case("GE key\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, -1, L_PASS);
	lines_case("get key\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, -1, L_PASS);
	lines_case(" GET key\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, -1, L_PASS);
	lines_case("\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, -1, L_PASS);
	/* bound: no pool */
	lines_case("GET key\n", PE_SIDE_CLIENT, true, PE_VERDICT_PASS, -1, L_PASS);
	/* server lines choose nothing */
	lines_case("GET key\n", PE_SIDE_BACKEND, false, PE_VERDICT_PASS, -1, L_PASS);
}

static void
test_lines_deny(void **state)
{
	struct pe_inspect_result r;

	(void)state;
	lines_run("DENY all\n", 9, PE_SIDE_CLIENT, false, &r);
	assert_int_equal(r.verdict, PE_VERDICT_REFUSE);
	assert_int_equal(r.rule, L_DENY);
	assert_int_equal(r.pool, -1);
	assert_int_equal(r.n_edits, 0);
	assert_int_equal(r.reply_len, 13);
	assert_memory_equal(r.reply, "-ERR denied\r\n", 13);
	lines_run("DENY all\n", 9, PE_SIDE_CLIENT, true, &r);
	assert_int_equal(r.verdict, PE_VERDICT_REFUSE);
	assert_int_equal(r.rule, L_DENY);
	/* a prefix match: "DENYING" is refused too; "DENY" alone, no newline, too */
	lines_run("DENYING\n", 8, PE_SIDE_CLIENT, false, &r);
	assert_int_equal(r.verdict, PE_VERDICT_REFUSE);
	lines_run("DENY", 4, PE_SIDE_CLIENT, false, &r);
	assert_int_equal(r.verdict, PE_VERDICT_REFUSE);
	/* not: lower case, shorter, from the server */
	lines_case("deny\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, -1, L_PASS);
	lines_case("DEN\n", PE_SIDE_CLIENT, false, PE_VERDICT_PASS, -1, L_PASS);
	lines_case("DENY\n", PE_SIDE_BACKEND, false, PE_VERDICT_PASS, -1, L_PASS);
}

static void
test_lines_nul(void **state)
{
	struct pe_inspect_result r;

	(void)state;
	lines_run("GET \0x\n", 7, PE_SIDE_CLIENT, false, &r);
	assert_plain(&r, PE_VERDICT_RESET, -1, L_NUL);
	/* before DENY, and from the server before redaction */
	lines_run("DENY\0\n", 6, PE_SIDE_CLIENT, true, &r);
	assert_plain(&r, PE_VERDICT_RESET, -1, L_NUL);
	lines_run("secret\0\n", 8, PE_SIDE_BACKEND, true, &r);
	assert_plain(&r, PE_VERDICT_RESET, -1, L_NUL);
	lines_run("\0", 1, PE_SIDE_BACKEND, true, &r);
	assert_plain(&r, PE_VERDICT_RESET, -1, L_NUL);
}

/* Server line @in is rewritten (@n edits) into @want. */
static void
redact_case(const char *in, unsigned int n, const char *want)
{
	struct pe_inspect_result r;
	struct msg m = msg_bytes(in, strlen(in));
	uint8_t out[256];
	unsigned int i;
	long got;

	inspect_n(&pe_inspector_lines, &m, PE_SIDE_BACKEND, true, sizeof(scratch), &r);
	assert_int_equal(r.verdict, PE_VERDICT_REWRITE);
	assert_int_equal(r.rule, L_REDACT);
	assert_int_equal(r.pool, -1);
	assert_int_equal(r.n_edits, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(r.edits[i].del, 6);
		assert_int_equal(r.edits[i].ins_len, 10);
		assert_memory_equal(m.p + r.edits[i].off, "secret", 6);
		assert_memory_equal(r.edits[i].ins, "[redacted]", 10);
	}
	got = pe_inspect_apply(m.p, (uint32_t)m.n, &r, out, sizeof(out));
	assert_int_equal(got, (long)strlen(want));
	assert_memory_equal(out, want, strlen(want));
	free(m.p);
}

static void
test_lines_redact(void **state)
{
	(void)state;
	redact_case("secret\n", 1, "[redacted]\n");
	redact_case("the secret is secret\r\n", 2, "the [redacted] is [redacted]\r\n");
	redact_case("secretsecret", 2, "[redacted][redacted]");
	redact_case("secretsecretsecret\n", 3, "[redacted][redacted][redacted]\n");
	redact_case("xsecrets", 1, "x[redacted]s");
	/* not a secret */
	lines_case("secre\n", PE_SIDE_BACKEND, true, PE_VERDICT_PASS, -1, L_PASS);
	lines_case("SECRET\n", PE_SIDE_BACKEND, true, PE_VERDICT_PASS, -1, L_PASS);
	lines_case("s ecret\n", PE_SIDE_BACKEND, true, PE_VERDICT_PASS, -1, L_PASS);
	/* client lines are never redacted */
	lines_case("secret\n", PE_SIDE_CLIENT, true, PE_VERDICT_PASS, -1, L_PASS);
}

/*
 * More occurrences than PE_INSPECT_MAX_EDITS: what the code does is redact
 * the first 8 and pass the 9th in clear (inspect_lines.c's header says
 * "every secret becomes [redacted]").
 */
static void
test_lines_redact_many(void **state)
{
	char in[128] = "";
	struct pe_inspect_result r;
	struct msg m;
	unsigned int i;

	(void)state;
	/* more secrets than edits: reset, never half redacted */
	for (i = 0; i < PE_INSPECT_MAX_EDITS + 1; i++)
		strcat(in, "secret ");
	strcat(in, "\n");
	m = msg_bytes(in, strlen(in));
	inspect_n(&pe_inspector_lines, &m, PE_SIDE_BACKEND, true, sizeof(scratch), &r);
	assert_int_equal(r.verdict, PE_VERDICT_RESET);
	assert_string_equal(pe_inspector_lines.rule_name(r.rule), "too_many_secrets");
	free(m.p);
	/* exactly PE_INSPECT_MAX_EDITS: all redacted */
	in[7 * PE_INSPECT_MAX_EDITS] = '\0';
	strcat(in, "\n");
	{
		char want[256] = "";

		for (i = 0; i < PE_INSPECT_MAX_EDITS; i++)
			strcat(want, "[redacted] ");
		strcat(want, "\n");
		redact_case(in, PE_INSPECT_MAX_EDITS, want);
	}
}

int
main(void)
{
	const struct CMUnitTest api[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_verdict_str),
		cmocka_unit_test(test_apply_edits),
		cmocka_unit_test(test_apply_einval),
		cmocka_unit_test(test_apply_enospc),
		cmocka_unit_test(test_apply_empty),
	};
	const struct CMUnitTest ldap[] = {
		cmocka_unit_test(test_ldap_config),
		cmocka_unit_test(test_ldap_rules),
		cmocka_unit_test(test_ldap_inspects),
		cmocka_unit_test(test_ldap_route_bind_dn),
		cmocka_unit_test(test_ldap_route_first_op),
		cmocka_unit_test(test_ldap_route_regex_long),
		cmocka_unit_test(test_ldap_bound),
		cmocka_unit_test(test_ldap_refuse_anonymous),
		cmocka_unit_test(test_ldap_op_not_allowed),
		cmocka_unit_test(test_ldap_refuse_no_room),
		cmocka_unit_test(test_ldap_starttls),
		cmocka_unit_test(test_ldap_malformed),
		cmocka_unit_test(test_ldap_response_from_client),
		cmocka_unit_test(test_ldap_from_backend),
		cmocka_unit_test(test_ldap_frame),
	};
	const struct CMUnitTest open[] = {
		cmocka_unit_test(test_open_rules),
		cmocka_unit_test(test_open_anonymous),
		cmocka_unit_test(test_open_op_not_allowed),
	};
	const struct CMUnitTest rewrite[] = {
		cmocka_unit_test(test_rewrite_rules),
		cmocka_unit_test(test_rewrite_request),
		cmocka_unit_test(test_rewrite_response),
		cmocka_unit_test(test_rewrite_no_match),
		cmocka_unit_test(test_rewrite_no_room),
	};
	const struct CMUnitTest lines[] = {
		cmocka_unit_test(test_lines_rules),
		cmocka_unit_test(test_lines_frame),
		cmocka_unit_test(test_lines_pool),
		cmocka_unit_test(test_lines_deny),
		cmocka_unit_test(test_lines_nul),
		cmocka_unit_test(test_lines_redact),
		cmocka_unit_test(test_lines_redact_many),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("api", api, NULL, NULL);
	failed += cmocka_run_group_tests_name("ldap", ldap, setup_ldap, NULL);
	failed += cmocka_run_group_tests_name("ldap_open", open, setup_open, NULL);
	failed += cmocka_run_group_tests_name("ldap_rewrite", rewrite, setup_rewrite, NULL);
	failed += cmocka_run_group_tests_name("lines", lines, setup_lines, NULL);
	return failed != 0;
}
