/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BER / LDAPMessage decoding: python3-ldap3 vectors, framing across splits,
 * every malformed-input rule, nesting depth, single-byte mutation sweep.
 * Buffers under test are malloc'd to their exact size so valgrind or ASan
 * catch any read past n.
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

#include "proto/ber.h"

/*
 * Vectors from python3-ldap3 2.9.1 (pyasn1 BER encoder):
 *   m = LDAPMessage(); m['messageID'] = id; m['protocolOp'] = <op>;
 *   [m['controls'] = build_controls_list(...)]; encoder.encode(m).hex()
 */
/* id 1, bind_operation(3, 'ANONYMOUS', '', '') */
#define V_ANON "300c020101600702010304008000"
/* id 2, bind_operation(3, 'SIMPLE', 'cn=admin,dc=example,dc=com', 'secret') */
#define V_SIMPLE "302c0201026027020103041a636e3d61646d696e2c64633d6578616d706c65" \
	"2c64633d636f6d8006736563726574"
/* id 3, bind_operation(3, 'SASL', '', None, sasl_mechanism='EXTERNAL',
 * sasl_credentials='dn:uid=alice') */
#define V_SASL "3024020103601f0201030400a318040845585445524e414c040c646e3a7569" \
	"643d616c696365"
/* id 4, search_operation('dc=example,dc=com',
 * '(&(objectClass=person)(|(uid=alice)(cn=Bob*)))', SUBTREE, DEREF_ALWAYS,
 * ['cn', 'mail'], 0, 0, False, None, True) */
#define V_SEARCH "30690201046364041164633d6578616d706c652c64633d636f6d0a01020a01" \
	"03020100020100010100a034a315040b6f626a656374436c6173730406706572" \
	"736f6ea11ba30c04037569640405616c696365a40b0402636e30058003426f62" \
	"300a0402636e04046d61696c"
/* id 5, UnbindRequest() */
#define V_UNBIND "30050201054200"
/* id 6, the search above + paged_search_control(True, 100) (1.2.840.113556.1.4.319) */
#define V_CTRL "3081910201066364041164633d6578616d706c652c64633d636f6d0a01020a" \
	"0103020100020100010100a034a315040b6f626a656374436c61737304067065" \
	"72736f6ea11ba30c04037569640405616c696365a40b0402636e30058003426f" \
	"62300a0402636e04046d61696ca02630240416312e322e3834302e3131333535" \
	"362e312e342e333139010101040730050201640400"
/* V_ANON as OpenLDAP's liblber writes it: 0x84 + 4 length octets per SEQUENCE */
#define V_ANON_LONG "30840000001002010160840000000702010304008000"

/*
 * Every other protocolOp of RFC 4511, from tests/tools/gen_ldap_vectors.py
 * (same encoder; the vectors above are its output too). tshark's LDAP
 * dissector reads the same messageID and protocolOp from each
 * (pytest/test_ber_tshark.py).
 */
/* id 7, bind_operation(3, 'SASL', '', None, sasl_mechanism='GSSAPI'): no credentials */
#define V_SASL_NOCRED "3014020107600f0201030400a3080406475353415049"
/* id 2, bind_response_operation(0): success */
#define V_BIND_RESP "300c02010261070a010004000400"
/* id 7, bind_response_operation(14, server_sasl_credentials=60 03 06 01 2a):
 * saslBindInProgress, serverSaslCreds [7] */
#define V_BIND_RESP_SASL "3013020107610e0a010e040004008705600306012a"
/* id 4, SearchResultEntry 'uid=alice,dc=example,dc=com' cn: Alice, mail: alice@example.com */
#define V_SEARCH_ENTRY "3050020104644b041b7569643d616c6963652c64633d6578616d706c652c64" \
	"633d636f6d302c300d0402636e31070405416c696365301b04046d61696c3113" \
	"0411616c696365406578616d706c652e636f6d"
/* id 4, SearchResultReference of two ldap:// URIs */
#define V_SEARCH_REF "305f020104735a042b6c6461703a2f2f622e6578616d706c652e636f6d2f64" \
	"633d6578616d706c652c64633d636f6d3f3f737562042b6c6461703a2f2f632e" \
	"6578616d706c652e636f6d2f64633d6578616d706c652c64633d636f6d3f3f73" \
	"7562"
/* id 4, SearchResultDone success */
#define V_SEARCH_DONE "300c02010465070a010004000400"
/* id 8, modify_operation(DN, replace mail, add description, delete telephoneNumber) */
#define V_MODIFY "30750201086670041b7569643d616c6963652c64633d6578616d706c652c64" \
	"633d636f6d3051301c0a0102301704046d61696c310f040d61406578616d706c" \
	"652e636f6d30170a01003012040b6465736372697074696f6e31030401783018" \
	"0a01013013040f74656c6570686f6e654e756d6265723100"
/* id 8, ModifyResponse success */
#define V_MODIFY_RESP "300c02010867070a010004000400"
/* id 9, add_operation(DN, objectClass top inetOrgPerson, cn Alice, sn A) */
#define V_ADD "3063020109685e041b7569643d616c6963652c64633d6578616d706c652c64" \
	"633d636f6d303f3023040b6f626a656374436c61737331140403746f70040d69" \
	"6e65744f7267506572736f6e300d0402636e31070405416c6963653009040273" \
	"6e3103040141"
/* id 9, AddResponse entryAlreadyExists (68) with a diagnosticMessage */
#define V_ADD_RESP "3020020109691b0a014404000414656e74727920616c726561647920657869" \
	"737473"
/* id 10, delete_operation(DN) + ManageDsaIT control (2.16.840.1.113730.3.4.2, critical,
 * no controlValue) */
#define V_DEL "304002010a4a1b7569643d616c6963652c64633d6578616d706c652c64633d" \
	"636f6da01e301c0417322e31362e3834302e312e3131333733302e332e342e32" \
	"010101"
/* id 10, DelResponse success */
#define V_DEL_RESP "300c02010a6b070a010004000400"
/* id 11, modify_dn_operation(DN, 'uid=alice2', True, 'ou=people,dc=example,dc=com') */
#define V_MODDN "304e02010b6c49041b7569643d616c6963652c64633d6578616d706c652c64" \
	"633d636f6d040a7569643d616c69636532010101801b6f753d70656f706c652c" \
	"64633d6578616d706c652c64633d636f6d"
/* id 11, ModifyDNResponse success */
#define V_MODDN_RESP "300c02010b6d070a010004000400"
/* id 12, compare_operation(DN, 'mail', 'alice@example.com') */
#define V_COMPARE "303d02010c6e38041b7569643d616c6963652c64633d6578616d706c652c64" \
	"633d636f6d301904046d61696c0411616c696365406578616d706c652e636f6d"
/* id 12, CompareResponse compareTrue (6) */
#define V_COMPARE_RESP "300c02010c6f070a010604000400"
/* id 13, abandon_operation(4) */
#define V_ABANDON "300602010d500104"
/* id 14, extended_operation('1.3.6.1.4.1.1466.20037'): StartTLS */
#define V_STARTTLS "301d02010e77188016312e332e362e312e342e312e313436362e3230303337"
/* id 14, ExtendedResponse success, responseName StartTLS */
#define V_STARTTLS_RESP "302402010e781f0a0100040004008a16312e332e362e312e342e312e313436" \
	"362e3230303337"
/* id 15, extended_operation(password modify 1.3.6.1.4.1.4203.1.11.1, PasswdModifyRequestValue) */
#define V_PASSWD "304402010f773f8017312e332e362e312e342e312e343230332e312e31312e" \
	"3181243022801b7569643d616c6963652c64633d6578616d706c652c64633d63" \
	"6f6d82036e3377"
/* id 16, ExtendedResponse success, responseValue 'dn:uid=alice,...' (Who am I?) */
#define V_WHOAMI_RESP "302c02011078270a0100040004008b1e646e3a7569643d616c6963652c6463" \
	"3d6578616d706c652c64633d636f6d"
/* id 0, messageID 0: notice of disconnection, unavailable (52) */
#define V_NOTICE "3024020100781f0a0134040004008a16312e332e362e312e342e312e313436" \
	"362e3230303336"
/* id 17, IntermediateResponse syncInfo (1.3.6.1.4.1.4203.1.9.1.4), value a1 05 04 03 'abc' */
#define V_INTERMEDIATE "302802011179238018312e332e362e312e342e312e343230332e312e392e31" \
	"2e348107a1050403616263"
/* id 2147483647, messageID 2^31-1, abandon_operation(2^31-1) + two controls (ManageDsaIT, paged) */
#define V_MAXID "304c02047fffffff50047fffffffa03e30190417322e31362e3834302e312e" \
	"3131333733302e332e342e3230210416312e322e3834302e3131333535362e31" \
	"2e342e333139040730050201050400"
/* id 4, V_SEARCH_ENTRY in liblber / Active Directory long-form lengths */
#define V_ENTRY_LONG "30840000006802010464840000005f041b7569643d616c6963652c64633d65" \
	"78616d706c652c64633d636f6d30840000003c3084000000110402636e318400" \
	"0000070405416c69636530840000001f04046d61696c3184000000130411616c" \
	"696365406578616d706c652e636f6d"

static const char *const valid[] = {
	V_ANON, V_SIMPLE, V_SASL,
	V_SEARCH, V_UNBIND, V_CTRL, V_ANON_LONG,
	V_SASL_NOCRED, V_BIND_RESP, V_BIND_RESP_SASL, V_SEARCH_ENTRY, V_SEARCH_REF,
	V_SEARCH_DONE, V_MODIFY, V_MODIFY_RESP, V_ADD, V_ADD_RESP, V_DEL, V_DEL_RESP,
	V_MODDN, V_MODDN_RESP, V_COMPARE, V_COMPARE_RESP, V_ABANDON, V_STARTTLS,
	V_STARTTLS_RESP, V_PASSWD, V_WHOAMI_RESP, V_NOTICE, V_INTERMEDIATE, V_MAXID,
	V_ENTRY_LONG,
};

/* What gen_ldap_vectors.py --table computed from the encoder's pieces. */
struct vec_expect {
	const char *name;
	const char *hex;
	uint32_t msg_id;
	uint32_t op_tag;
	bool op_constructed;
	size_t op_off;
	bool has_controls;
	size_t controls_off;
};

static const struct vec_expect expect[] = {
	{ "V_ANON", V_ANON, 1u, 0, true, 5, false, 0 },
	{ "V_SIMPLE", V_SIMPLE, 2u, 0, true, 5, false, 0 },
	{ "V_SASL", V_SASL, 3u, 0, true, 5, false, 0 },
	{ "V_SEARCH", V_SEARCH, 4u, 3, true, 5, false, 0 },
	{ "V_UNBIND", V_UNBIND, 5u, 2, false, 5, false, 0 },
	{ "V_CTRL", V_CTRL, 6u, 3, true, 6, true, 108 },
	{ "V_SASL_NOCRED", V_SASL_NOCRED, 7u, 0, true, 5, false, 0 },
	{ "V_BIND_RESP", V_BIND_RESP, 2u, 1, true, 5, false, 0 },
	{ "V_BIND_RESP_SASL", V_BIND_RESP_SASL, 7u, 1, true, 5, false, 0 },
	{ "V_SEARCH_ENTRY", V_SEARCH_ENTRY, 4u, 4, true, 5, false, 0 },
	{ "V_SEARCH_REF", V_SEARCH_REF, 4u, 19, true, 5, false, 0 },
	{ "V_SEARCH_DONE", V_SEARCH_DONE, 4u, 5, true, 5, false, 0 },
	{ "V_MODIFY", V_MODIFY, 8u, 6, true, 5, false, 0 },
	{ "V_MODIFY_RESP", V_MODIFY_RESP, 8u, 7, true, 5, false, 0 },
	{ "V_ADD", V_ADD, 9u, 8, true, 5, false, 0 },
	{ "V_ADD_RESP", V_ADD_RESP, 9u, 9, true, 5, false, 0 },
	{ "V_DEL", V_DEL, 10u, 10, false, 5, true, 34 },
	{ "V_DEL_RESP", V_DEL_RESP, 10u, 11, true, 5, false, 0 },
	{ "V_MODDN", V_MODDN, 11u, 12, true, 5, false, 0 },
	{ "V_MODDN_RESP", V_MODDN_RESP, 11u, 13, true, 5, false, 0 },
	{ "V_COMPARE", V_COMPARE, 12u, 14, true, 5, false, 0 },
	{ "V_COMPARE_RESP", V_COMPARE_RESP, 12u, 15, true, 5, false, 0 },
	{ "V_ABANDON", V_ABANDON, 13u, 16, false, 5, false, 0 },
	{ "V_STARTTLS", V_STARTTLS, 14u, 23, true, 5, false, 0 },
	{ "V_STARTTLS_RESP", V_STARTTLS_RESP, 14u, 24, true, 5, false, 0 },
	{ "V_PASSWD", V_PASSWD, 15u, 23, true, 5, false, 0 },
	{ "V_WHOAMI_RESP", V_WHOAMI_RESP, 16u, 24, true, 5, false, 0 },
	{ "V_NOTICE", V_NOTICE, 0u, 24, true, 5, false, 0 },
	{ "V_INTERMEDIATE", V_INTERMEDIATE, 17u, 25, true, 5, false, 0 },
	{ "V_MAXID", V_MAXID, 2147483647u, 16, false, 8, true, 14 },
	{ "V_ANON_LONG", V_ANON_LONG, 1u, 0, true, 9, false, 0 },
	{ "V_ENTRY_LONG", V_ENTRY_LONG, 4u, 4, true, 9, false, 0 },
};

/* An exact-size heap copy of p[0..n) */
static uint8_t *
dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* Parse hex @s from an exact-size buffer, freed on return: *m's spans dangle. */
static int
parse_hex(const char *s, struct pe_ldap_msg *m, enum pe_ber_reason *why)
{
	uint8_t buf[512], *q;
	size_t n = unhex(s, buf, sizeof(buf));
	int rc;

	*why = PE_BER_OK;
	q = dup_exact(buf, n);
	rc = pe_ldap_msg_parse(q, n, m, why);
	free(q);
	return rc;
}

static void
test_anon_bind(void **state)
{
	uint8_t buf[64];
	size_t n = unhex(V_ANON, buf, sizeof(buf));
	struct pe_ldap_msg m;
	enum pe_ber_reason why = PE_BER_OK;

	(void)state;
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, &why), 0);
	assert_int_equal(m.len, 14);
	assert_int_equal(m.msg_id, 1);
	assert_int_equal(m.op.cls, PE_BER_APPLICATION);
	assert_true(m.op.constructed);
	assert_int_equal(m.op.tag, PE_LDAP_OP_BIND_REQ);
	assert_int_equal(m.op_off, 5);
	assert_false(m.has_controls);
	assert_int_equal(m.bind.version, 3);
	assert_int_equal(m.bind.name_len, 0);
	assert_int_equal(m.bind.auth, PE_LDAP_AUTH_SIMPLE);
	assert_int_equal(m.bind.cred_len, 0);
	assert_true(pe_ldap_bind_is_anonymous(&m.bind));

	/* the same in liblber's long-form lengths */
	n = unhex(V_ANON_LONG, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, &why), 0);
	assert_int_equal(m.len, 22);
	assert_int_equal(m.op_off, 9);
	assert_int_equal(m.op.hdr_len, 6);
	assert_true(pe_ldap_bind_is_anonymous(&m.bind));
}

static void
test_simple_bind(void **state)
{
	static const char dn[] = "cn=admin,dc=example,dc=com";
	uint8_t buf[64];
	size_t n = unhex(V_SIMPLE, buf, sizeof(buf));
	struct pe_ldap_msg m;

	(void)state;
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.msg_id, 2);
	assert_int_equal(m.op.tag, PE_LDAP_OP_BIND_REQ);
	assert_int_equal(m.bind.version, 3);
	assert_int_equal(m.bind.auth, PE_LDAP_AUTH_SIMPLE);
	assert_int_equal(m.bind.name_len, strlen(dn));
	assert_memory_equal(m.bind.name, dn, strlen(dn));
	assert_ptr_equal(m.bind.name, buf + 12);
	assert_int_equal(m.bind.cred_len, 6);
	assert_memory_equal(m.bind.cred, "secret", 6);
	assert_null(m.bind.mech);
	assert_false(pe_ldap_bind_is_anonymous(&m.bind));
}

static void
test_sasl_bind(void **state)
{
	uint8_t buf[64];
	size_t n = unhex(V_SASL, buf, sizeof(buf));
	struct pe_ldap_msg m;

	(void)state;
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.msg_id, 3);
	assert_int_equal(m.bind.auth, PE_LDAP_AUTH_SASL);
	assert_int_equal(m.bind.name_len, 0);
	assert_int_equal(m.bind.mech_len, 8);
	assert_memory_equal(m.bind.mech, "EXTERNAL", 8);
	assert_int_equal(m.bind.cred_len, 12);
	assert_memory_equal(m.bind.cred, "dn:uid=alice", 12);
	assert_false(pe_ldap_bind_is_anonymous(&m.bind));
}

static void
test_search_unbind_controls(void **state)
{
	uint8_t buf[256];
	size_t n;
	struct pe_ldap_msg m;

	(void)state;
	n = unhex(V_SEARCH, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.msg_id, 4);
	assert_int_equal(m.op.tag, PE_LDAP_OP_SEARCH_REQ);
	assert_true(m.op.constructed);
	assert_int_equal(m.op.len, 0x64);
	assert_false(m.has_controls);
	assert_int_equal(m.controls_off, 0);

	n = unhex(V_UNBIND, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.msg_id, 5);
	assert_int_equal(m.op.tag, PE_LDAP_OP_UNBIND_REQ);
	assert_false(m.op.constructed);
	assert_int_equal(m.op.len, 0);

	n = unhex(V_CTRL, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.len, 0x94);
	assert_int_equal(m.msg_id, 6);
	assert_int_equal(m.op.tag, PE_LDAP_OP_SEARCH_REQ);
	assert_int_equal(m.op_off, 6);
	assert_true(m.has_controls);
	assert_int_equal(m.controls_off, 6 + 2 + 0x64);
	assert_int_equal(buf[m.controls_off], 0xa0);
	assert_int_equal(m.controls.len, 0x26);
	assert_ptr_equal(m.controls.val, buf + m.controls_off + 2);
}

/* Every generated vector: messageID, protocolOp, where it and the controls start. */
static void
test_ldap3_vectors(void **state)
{
	uint8_t buf[256];
	struct pe_ldap_msg m;
	enum pe_ber_reason why;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const struct vec_expect *e = &expect[i];

		print_message("%s\n", e->name);
		n = unhex(e->hex, buf, sizeof(buf));
		why = PE_BER_OK;
		assert_int_equal(pe_ldap_msg_parse(buf, n, &m, &why), 0);
		assert_int_equal(why, PE_BER_OK);
		assert_int_equal(m.len, n);
		assert_int_equal(m.msg_id, e->msg_id);
		assert_int_equal(m.op.cls, PE_BER_APPLICATION);
		assert_int_equal(m.op.tag, e->op_tag);
		assert_int_equal(m.op.constructed, e->op_constructed);
		assert_int_equal(m.op_off, e->op_off);
		assert_ptr_equal(m.op.val, buf + e->op_off + m.op.hdr_len);
		assert_int_equal(m.has_controls, e->has_controls);
		assert_int_equal(m.controls_off, e->controls_off);
		if (e->has_controls) {
			assert_int_equal(buf[m.controls_off], 0xa0);
			assert_int_equal(m.controls_off + m.controls.hdr_len + m.controls.len, n);
		} else {
			assert_int_equal(m.op_off + m.op.hdr_len + m.op.len, n);
		}
		if (e->op_tag != PE_LDAP_OP_BIND_REQ) {
			/* bind fields stay zero for every other operation */
			assert_int_equal(m.bind.version, 0);
			assert_null(m.bind.name);
			assert_null(m.bind.mech);
			assert_null(m.bind.cred);
		}
	}
}

static void
test_more_vectors(void **state)
{
	static const char dn[] = "uid=alice,dc=example,dc=com";
	uint8_t buf[256];
	size_t n;
	struct pe_ldap_msg m;

	(void)state;
	/* SASL bind without credentials: mechanism only */
	n = unhex(V_SASL_NOCRED, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.bind.version, 3);
	assert_int_equal(m.bind.auth, PE_LDAP_AUTH_SASL);
	assert_int_equal(m.bind.name_len, 0);
	assert_int_equal(m.bind.mech_len, 6);
	assert_memory_equal(m.bind.mech, "GSSAPI", 6);
	assert_ptr_equal(m.bind.mech, buf + n - 6);
	assert_null(m.bind.cred);
	assert_int_equal(m.bind.cred_len, 0);
	assert_false(pe_ldap_bind_is_anonymous(&m.bind));

	/* DelRequest: a primitive protocolOp holding the DN, then one control */
	n = unhex(V_DEL, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.op.len, strlen(dn));
	assert_memory_equal(m.op.val, dn, strlen(dn));
	assert_true(m.controls.constructed);
	assert_int_equal(m.controls.len, 0x1e);

	/* AbandonRequest of 2^31-1 in message 2^31-1, two controls */
	n = unhex(V_MAXID, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.msg_id, INT32_MAX);
	assert_int_equal(m.op.len, 4);
	assert_memory_equal(m.op.val, "\x7f\xff\xff\xff", 4);
	assert_int_equal(m.controls.len, 0x3e);

	/* messageID 0: unsolicited notice of disconnection */
	n = unhex(V_NOTICE, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.msg_id, 0);
	assert_int_equal(m.op.tag, PE_LDAP_OP_EXTENDED_RESP);

	/* the entry in long-form lengths: same message, 6-octet headers */
	n = unhex(V_ENTRY_LONG, buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, NULL), 0);
	assert_int_equal(m.msg_id, 4);
	assert_int_equal(m.op.tag, PE_LDAP_OP_SEARCH_ENTRY);
	assert_int_equal(m.op.hdr_len, 6);
	assert_int_equal(m.op_off, 9);
}

static void
test_two_messages(void **state)
{
	uint8_t buf[128], *q;
	size_t n1 = unhex(V_SIMPLE, buf, sizeof(buf)), n, len;
	struct pe_ldap_msg m;

	(void)state;
	n = n1 + unhex(V_UNBIND, buf + n1, sizeof(buf) - n1);
	q = dup_exact(buf, n);
	assert_int_equal(pe_ldap_frame(q, n, &len, NULL), 0);
	assert_int_equal(len, n1);
	assert_int_equal(pe_ldap_msg_parse(q, len, &m, NULL), 0);
	assert_int_equal(m.msg_id, 2);
	assert_int_equal(pe_ldap_frame(q + len, n - len, &len, NULL), 0);
	assert_int_equal(len, 7);
	assert_int_equal(n1 + len, n);
	assert_int_equal(pe_ldap_msg_parse(q + n1, len, &m, NULL), 0);
	assert_int_equal(m.msg_id, 5);
	free(q);
}

/*
 * Every prefix: framing says -EAGAIN until the header is in, then the full
 * length (never another); the TLV reader says -EAGAIN; a full parse of the
 * prefix says TRUNCATED.
 */
static void
test_split_every_offset(void **state)
{
	uint8_t buf[256], *q;
	size_t n, k, len, hdr;
	struct pe_ber_tlv t;
	struct pe_ldap_msg m;
	enum pe_ber_reason why;
	unsigned int v;
	int rc;

	(void)state;
	for (v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
		n = unhex(valid[v], buf, sizeof(buf));
		hdr = buf[1] < 0x80 ? 2 : 2 + (buf[1] & 0x7f);
		for (k = 0; k <= n; k++) {
			q = dup_exact(buf, k);
			len = 0;
			rc = pe_ldap_frame(q, k, &len, NULL);
			if (k < hdr) {
				assert_int_equal(rc, -EAGAIN);
			} else {
				assert_int_equal(rc, 0);
				assert_int_equal(len, n);
			}
			assert_int_equal(pe_ber_read_tlv(q, k, &t, NULL), k < n ? -EAGAIN : 0);
			why = PE_BER_OK;
			rc = pe_ldap_msg_parse(q, k, &m, &why);
			if (k < n) {
				assert_int_equal(rc, -EBADMSG);
				assert_int_equal(why, PE_BER_TRUNCATED);
			} else {
				assert_int_equal(rc, 0);
			}
			free(q);
		}
	}
}

static void
test_read_tlv(void **state)
{
	static const uint8_t hdr_short[] = { 0x30, 0x84, 0x00, 0x00 };
	static const uint8_t val_short[] = { 0x30, 0x84, 0x00, 0x00, 0x01, 0x00, 0x02 };
	static const uint8_t high_tag[] = { 0x7f, 0x81, 0x00, 0x01, 0xaa };  /* [APPLICATION 128] C */
	static const uint8_t high_tag_max[] = { 0x9f, 0xff, 0xff, 0xff, 0x7f, 0x00 };
	struct pe_ber_tlv t;

	(void)state;
	assert_int_equal(pe_ber_read_tlv(hdr_short, sizeof(hdr_short), &t, NULL), -EAGAIN);
	assert_int_equal(t.hdr_len, 0);
	assert_int_equal(pe_ber_read_tlv(val_short, sizeof(val_short), &t, NULL), -EAGAIN);
	assert_int_equal(t.hdr_len, 6);
	assert_int_equal(t.len, 256);
	assert_int_equal(pe_ber_read_tlv(high_tag, sizeof(high_tag), &t, NULL), 0);
	assert_int_equal(t.cls, PE_BER_APPLICATION);
	assert_true(t.constructed);
	assert_int_equal(t.tag, 128);
	assert_int_equal(t.hdr_len, 4);
	assert_int_equal(t.len, 1);
	assert_ptr_equal(t.val, high_tag + 4);
	assert_int_equal(pe_ber_read_tlv(high_tag_max, sizeof(high_tag_max), &t, NULL), 0);
	assert_int_equal(t.cls, PE_BER_CONTEXT);
	assert_int_equal(t.tag, (1u << 28) - 1);
	assert_int_equal(pe_ber_read_tlv(NULL, 0, &t, NULL), -EAGAIN);
}

struct bad_case {
	const char *hex;
	enum pe_ber_reason why;
	bool frame_ok;     /* pe_ldap_frame() still gives a length */
};

static void
test_malformed(void **state)
{
	static const struct bad_case cases[] = {
		/* indefinite length: unbind in 30 80 .. 00 00 */
		{ "30800201014200" "0000", PE_BER_INDEFINITE, false },
		/* 5 length octets */
		{ "308500000000050201014200", PE_BER_LEN_OF_LEN, false },
		/* reserved length octet */
		{ "30ff", PE_BER_LEN_RESERVED, false },
		/* 16 MiB + 1 */
		{ "308401000001", PE_BER_TOO_LONG, false },
		/* wrong outer tag: SET, primitive SEQUENCE, [APPLICATION 16] */
		{ "31050201014200", PE_BER_NOT_SEQUENCE, false },
		{ "10050201014200", PE_BER_NOT_SEQUENCE, false },
		{ "70050201014200", PE_BER_NOT_SEQUENCE, false },
		/* inner TLV longer than its parent: [APPLICATION 2] of 2 with 1 left */
		{ "3006020101420200", PE_BER_OVERRUN, true },
		/* messageID INTEGER length past the SEQUENCE */
		{ "3003020201", PE_BER_OVERRUN, true },
		/* messageID: negative, 2^31, 9 octets, empty, OCTET STRING, constructed, absent */
		{ "30050201ff4200", PE_BER_MSGID_RANGE, true },
		{ "300902050080000000" "4200", PE_BER_MSGID_RANGE, true },
		{ "300d0209000000000000000001" "4200", PE_BER_MSGID, true },
		{ "300402004200", PE_BER_MSGID, true },
		{ "30050401014200", PE_BER_MSGID, true },
		{ "3007220302010142" "00", PE_BER_MSGID, true },
		{ "3000", PE_BER_MSGID, true },
		/* protocolOp: absent, universal, context */
		{ "3003020101", PE_BER_OP, true },
		{ "30050201010400", PE_BER_OP, true },
		{ "30050201018000", PE_BER_OP, true },
		/* protocolOp form: constructed unbind, unbind with content, primitive bind,
		 * constructed del, abandon of -1 */
		{ "30050201016200", PE_BER_OP_FORM, true },
		{ "3006020101420100", PE_BER_OP_FORM, true },
		{ "30050201014000", PE_BER_OP_FORM, true },
		{ "30050201016a00", PE_BER_OP_FORM, true },
		{ "3006020101" "5001ff", PE_BER_OP_FORM, true },
		/* controls: primitive [0], a Control that is not a SEQUENCE, an empty Control */
		{ "30070201014200" "8000", PE_BER_CONTROLS, true },
		{ "30090201014200" "a0020400", PE_BER_CONTROLS, true },
		{ "30090201014200" "a0023000", PE_BER_CONTROLS, true },
		/* bytes after the message */
		{ V_UNBIND "00", PE_BER_TRAILING, true },
		/* BindRequest: version 0, version 128, name not OCTET STRING,
		 * no authentication, universal authentication, constructed simple,
		 * sasl without mechanism, sasl credentials not OCTET STRING */
		{ "300c020101600702010004008000", PE_BER_BIND_VERSION, true },
		{ "300d02010160080202008004008000", PE_BER_BIND_VERSION, true },
		{ "300c020101600702010330008000", PE_BER_BIND_NAME, true },
		{ "300a0201016005020103" "0400", PE_BER_BIND_AUTH, true },
		{ "300c020101600702010304000400", PE_BER_BIND_AUTH, true },
		{ "300c02010160070201030400a000", PE_BER_BIND_AUTH, true },
		{ "300c02010160070201030400a300", PE_BER_BIND_AUTH, true },
		{ "30120201016" "00d0201030400a306" "0401" "58" "0201" "00", PE_BER_BIND_AUTH, true },
		/* high tag number form for tag 2, with a leading 0x80, over 4 octets */
		{ "30060201015f0200", PE_BER_TAG_NONMINIMAL, true },
		{ "30070201015f801f00", PE_BER_TAG_NONMINIMAL, true },
		{ "300a0201015f818181810100", PE_BER_TAG_TOO_LONG, true },
	};
	struct pe_ldap_msg m;
	enum pe_ber_reason why;
	uint8_t buf[64], *q;
	size_t i, n, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu: %s\n", i, cases[i].hex);
		assert_int_equal(parse_hex(cases[i].hex, &m, &why), -EBADMSG);
		assert_string_equal(pe_ber_reason_str(why), pe_ber_reason_str(cases[i].why));
		n = unhex(cases[i].hex, buf, sizeof(buf));
		q = dup_exact(buf, n);
		rc = pe_ldap_frame(q, n, &len, &why);
		assert_int_equal(rc, cases[i].frame_ok ? 0 : -EBADMSG);
		if (!cases[i].frame_ok)
			assert_int_equal(why, cases[i].why);
		free(q);
	}
}

static void
test_liberal(void **state)
{
	static const char *const ok[] = {
		/* messageID padded with 0x00 octets, and the largest messageID */
		"3008020400000005" "4200",
		"30080204" "7fffffff" "4200",
		/* messageID 0 (unsolicited notifications) */
		"30050201004200",
		/* long form for a short length */
		"3081050201014200",
		/* a trailing component after the protocolOp, and after controls */
		"30070201014200" "0400",
		"300d0201014200" "a00430020400" "0400",
		/* an unknown application tag, short and high-tag-number form */
		"30050201017100",
		"30060201017f1f" "00",
		/* sicily package discovery [9] (Active Directory NTLM bind) */
		"300c020101600702010304008900",
		/* sasl bind without credentials */
		"30100201016" "00b0201030400a3040402" "4f4b",
	};
	struct pe_ldap_msg m;
	enum pe_ber_reason why;
	uint8_t buf[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		print_message("case %zu: %s\n", i, ok[i]);
		assert_int_equal(parse_hex(ok[i], &m, &why), 0);
	}
	assert_int_equal(parse_hex(ok[0], &m, &why), 0);
	assert_int_equal(m.msg_id, 5);
	assert_int_equal(parse_hex(ok[1], &m, &why), 0);
	assert_int_equal(m.msg_id, INT32_MAX);
	assert_int_equal(parse_hex(ok[5], &m, &why), 0);
	assert_true(m.has_controls);
	assert_int_equal(parse_hex(ok[7], &m, &why), 0);
	assert_int_equal(m.op.tag, 31);
	assert_int_equal(parse_hex(ok[8], &m, &why), 0);
	assert_int_equal(m.bind.auth, 9);
	n = unhex(ok[9], buf, sizeof(buf));
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, &why), 0);
	assert_int_equal(m.bind.auth, PE_LDAP_AUTH_SASL);
	assert_int_equal(m.bind.mech_len, 2);
	assert_memory_equal(m.bind.mech, "OK", 2);
	assert_null(m.bind.cred);
}

/*
 * A search request whose body is @k nested SEQUENCEs, the innermost empty:
 * 30 L 02 01 01 63 L (30 L (30 L ... (30 00)))
 * depth = 2 + k.
 */
static size_t
build_nested(uint8_t *buf, size_t cap, unsigned int k)
{
	size_t end = cap, start = cap;
	unsigned int i;

	for (i = 0; i < k; i++) {
		buf[start - 1] = (uint8_t)(end - start);
		start -= 2;
		buf[start] = 0x30;
	}
	buf[start - 1] = (uint8_t)(end - start);
	start -= 2;
	buf[start] = 0x63;
	start -= 3;
	memcpy(buf + start, "\x02\x01\x01", 3);
	buf[start - 1] = (uint8_t)(end - start);
	start -= 2;
	buf[start] = 0x30;
	assert_true(end - start < 128 + 2);
	memmove(buf, buf + start, end - start);
	return end - start;
}

static void
test_depth(void **state)
{
	uint8_t buf[128];
	struct pe_ldap_msg m;
	enum pe_ber_reason why = PE_BER_OK;
	size_t n;

	(void)state;
	n = build_nested(buf, sizeof(buf), PE_BER_MAX_DEPTH - 2);
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, &why), 0);
	assert_int_equal(m.op.tag, PE_LDAP_OP_SEARCH_REQ);
	n = build_nested(buf, sizeof(buf), PE_BER_MAX_DEPTH - 1);
	assert_int_equal(pe_ldap_msg_parse(buf, n, &m, &why), -EBADMSG);
	assert_int_equal(why, PE_BER_TOO_DEEP);
}

static void
check_spans(const uint8_t *q, size_t n, const uint8_t *s, size_t len)
{
	if (s == NULL)
		return;
	assert_true(s >= q && s <= q + n);
	assert_true(len <= (size_t)(q + n - s));
}

/* Every byte of every vector set to every value: no crash, no read past n, sane results. */
static void
test_mutate(void **state)
{
	uint8_t buf[256], *q;
	size_t n, i, len;
	struct pe_ldap_msg m;
	enum pe_ber_reason why;
	unsigned int v, b;
	int rc;

	(void)state;
	for (v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
		n = unhex(valid[v], buf, sizeof(buf));
		q = dup_exact(buf, n);
		for (i = 0; i < n; i++) {
			for (b = 0; b < 256; b++) {
				q[i] = (uint8_t)b;
				rc = pe_ldap_frame(q, n, &len, &why);
				assert_true(rc == 0 || rc == -EAGAIN || rc == -EBADMSG);
				why = PE_BER_OK;
				rc = pe_ldap_msg_parse(q, n, &m, &why);
				if (rc == 0) {
					assert_int_equal(m.len, n);
					assert_true(m.msg_id <= INT32_MAX);
					check_spans(q, n, m.op.val, m.op.len);
					check_spans(q, n, m.bind.name, m.bind.name_len);
					check_spans(q, n, m.bind.cred, m.bind.cred_len);
					check_spans(q, n, m.bind.mech, m.bind.mech_len);
				} else {
					assert_int_equal(rc, -EBADMSG);
					assert_true(why > PE_BER_OK && why < PE_BER_REASON_COUNT);
				}
			}
			q[i] = buf[i];
		}
		free(q);
	}
}

static void
test_reason_str(void **state)
{
	unsigned int r;

	(void)state;
	for (r = 0; r < PE_BER_REASON_COUNT; r++)
		assert_non_null(pe_ber_reason_str((enum pe_ber_reason)r));
	assert_string_equal(pe_ber_reason_str(PE_BER_INDEFINITE), "indefinite length");
	assert_string_equal(pe_ber_reason_str(PE_BER_REASON_COUNT), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anon_bind),
		cmocka_unit_test(test_simple_bind),
		cmocka_unit_test(test_sasl_bind),
		cmocka_unit_test(test_search_unbind_controls),
		cmocka_unit_test(test_ldap3_vectors),
		cmocka_unit_test(test_more_vectors),
		cmocka_unit_test(test_two_messages),
		cmocka_unit_test(test_split_every_offset),
		cmocka_unit_test(test_read_tlv),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_liberal),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_mutate),
		cmocka_unit_test(test_reason_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
