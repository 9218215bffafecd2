/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LDAP DN suffix rewriting: python3-ldap3 vectors for every op in both
 * directions, OpenLDAP 0x84 length forms, length-form boundaries, round
 * trips, -ENOSPC at every short cap, malformed bodies, a single-byte
 * mutation sweep, result encoding. Buffers under test are malloc'd to
 * their exact size so valgrind or ASan catch any access past them.
 *
 * Vectors from python3-ldap3 2.9.1 (pyasn1 0.4.8 BER encoder) with:
 *
 *   from ldap3 import SUBTREE, DEREF_NEVER, MODIFY_REPLACE
 *   from ldap3.protocol.rfc4511 import *
 *   from ldap3.protocol.rfc2696 import paged_search_control
 *   from ldap3.protocol.convert import build_controls_list
 *   from ldap3.operation.bind import bind_operation
 *   from ldap3.operation.search import search_operation
 *   from ldap3.operation.modify import modify_operation
 *   from ldap3.operation.add import add_operation
 *   from ldap3.operation.delete import delete_operation
 *   from ldap3.operation.modifyDn import modify_dn_operation
 *   from ldap3.operation.compare import compare_operation
 *   from ldap3.operation.extended import extended_operation
 *   from pyasn1.codec.ber import encoder
 *
 *   def msg(i, op, ctrls=None):
 *       m = LDAPMessage(); m['messageID'] = i; m['protocolOp'] = ProtocolOp().setComponentByType(op.tagSet, op)
 *       if ctrls: m['controls'] = build_controls_list(ctrls)
 *       return encoder.encode(m).hex()
 *
 *   def result(cls, dn, refs=(), rc=10, diag=''):
 *       r = cls(); r['resultCode'] = rc; r['matchedDN'] = dn; r['diagnosticMessage'] = diag
 *       for i, u in enumerate(refs): r['referral'][i] = u
 *       return r
 *
 *   def entry(dn, attrs):
 *       e = SearchResultEntry(); e['object'] = dn
 *       for i, (t, vs) in enumerate(attrs):
 *           e['attributes'][i]['type'] = t
 *           for j, v in enumerate(vs): e['attributes'][i]['vals'][j] = v
 *       return e
 *
 *   def refs(uris):
 *       r = SearchResultReference()
 *       for i, u in enumerate(uris): r[i] = u
 *       return r
 *
 *   C = 'dc=example,dc=com'
 *   B = 'o=backend,dc=corp,dc=internal'
 *
 *   def longform(h):
 *       """OpenLDAP liblber style: every constructed length as 0x84 + 4 octets"""
 *       def walk(b):
 *           out, i = b'', 0
 *           while i < len(b):
 *               t, l, j = b[i], b[i + 1], i + 2
 *               if l & 0x80:
 *                   k = l & 0x7f; l = int.from_bytes(b[j:j + k], 'big'); j += k
 *               v = b[j:j + l]
 *               if t & 0x20:
 *                   v = walk(v); out += bytes([t, 0x84]) + len(v).to_bytes(4, 'big') + v
 *               else:
 *                   out += b[i:j] + v
 *               i = j + l
 *           return out
 *       return walk(bytes.fromhex(h)).hex()
 *
 * Each vector's comment is the expression that made it, with S = C (name
 * suffix _C) and S = B (_B).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/ldap_rewrite.h"

#define C_SUFFIX "dc=example,dc=com"
#define B_SUFFIX "o=backend,dc=corp,dc=internal"
#define DIAG200 \
	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

/* msg(1, bind_operation(3, 'SIMPLE', 'cn=admin,' + S, 'secret')) */
#define BIND_C "302c0201016027020103041a636e3d61646d696e2c64633d6578616d706c652c" \
	"64633d636f6d8006736563726574"
#define BIND_B "303802010160330201030426636e3d61646d696e2c6f3d6261636b656e642c64" \
	"633d636f72702c64633d696e7465726e616c8006736563726574"
/* msg(2, search_operation('ou=people,' + S, '(member=cn=g,dc=example,dc=com)', SUBTREE, DEREF_NEVER, ['cn'], 0, 0, False, None, True), [paged_search_control(True, 100)]) */
#define SEARCH_C "3081810201026354041b6f753d70656f706c652c64633d6578616d706c652c64" \
	"633d636f6d0a01020a0100020100020100010100a32004066d656d6265720416" \
	"636e3d672c64633d6578616d706c652c64633d636f6d30040402636ea0263024" \
	"0416312e322e3834302e3131333535362e312e342e3331390101010407300502" \
	"01640400"
#define SEARCH_B "30818d020102636004276f753d70656f706c652c6f3d6261636b656e642c6463" \
	"3d636f72702c64633d696e7465726e616c0a01020a0100020100020100010100" \
	"a32004066d656d6265720416636e3d672c64633d6578616d706c652c64633d63" \
	"6f6d30040402636ea02630240416312e322e3834302e3131333535362e312e34" \
	"2e333139010101040730050201640400"
/* msg(3, modify_operation('uid=alice,ou=people,' + S, {'seeAlso': [(MODIFY_REPLACE, ['cn=x,' + C])]}, True)) */
#define MODIFY_C "3058020103665304257569643d616c6963652c6f753d70656f706c652c64633d" \
	"6578616d706c652c64633d636f6d302a30280a010230230407736565416c736f" \
	"31180416636e3d782c64633d6578616d706c652c64633d636f6d"
#define MODIFY_B "3064020103665f04317569643d616c6963652c6f753d70656f706c652c6f3d62" \
	"61636b656e642c64633d636f72702c64633d696e7465726e616c302a30280a01" \
	"0230230407736565416c736f31180416636e3d782c64633d6578616d706c652c" \
	"64633d636f6d"
/* msg(4, add_operation('uid=bob,ou=people,' + S, {'objectClass': ['person'], 'cn': ['Bob'], 'sn': ['B'], 'seeAlso': ['cn=x,' + C]}, True)) */
#define ADD_C "308182020104687d04237569643d626f622c6f753d70656f706c652c64633d65" \
	"78616d706c652c64633d636f6d30563017040b6f626a656374436c6173733108" \
	"0406706572736f6e300b0402636e31050403426f6230090402736e3103040142" \
	"30230407736565416c736f31180416636e3d782c64633d6578616d706c652c64" \
	"633d636f6d"
#define ADD_B "30818f020104688189042f7569643d626f622c6f753d70656f706c652c6f3d62" \
	"61636b656e642c64633d636f72702c64633d696e7465726e616c30563017040b" \
	"6f626a656374436c61737331080406706572736f6e300b0402636e3105040342" \
	"6f6230090402736e310304014230230407736565416c736f31180416636e3d78" \
	"2c64633d6578616d706c652c64633d636f6d"
/* msg(5, delete_operation('uid=bob,ou=people,' + S)) */
#define DEL_C "30280201054a237569643d626f622c6f753d70656f706c652c64633d6578616d" \
	"706c652c64633d636f6d"
#define DEL_B "30340201054a2f7569643d626f622c6f753d70656f706c652c6f3d6261636b65" \
	"6e642c64633d636f72702c64633d696e7465726e616c"
/* msg(6, modify_dn_operation('uid=bob,ou=people,' + S, 'uid=robert', True, 'ou=staff,' + S)) */
#define MODDN_C "30550201066c5004237569643d626f622c6f753d70656f706c652c64633d6578" \
	"616d706c652c64633d636f6d040a7569643d726f62657274010101801a6f753d" \
	"73746166662c64633d6578616d706c652c64633d636f6d"
#define MODDN_B "306d0201066c68042f7569643d626f622c6f753d70656f706c652c6f3d626163" \
	"6b656e642c64633d636f72702c64633d696e7465726e616c040a7569643d726f" \
	"6265727401010180266f753d73746166662c6f3d6261636b656e642c64633d63" \
	"6f72702c64633d696e7465726e616c"
/* msg(7, modify_dn_operation(S, 'dc=x', False)) */
#define MODDN_EQ_C "30210201076c1c041164633d6578616d706c652c64633d636f6d040464633d78" \
	"010100"
#define MODDN_EQ_B "302d0201076c28041d6f3d6261636b656e642c64633d636f72702c64633d696e" \
	"7465726e616c040464633d78010100"
/* msg(8, compare_operation('uid=alice,ou=people,' + S, 'manager', 'cn=boss,' + C, True)) */
#define COMPARE_C "30520201086e4d04257569643d616c6963652c6f753d70656f706c652c64633d" \
	"6578616d706c652c64633d636f6d302404076d616e616765720419636e3d626f" \
	"73732c64633d6578616d706c652c64633d636f6d"
#define COMPARE_B "305e0201086e5904317569643d616c6963652c6f753d70656f706c652c6f3d62" \
	"61636b656e642c64633d636f72702c64633d696e7465726e616c302404076d61" \
	"6e616765720419636e3d626f73732c64633d6578616d706c652c64633d636f6d"
/* msg(9, delete_operation('cn=' + 'x' * (107 - len(C)) + ',' + S)) */
#define DEL_111_C "30740201094a6f636e3d78787878787878787878787878787878787878787878" \
	"7878787878787878787878787878787878787878787878787878787878787878" \
	"7878787878787878787878787878787878787878787878787878787878787878" \
	"787878782c64633d6578616d706c652c64633d636f6d"
#define DEL_111_B "3081800201094a7b636e3d787878787878787878787878787878787878787878" \
	"7878787878787878787878787878787878787878787878787878787878787878" \
	"7878787878787878787878787878787878787878787878787878787878787878" \
	"78787878782c6f3d6261636b656e642c64633d636f72702c64633d696e746572" \
	"6e616c"
/* msg(9, delete_operation('cn=' + 'x' * (112 - len(C)) + ',' + S)) */
#define DEL_116_C "30790201094a74636e3d78787878787878787878787878787878787878787878" \
	"7878787878787878787878787878787878787878787878787878787878787878" \
	"7878787878787878787878787878787878787878787878787878787878787878" \
	"7878787878787878782c64633d6578616d706c652c64633d636f6d"
#define DEL_116_B "3081860201094a8180636e3d7878787878787878787878787878787878787878" \
	"7878787878787878787878787878787878787878787878787878787878787878" \
	"7878787878787878787878787878787878787878787878787878787878787878" \
	"78787878787878787878782c6f3d6261636b656e642c64633d636f72702c6463" \
	"3d696e7465726e616c"
/* msg(1, result(BindResponse, 'ou=people,' + S)) */
#define BIND_RESP_B "3033020101612e0a010a04276f753d70656f706c652c6f3d6261636b656e642c" \
	"64633d636f72702c64633d696e7465726e616c0400"
#define BIND_RESP_C "302702010161220a010a041b6f753d70656f706c652c64633d6578616d706c65" \
	"2c64633d636f6d0400"
/* msg(2, entry('uid=alice,ou=people,' + S, [('cn', ['Alice']), ('member', ['cn=g,' + B])])) */
#define ENTRY_B "3079020102647404317569643d616c6963652c6f753d70656f706c652c6f3d62" \
	"61636b656e642c64633d636f72702c64633d696e7465726e616c303f300d0402" \
	"636e31070405416c696365302e04066d656d62657231240422636e3d672c6f3d" \
	"6261636b656e642c64633d636f72702c64633d696e7465726e616c"
#define ENTRY_C "306d020102646804257569643d616c6963652c6f753d70656f706c652c64633d" \
	"6578616d706c652c64633d636f6d303f300d0402636e31070405416c69636530" \
	"2e04066d656d62657231240422636e3d672c6f3d6261636b656e642c64633d63" \
	"6f72702c64633d696e7465726e616c"
/* msg(2, refs(['ldap://b1.internal/ou=a,' + S + '??sub', 'LDAP://b2:389/' + S, 'ldap://b3', 'ldap://b4?' + B, 'ldaps://b5/' + B, 'ldap://b6/o=backend,dc=corp,dc%3Dinternal'])) */
#define REF_B "3081f80201027381f2043a6c6461703a2f2f62312e696e7465726e616c2f6f75" \
	"3d612c6f3d6261636b656e642c64633d636f72702c64633d696e7465726e616c" \
	"3f3f737562042b4c4441503a2f2f62323a3338392f6f3d6261636b656e642c64" \
	"633d636f72702c64633d696e7465726e616c04096c6461703a2f2f623304276c" \
	"6461703a2f2f62343f6f3d6261636b656e642c64633d636f72702c64633d696e" \
	"7465726e616c04286c646170733a2f2f62352f6f3d6261636b656e642c64633d" \
	"636f72702c64633d696e7465726e616c04296c6461703a2f2f62362f6f3d6261" \
	"636b656e642c64633d636f72702c6463253344696e7465726e616c"
#define REF_C "3081e00201027381da042e6c6461703a2f2f62312e696e7465726e616c2f6f75" \
	"3d612c64633d6578616d706c652c64633d636f6d3f3f737562041f4c4441503a" \
	"2f2f62323a3338392f64633d6578616d706c652c64633d636f6d04096c646170" \
	"3a2f2f623304276c6461703a2f2f62343f6f3d6261636b656e642c64633d636f" \
	"72702c64633d696e7465726e616c04286c646170733a2f2f62352f6f3d626163" \
	"6b656e642c64633d636f72702c64633d696e7465726e616c04296c6461703a2f" \
	"2f62362f6f3d6261636b656e642c64633d636f72702c6463253344696e746572" \
	"6e616c"
/* msg(2, result(SearchResultDone, 'ou=p,' + S, ['ldap://b1/ou=x,' + S + '?cn?base', 'ldap://b2/dc=elsewhere'])) */
#define DONE_B "307e02010265790a010a04226f753d702c6f3d6261636b656e642c64633d636f" \
	"72702c64633d696e7465726e616c0400a34e04346c6461703a2f2f62312f6f75" \
	"3d782c6f3d6261636b656e642c64633d636f72702c64633d696e7465726e616c" \
	"3f636e3f6261736504166c6461703a2f2f62322f64633d656c73657768657265"
#define DONE_C "306602010265610a010a04166f753d702c64633d6578616d706c652c64633d63" \
	"6f6d0400a34204286c6461703a2f2f62312f6f753d782c64633d6578616d706c" \
	"652c64633d636f6d3f636e3f6261736504166c6461703a2f2f62322f64633d65" \
	"6c73657768657265"
/* msg(3, result(ModifyResponse, S)) */
#define MODIFY_RESP_B "302902010367240a010a041d6f3d6261636b656e642c64633d636f72702c6463" \
	"3d696e7465726e616c0400"
#define MODIFY_RESP_C "301d02010367180a010a041164633d6578616d706c652c64633d636f6d0400"
/* msg(4, result(AddResponse, '', ['ldap://b1/' + S])) */
#define ADD_RESP_B "303702010469320a010a04000400a32904276c6461703a2f2f62312f6f3d6261" \
	"636b656e642c64633d636f72702c64633d696e7465726e616c"
#define ADD_RESP_C "302b02010469260a010a04000400a31d041b6c6461703a2f2f62312f64633d65" \
	"78616d706c652c64633d636f6d"
/* msg(5, result(DelResponse, 'ou=people,' + S)) */
#define DEL_RESP_B "30330201056b2e0a010a04276f753d70656f706c652c6f3d6261636b656e642c" \
	"64633d636f72702c64633d696e7465726e616c0400"
#define DEL_RESP_C "30270201056b220a010a041b6f753d70656f706c652c64633d6578616d706c65" \
	"2c64633d636f6d0400"
/* msg(6, result(ModifyDNResponse, 'ou=people,' + S)) */
#define MODDN_RESP_B "30330201066d2e0a010a04276f753d70656f706c652c6f3d6261636b656e642c" \
	"64633d636f72702c64633d696e7465726e616c0400"
#define MODDN_RESP_C "30270201066d220a010a041b6f753d70656f706c652c64633d6578616d706c65" \
	"2c64633d636f6d0400"
/* msg(8, result(CompareResponse, 'ou=people,' + S)) */
#define COMPARE_RESP_B "30330201086f2e0a010a04276f753d70656f706c652c6f3d6261636b656e642c" \
	"64633d636f72702c64633d696e7465726e616c0400"
#define COMPARE_RESP_C "30270201086f220a010a041b6f753d70656f706c652c64633d6578616d706c65" \
	"2c64633d636f6d0400"
/* msg(10, result(ExtendedResponse, S)) */
#define EXT_RESP_B "302902010a78240a010a041d6f3d6261636b656e642c64633d636f72702c6463" \
	"3d696e7465726e616c0400"
#define EXT_RESP_C "301d02010a78180a010a041164633d6578616d706c652c64633d636f6d0400"
/* the same as OpenLDAP's liblber writes them: longform(<vector>) */
#define LF_BIND_C "308400000030020101608400000027020103041a636e3d61646d696e2c64633d" \
	"6578616d706c652c64633d636f6d8006736563726574"
#define LF_BIND_B "30840000003c0201016084000000330201030426636e3d61646d696e2c6f3d62" \
	"61636b656e642c64633d636f72702c64633d696e7465726e616c800673656372" \
	"6574"
#define LF_SEARCH_C "30840000009502010263840000005c041b6f753d70656f706c652c64633d6578" \
	"616d706c652c64633d636f6d0a01020a0100020100020100010100a384000000" \
	"2004066d656d6265720416636e3d672c64633d6578616d706c652c64633d636f" \
	"6d3084000000040402636ea0840000002a3084000000240416312e322e383430" \
	"2e3131333535362e312e342e333139010101040730050201640400"
#define LF_SEARCH_B "3084000000a102010263840000006804276f753d70656f706c652c6f3d626163" \
	"6b656e642c64633d636f72702c64633d696e7465726e616c0a01020a01000201" \
	"00020100010100a3840000002004066d656d6265720416636e3d672c64633d65" \
	"78616d706c652c64633d636f6d3084000000040402636ea0840000002a308400" \
	"0000240416312e322e3834302e3131333535362e312e342e3331390101010407" \
	"30050201640400"
#define LF_DEL_C "3084000000280201054a237569643d626f622c6f753d70656f706c652c64633d" \
	"6578616d706c652c64633d636f6d"
#define LF_DEL_B "3084000000340201054a2f7569643d626f622c6f753d70656f706c652c6f3d62" \
	"61636b656e642c64633d636f72702c64633d696e7465726e616c"
#define LF_ENTRY_B "30840000009102010264840000008804317569643d616c6963652c6f753d7065" \
	"6f706c652c6f3d6261636b656e642c64633d636f72702c64633d696e7465726e" \
	"616c30840000004f3084000000110402636e3184000000070405416c69636530" \
	"840000003204066d656d6265723184000000240422636e3d672c6f3d6261636b" \
	"656e642c64633d636f72702c64633d696e7465726e616c"
#define LF_ENTRY_C "30840000008502010264840000007c04257569643d616c6963652c6f753d7065" \
	"6f706c652c64633d6578616d706c652c64633d636f6d30840000004f30840000" \
	"00110402636e3184000000070405416c69636530840000003204066d656d6265" \
	"723184000000240422636e3d672c6f3d6261636b656e642c64633d636f72702c" \
	"64633d696e7465726e616c"
#define LF_REF_B "3084000000fb0201027384000000f2043a6c6461703a2f2f62312e696e746572" \
	"6e616c2f6f753d612c6f3d6261636b656e642c64633d636f72702c64633d696e" \
	"7465726e616c3f3f737562042b4c4441503a2f2f62323a3338392f6f3d626163" \
	"6b656e642c64633d636f72702c64633d696e7465726e616c04096c6461703a2f" \
	"2f623304276c6461703a2f2f62343f6f3d6261636b656e642c64633d636f7270" \
	"2c64633d696e7465726e616c04286c646170733a2f2f62352f6f3d6261636b65" \
	"6e642c64633d636f72702c64633d696e7465726e616c04296c6461703a2f2f62" \
	"362f6f3d6261636b656e642c64633d636f72702c6463253344696e7465726e61" \
	"6c"
#define LF_REF_C "3084000000e30201027384000000da042e6c6461703a2f2f62312e696e746572" \
	"6e616c2f6f753d612c64633d6578616d706c652c64633d636f6d3f3f73756204" \
	"1f4c4441503a2f2f62323a3338392f64633d6578616d706c652c64633d636f6d" \
	"04096c6461703a2f2f623304276c6461703a2f2f62343f6f3d6261636b656e64" \
	"2c64633d636f72702c64633d696e7465726e616c04286c646170733a2f2f6235" \
	"2f6f3d6261636b656e642c64633d636f72702c64633d696e7465726e616c0429" \
	"6c6461703a2f2f62362f6f3d6261636b656e642c64633d636f72702c64632533" \
	"44696e7465726e616c"
#define LF_DONE_B "30840000008602010265840000007d0a010a04226f753d702c6f3d6261636b65" \
	"6e642c64633d636f72702c64633d696e7465726e616c0400a3840000004e0434" \
	"6c6461703a2f2f62312f6f753d782c6f3d6261636b656e642c64633d636f7270" \
	"2c64633d696e7465726e616c3f636e3f6261736504166c6461703a2f2f62322f" \
	"64633d656c73657768657265"
#define LF_DONE_C "30840000006e0201026584000000650a010a04166f753d702c64633d6578616d" \
	"706c652c64633d636f6d0400a3840000004204286c6461703a2f2f62312f6f75" \
	"3d782c64633d6578616d706c652c64633d636f6d3f636e3f6261736504166c64" \
	"61703a2f2f62322f64633d656c73657768657265"

/* msg(1, bind_operation(3, 'SIMPLE', 'cn=admin,dc=myexample,dc=com', 'secret')) */
#define NOMATCH "302e0201016029020103041c636e3d61646d696e2c64633d6d796578616d706c" \
	"652c64633d636f6d8006736563726574"
/* msg(11, extended_operation('1.3.6.1.4.1.1466.20037')) */
#define STARTTLS "301d02010b77188016312e332e362e312e342e312e313436362e3230303337"
/* msg(12, extended_operation('1.3.6.1.4.1.4203.1.11.1')) */
#define PASSMOD "301e02010c77198017312e332e362e312e342e312e343230332e312e31312e31"
/* msg(13, AbandonRequest(5)) */
#define ABANDON "300602010d500105"
/* msg(1, result(BindResponse, '', rc=53, diag='proxy: bind refused')) */
#define ENC_BIND "301f020101611a0a01350400041370726f78793a2062696e6420726566757365" \
	"64"
/* msg(2147483647, result(ExtendedResponse, '', rc=2)) */
#define ENC_EXT "300f02047fffffff78070a010204000400"
/* msg(300, result(SearchResultDone, C, rc=48, diag='d' * 200)) */
#define ENC_DONE "3081e80202012c6581e10a0130041164633d6578616d706c652c64633d636f6d" \
	"0481c86464646464646464646464646464646464646464646464646464646464" \
	"6464646464646464646464646464646464646464646464646464646464646464" \
	"6464646464646464646464646464646464646464646464646464646464646464" \
	"6464646464646464646464646464646464646464646464646464646464646464" \
	"6464646464646464646464646464646464646464646464646464646464646464" \
	"6464646464646464646464646464646464646464646464646464646464646464" \
	"6464646464646464646464"

static const struct pe_ldap_dn_map map = {
	.client = C_SUFFIX, .client_len = sizeof(C_SUFFIX) - 1,
	.backend = B_SUFFIX, .backend_len = sizeof(B_SUFFIX) - 1,
};

/* the same suffixes the other way round: undoes what map did */
static const struct pe_ldap_dn_map rmap = {
	.client = B_SUFFIX, .client_len = sizeof(B_SUFFIX) - 1,
	.backend = C_SUFFIX, .backend_len = sizeof(C_SUFFIX) - 1,
};

/* in, rewritten with map in direction request, must give out */
struct pair {
	const char *name;
	const char *in;
	const char *out;
	bool request;
};

static const struct pair pairs[] = {
	{ "bind", BIND_C, BIND_B, true },
	{ "search", SEARCH_C, SEARCH_B, true },
	{ "modify", MODIFY_C, MODIFY_B, true },
	{ "add", ADD_C, ADD_B, true },
	{ "delete", DEL_C, DEL_B, true },
	{ "moddn", MODDN_C, MODDN_B, true },
	{ "moddn entry = suffix", MODDN_EQ_C, MODDN_EQ_B, true },
	{ "compare", COMPARE_C, COMPARE_B, true },
	{ "delete 111", DEL_111_C, DEL_111_B, true },
	{ "delete 116", DEL_116_C, DEL_116_B, true },
	{ "bind resp", BIND_RESP_B, BIND_RESP_C, false },
	{ "entry", ENTRY_B, ENTRY_C, false },
	{ "reference", REF_B, REF_C, false },
	{ "search done", DONE_B, DONE_C, false },
	{ "modify resp", MODIFY_RESP_B, MODIFY_RESP_C, false },
	{ "add resp", ADD_RESP_B, ADD_RESP_C, false },
	{ "del resp", DEL_RESP_B, DEL_RESP_C, false },
	{ "moddn resp", MODDN_RESP_B, MODDN_RESP_C, false },
	{ "compare resp", COMPARE_RESP_B, COMPARE_RESP_C, false },
	{ "extended resp", EXT_RESP_B, EXT_RESP_C, false },
};

static const struct pair lf_pairs[] = {
	{ "bind", LF_BIND_C, LF_BIND_B, true },
	{ "search", LF_SEARCH_C, LF_SEARCH_B, true },
	{ "delete", LF_DEL_C, LF_DEL_B, true },
	{ "entry", LF_ENTRY_B, LF_ENTRY_C, false },
	{ "reference", LF_REF_B, LF_REF_C, false },
	{ "search done", LF_DONE_B, LF_DONE_C, false },
};

#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))
#define NLF (sizeof(lf_pairs) / sizeof(lf_pairs[0]))

/* An exact-size heap buffer holding hex @s */
static uint8_t *
unhex(const char *s, size_t *n)
{
	uint8_t *q;
	unsigned int b;
	size_t i;

	*n = strlen(s) / 2;
	q = malloc(*n ? *n : 1);
	assert_non_null(q);
	for (i = 0; i < *n; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &b), 1);
		q[i] = (uint8_t)b;
	}
	return q;
}

static void
parse_ok(const uint8_t *p, size_t n, struct pe_ldap_msg *m)
{
	enum pe_ber_reason why = PE_BER_OK;

	if (pe_ldap_msg_parse(p, n, m, &why) != 0)
		fail_msg("parse: %s", pe_ber_reason_str(why));
}

/*
 * Rewrite p[0..n): learn the length with a roomy buffer, then do it again
 * into an exact-size one (returned in *out, NULL when rc <= 0) and check
 * both agree.
 */
static long
rewrite(const uint8_t *p, size_t n, const struct pe_ldap_dn_map *mp,
	bool request, uint8_t **out, enum pe_ber_reason *why)
{
	size_t big = 2 * n + 4096;
	uint8_t *roomy = malloc(big), *exact;
	struct pe_ldap_msg m;
	long rc, rc2;

	assert_non_null(roomy);
	parse_ok(p, n, &m);
	*why = PE_BER_OK;
	*out = NULL;
	rc = pe_ldap_rewrite(p, n, &m, mp, request, roomy, big, why);
	if (rc > 0) {
		exact = malloc((size_t)rc);
		assert_non_null(exact);
		rc2 = pe_ldap_rewrite(p, n, &m, mp, request, exact, (size_t)rc,
			why);
		assert_int_equal(rc2, rc);
		assert_memory_equal(exact, roomy, (size_t)rc);
		*out = exact;
	}
	free(roomy);
	return rc;
}

static void
test_dn_equal(void **state)
{
	static const struct {
		const char *a, *b;
		bool eq;
	} c[] = {
		{ "dc=example,dc=com", "dc=example,dc=com", true },
		{ "DC=Example,Dc=COM", "dc=example,dc=com", true },
		{ " dc = example ,  dc=com  ", "dc=example,dc=com", true },
		{ "cn=a b,dc=com", "cn=a b,dc=com", true },
		{ "cn=a  b,dc=com", "cn=a b,dc=com", false },  /* inside a value */
		{ "cn=ab,dc=com", "cn=a b,dc=com", false },
		{ "cn=a\\ ,dc=com", "cn=a,dc=com", false },    /* escaped space */
		{ "cn=a\\,b", "cn=a\\,b", true },
		{ "cn=a\\,b", "cn=a,b", false },               /* not decoded */
		{ "cn=a\\2Cb", "cn=a\\2cb", true },
		{ "cn=a\\2Cb", "cn=a\\,b", false },
		{ "", "", true },
		{ "   ", "", true },
		{ "dc=com", "", false },
		{ "dc=com", "dc=co", false },
		{ "dc=co", "dc=com", false },
		{ "dc=com\\", "dc=com", false },
		{ "cn=\xc3\xa9,dc=com", "cn=\xc3\xa9,dc=com", true },
		{ "cn=\xc3\x89,dc=com", "cn=\xc3\xa9,dc=com", false },  /* ASCII only */
	};
	size_t i, n;
	uint8_t *q;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = strlen(c[i].a);
		q = malloc(n ? n : 1);
		memcpy(q, c[i].a, n);
		if (pe_ldap_dn_equal(q, n, c[i].b, strlen(c[i].b)) != c[i].eq)
			fail_msg("'%s' vs '%s'", c[i].a, c[i].b);
		free(q);
	}
}

static void
test_dn_suffix(void **state)
{
	static const struct {
		const char *dn, *suffix;
		bool match;
		size_t prefix;
	} c[] = {
		{ "dc=example,dc=com", C_SUFFIX, true, 0 },             /* equal */
		{ "uid=x,dc=example,dc=com", C_SUFFIX, true, 6 },
		{ "UID=x,DC=Example,DC=COM", C_SUFFIX, true, 6 },       /* case */
		{ "uid=x , dc = example , dc=com ", C_SUFFIX, true, 7 },  /* spaces */
		{ "uid=x,ou=a,dc=example,dc=com", "DC=EXAMPLE, DC=COM", true, 11 },
		{ "cn=a+sn=b,dc=example,dc=com", C_SUFFIX, true, 10 },  /* multi-valued RDN */
		{ "cn=a\\\\,dc=example,dc=com", C_SUFFIX, true, 7 },     /* escaped '\' then ',' */
		{ "uid=x\\,dc=example,dc=com", C_SUFFIX, false, 0 },    /* escaped ',' */
		{ "dc=myexample,dc=com", C_SUFFIX, false, 0 },          /* not on an RDN boundary */
		{ "uid=x,dc=myexample,dc=com", C_SUFFIX, false, 0 },
		{ "dc=notcorp,dc=example", "dc=corp,dc=example", false, 0 },
		{ "dc=com", C_SUFFIX, false, 0 },                       /* shorter */
		{ "", C_SUFFIX, false, 0 },
		{ "dc=example,dc=com", "", false, 0 },                  /* empty suffix */
		{ "", "", false, 0 },
		{ "", "  ", false, 0 },
		{ "dc=example,dc=com,dc=x", C_SUFFIX, false, 0 },
		{ ",dc=example,dc=com", C_SUFFIX, true, 1 },
		{ "dc=example,dc=com\\", C_SUFFIX, false, 0 },
	};
	size_t i, n, pre;
	uint8_t *q;
	bool r;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = strlen(c[i].dn);
		q = malloc(n ? n : 1);
		memcpy(q, c[i].dn, n);
		pre = 12345;
		r = pe_ldap_dn_suffix(q, n, c[i].suffix, strlen(c[i].suffix), &pre);
		if (r != c[i].match || (r && pre != c[i].prefix))
			fail_msg("'%s' in '%s': %d %zu", c[i].suffix, c[i].dn, r, pre);
		if (!r)
			assert_int_equal(pre, 12345);  /* untouched */
		free(q);
	}
}

/* A DN of 1M RDNs: one pass, not one comparison per ',' */
static void
test_dn_suffix_linear(void **state)
{
	size_t n = 2u << 20, i, pre;
	uint8_t *q = malloc(n + sizeof(C_SUFFIX) - 1);
	clock_t t0 = clock();

	(void)state;
	assert_non_null(q);
	for (i = 0; i < n; i += 2) {
		q[i] = 'a';
		q[i + 1] = ',';
	}
	memcpy(q + n, C_SUFFIX, sizeof(C_SUFFIX) - 1);
	assert_true(pe_ldap_dn_suffix(q, n + sizeof(C_SUFFIX) - 1, C_SUFFIX,
		sizeof(C_SUFFIX) - 1, &pre));
	assert_int_equal(pre, n);
	assert_false(pe_ldap_dn_suffix(q, n + sizeof(C_SUFFIX) - 2, C_SUFFIX,
		sizeof(C_SUFFIX) - 1, &pre));
	/* quadratic would be ~10^12 steps; linear is milliseconds (valgrind: seconds) */
	assert_true(clock() - t0 < 30 * CLOCKS_PER_SEC);
	free(q);
}

/*
 * Each rewrite is the ldap3 encoding of the message with the other DN.
 * The vectors are sized so that no length crosses a form boundary
 * downwards (where the rewriter keeps the longer form and ldap3 would
 * not); test_length_boundary covers those.
 */
static void
check_pairs(const struct pair *v, size_t count)
{
	struct pe_ldap_msg mi, mo;
	enum pe_ber_reason why;
	uint8_t *in, *want, *out;
	size_t n, wn;
	size_t i;
	long rc;

	for (i = 0; i < count; i++) {
		in = unhex(v[i].in, &n);
		want = unhex(v[i].out, &wn);
		rc = rewrite(in, n, &map, v[i].request, &out, &why);
		if (rc != (long)wn)
			fail_msg("%s: rc %ld want %zu (%s)", v[i].name, rc, wn,
				pe_ber_reason_str(why));
		if (memcmp(out, want, wn) != 0)
			fail_msg("%s: bytes differ", v[i].name);
		parse_ok(in, n, &mi);
		parse_ok(out, wn, &mo);
		assert_int_equal(mo.msg_id, mi.msg_id);
		assert_int_equal(mo.op.tag, mi.op.tag);
		assert_int_equal(mo.has_controls, mi.has_controls);
		if (mi.has_controls)  /* copied unchanged, to the end */
			assert_memory_equal(out + mo.controls_off,
				in + mi.controls_off, n - mi.controls_off);
		free(in);
		free(want);
		free(out);
	}
}

static void
test_vectors(void **state)
{
	(void)state;
	check_pairs(pairs, NPAIRS);
}

/* OpenLDAP's 0x84 + 4 octets stay as they are. */
static void
test_long_form(void **state)
{
	enum pe_ber_reason why;
	uint8_t *in, *out;
	size_t n;
	long rc;

	(void)state;
	check_pairs(lf_pairs, NLF);

	in = unhex(LF_BIND_C, &n);
	rc = rewrite(in, n, &map, true, &out, &why);
	assert_true(rc > 0);
	assert_memory_equal(out, "\x30\x84\x00\x00\x00", 5);
	assert_memory_equal(out + 6 + 3, "\x60\x84\x00\x00\x00", 5);
	free(in);
	free(out);
}

/* What the values of DN-syntax attributes and filters hold stays. */
static void
test_values_untouched(void **state)
{
	static const char *const keep[] = { SEARCH_C, MODIFY_C, ADD_C, COMPARE_C };
	enum pe_ber_reason why;
	uint8_t *in, *out;
	size_t n, i;
	long rc;

	(void)state;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		in = unhex(keep[i], &n);
		rc = rewrite(in, n, &map, true, &out, &why);
		assert_true(rc > 0);
		/* the filter/attribute value still names the client suffix */
		assert_non_null(memmem(out, (size_t)rc, C_SUFFIX,
			sizeof(C_SUFFIX) - 1));
		free(in);
		free(out);
	}
}

/*
 * Rewriting back with the swapped map gives the input again, byte for
 * byte, unless a length crossed to a longer form on the way out (then the
 * way back keeps the longer form): returns how many were not identical.
 * Those must be stable: one more cycle gives the same bytes.
 */
static size_t
check_round_trip(const struct pair *v, size_t count)
{
	enum pe_ber_reason why;
	uint8_t *in, *mid, *back, *mid2;
	size_t n, i, longer = 0;
	long rc, rc2, rc3;

	for (i = 0; i < count; i++) {
		in = unhex(v[i].in, &n);
		rc = rewrite(in, n, &map, v[i].request, &mid, &why);
		assert_true(rc > 0);
		rc2 = rewrite(mid, (size_t)rc, &rmap, v[i].request, &back, &why);
		assert_true(rc2 > 0);
		if (rc2 != (long)n || memcmp(back, in, n) != 0) {
			longer++;
			assert_true(rc2 > (long)n);
			rc3 = rewrite(back, (size_t)rc2, &map, v[i].request, &mid2,
				&why);
			assert_int_equal(rc3, rc);
			assert_memory_equal(mid2, mid, (size_t)rc);
			free(mid2);
		}
		free(in);
		free(mid);
		free(back);
	}
	return longer;
}

static void
test_round_trip(void **state)
{
	(void)state;
	/* ADD_C, DEL_111_C, DEL_116_C grow past 127: only those differ */
	assert_int_equal(check_round_trip(pairs, NPAIRS), 3);
	assert_int_equal(check_round_trip(lf_pairs, NLF), 0);
}

/*
 * DelRequest (30 L 02 01 09 4a L dn): growing by 12 octets takes the
 * LDAPMessage from 116 to 128 (DEL_111) and the DN from 116 to 128
 * (DEL_116) across the short/long form boundary; ldap3's encoding (checked
 * by test_vectors) is minimal. Shrinking back keeps the long form.
 */
static void
test_length_boundary(void **state)
{
	enum pe_ber_reason why;
	struct pe_ldap_msg m;
	uint8_t *in, *out, *back;
	size_t n;
	long rc;

	(void)state;
	in = unhex(DEL_111_C, &n);
	assert_int_equal(in[1], 116);
	rc = rewrite(in, n, &map, true, &out, &why);
	assert_int_equal(rc, n + 12 + 1);
	assert_memory_equal(out, "\x30\x81\x80\x02\x01\x09\x4a\x7b", 8);
	free(in);
	free(out);

	in = unhex(DEL_116_C, &n);
	assert_memory_equal(in + 2, "\x02\x01\x09\x4a\x74", 5);
	rc = rewrite(in, n, &map, true, &out, &why);
	assert_int_equal(rc, n + 12 + 2);
	assert_memory_equal(out, "\x30\x81\x86\x02\x01\x09\x4a\x81\x80", 9);
	/* back: 128 -> 116 fits the octets it had, 0x81 is kept */
	rc = rewrite(out, (size_t)rc, &rmap, true, &back, &why);
	assert_int_equal(rc, n + 2);
	assert_memory_equal(back, "\x30\x81\x7a\x02\x01\x09\x4a\x81\x74", 9);
	parse_ok(back, (size_t)rc, &m);
	assert_int_equal(m.op.len, 116);
	assert_memory_equal(m.op.val, in + 7, 116);
	free(in);
	free(out);
	free(back);
}

static uint8_t *
put84(uint8_t *q, uint8_t id, size_t len)
{
	q[0] = id;
	q[1] = 0x84;
	q[2] = (uint8_t)(len >> 24);
	q[3] = (uint8_t)(len >> 16);
	q[4] = (uint8_t)(len >> 8);
	q[5] = (uint8_t)len;
	return q + 6;
}

/*
 * A 1 MB SearchResultEntry as OpenLDAP writes it; only the head changes:
 *
 *   30 84 L0  02 01 07  64 84 L1  04 dl dn  30 84 L2  30 84 L3  04 02 "cn"
 *   31 84 L4  04 84 L5  value
 */
static void
test_big_entry(void **state)
{
	static const char dn[] = "uid=big," B_SUFFIX;
	const size_t dl = sizeof(dn) - 1, shrink = sizeof(B_SUFFIX) - sizeof(C_SUFFIX);
	const size_t l5 = 1u << 20, l4 = 6 + l5, l3 = 4 + 6 + l4, l2 = 6 + l3;
	const size_t l1 = 2 + dl + 6 + l2, l0 = 3 + 6 + l1, n = 6 + l0;
	uint8_t *p = malloc(n), *q, *out, *tail;
	enum pe_ber_reason why;
	struct pe_ldap_msg m;
	long rc;

	(void)state;
	assert_non_null(p);
	q = put84(p, 0x30, l0);
	memcpy(q, "\x02\x01\x07", 3);
	q = put84(q + 3, 0x64, l1);
	*q++ = 0x04;
	*q++ = (uint8_t)dl;
	memcpy(q, dn, dl);
	tail = q += dl;
	q = put84(q, 0x30, l2);
	q = put84(q, 0x30, l3);
	memcpy(q, "\x04\x02" "cn", 4);
	q = put84(q + 4, 0x31, l4);
	q = put84(q, 0x04, l5);
	memset(q, 'v', l5);
	assert_int_equal(q + l5 - p, n);
	parse_ok(p, n, &m);

	rc = rewrite(p, n, &map, false, &out, &why);
	assert_int_equal(rc, n - shrink);
	q = out;
	assert_memory_equal(q, "\x30\x84", 2);
	assert_int_equal(((size_t)q[2] << 24 | q[3] << 16 | q[4] << 8 | q[5]), l0 - shrink);
	assert_memory_equal(q + 6, "\x02\x01\x07\x64\x84", 5);
	assert_int_equal(((size_t)q[11] << 24 | q[12] << 16 | q[13] << 8 | q[14]), l1 - shrink);
	assert_int_equal(q[15], 0x04);
	assert_int_equal(q[16], dl - shrink);
	assert_memory_equal(q + 17, "uid=big," C_SUFFIX, dl - shrink);
	assert_memory_equal(q + 17 + dl - shrink, tail, (size_t)(p + n - tail));
	parse_ok(out, (size_t)rc, &m);
	free(p);
	free(out);
}

/* 0 and out untouched: no DN matched, or nothing to rewrite that way. */
static void
test_no_match(void **state)
{
	static const struct {
		const char *hex;
		bool request;
	} c[] = {
		{ NOMATCH, true },              /* dc=myexample,dc=com */
		{ BIND_C, false },              /* a request read as a response */
		{ BIND_RESP_B, true },          /* and the other way */
		{ BIND_RESP_C, false },         /* already client-side */
		{ BIND_B, true },
		{ STARTTLS, true },
		{ STARTTLS, false },
		{ PASSMOD, true },
		{ ABANDON, true },
		{ "30050201054200", true },     /* UnbindRequest */
		{ "30050201017900", false },     /* IntermediateResponse */
	};
	static const struct pe_ldap_dn_map empty = { "", 0, "", 0 };
	uint8_t sentinel[64], out[64];
	enum pe_ber_reason why;
	struct pe_ldap_msg m;
	uint8_t *in;
	size_t n, i;

	(void)state;
	memset(sentinel, 0xa5, sizeof(sentinel));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		in = unhex(c[i].hex, &n);
		parse_ok(in, n, &m);
		memcpy(out, sentinel, sizeof(out));
		if (pe_ldap_rewrite(in, n, &m, &map, c[i].request, out,
				sizeof(out), &why) != 0)
			fail_msg("case %zu", i);
		assert_memory_equal(out, sentinel, sizeof(out));
		free(in);
	}
	for (i = 0; i < NPAIRS; i++) {
		in = unhex(pairs[i].in, &n);
		parse_ok(in, n, &m);
		assert_int_equal(pe_ldap_rewrite(in, n, &m, &empty,
			pairs[i].request, out, sizeof(out), &why), 0);
		free(in);
	}
}

/* Every cap short of the length: -ENOSPC, and not one byte written. */
static void
check_enospc(const struct pair *v, size_t count)
{
	enum pe_ber_reason why;
	struct pe_ldap_msg m;
	uint8_t *in, *out;
	size_t n, wn, cap, i, j;

	for (i = 0; i < count; i++) {
		in = unhex(v[i].in, &n);
		wn = (size_t)rewrite(in, n, &map, v[i].request, &out, &why);
		free(out);
		parse_ok(in, n, &m);
		for (cap = 0; cap < wn; cap++) {
			out = malloc(cap ? cap : 1);
			memset(out, 0xa5, cap);
			if (pe_ldap_rewrite(in, n, &m, &map, v[i].request, out,
					cap, &why) != -ENOSPC)
				fail_msg("%s: cap %zu", v[i].name, cap);
			for (j = 0; j < cap; j++)
				assert_int_equal(out[j], 0xa5);
			free(out);
		}
		out = malloc(wn);
		assert_int_equal(pe_ldap_rewrite(in, n, &m, &map, v[i].request,
			out, wn, &why), wn);
		free(out);
		free(in);
	}
}

static void
test_enospc(void **state)
{
	(void)state;
	check_enospc(pairs, NPAIRS);
	check_enospc(lf_pairs, NLF);
}

/*
 * Messages pe_ldap_msg_parse() accepts (it checks BER, not each op's
 * body) whose components the rewriter walks are wrong: -EBADMSG, even
 * where no DN would have matched.
 */
static void
test_malformed(void **state)
{
	static const struct {
		const char *hex;
		bool request;
		enum pe_ber_reason why;
	} c[] = {
		/* BindResponse: matchedDN an INTEGER */
		{ "300b02010161060a0100020100", false, PE_BER_OP_BODY },
		/* BindResponse without diagnosticMessage */
		{ "300a02010161050a01000400", false, PE_BER_OP_BODY },
		/* BindResponse: resultCode an INTEGER */
		{ "300c0201016107020100040004 00", false, PE_BER_OP_BODY },
		/* empty LDAPResult */
		{ "30050201016500", false, PE_BER_OP_BODY },
		/* SearchResultDone: referral [3] primitive */
		{ "300e02010165090a010a040004008300", false, PE_BER_REFERRAL },
		/* SearchResultDone: referral holding an INTEGER */
		{ "30110201016" "50c0a010a04000400a303020100", false, PE_BER_REFERRAL },
		/* SearchResultReference holding a SEQUENCE */
		{ "30070201017302" "3000", false, PE_BER_REFERRAL },
		/* SearchResultEntry: empty */
		{ "30050201016400", false, PE_BER_OP_BODY },
		/* SearchResultEntry: objectName constructed */
		{ "3009020101640430003000", false, PE_BER_OP_BODY },
		/* SearchRequest: baseObject an ENUMERATED */
		{ "30080201016303" "0a0100", true, PE_BER_OP_BODY },
		/* ModifyRequest: empty */
		{ "30050201016600", true, PE_BER_OP_BODY },
		/* ModifyDNRequest: no deleteoldrdn */
		{ "300b0201016c06" "0400" "04026463", true, PE_BER_OP_BODY },
		/* ModifyDNRequest: newSuperior [0] constructed */
		{ "30100201016c0b04000400010100a0023000", true, PE_BER_OP_BODY },
		/* AddRequest: entry a [0] */
		{ "30090201016804" "8000" "3000", true, PE_BER_OP_BODY },
	};
	uint8_t out[64];
	enum pe_ber_reason why;
	struct pe_ldap_msg m;
	char hex[128];
	uint8_t *in;
	size_t n, i, j, k;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		for (j = k = 0; c[i].hex[j]; j++)
			if (c[i].hex[j] != ' ')
				hex[k++] = c[i].hex[j];
		hex[k] = 0;
		in = unhex(hex, &n);
		why = PE_BER_OK;
		if (pe_ldap_msg_parse(in, n, &m, &why) != 0)
			fail_msg("case %zu does not parse: %s", i, pe_ber_reason_str(why));
		why = PE_BER_OK;
		if (pe_ldap_rewrite(in, n, &m, &map, c[i].request, out,
				sizeof(out), &why) != -EBADMSG || why != c[i].why)
			fail_msg("case %zu: %s", i, pe_ber_reason_str(why));
		free(in);
	}
}

/* A pe_ldap_msg that does not describe p is refused, not trusted. */
static void
test_msg_mismatch(void **state)
{
	enum pe_ber_reason why;
	struct pe_ldap_msg m;
	uint8_t *a, *b, out[256];
	size_t an, bn;

	(void)state;
	a = unhex(BIND_C, &an);
	b = unhex(DEL_C, &bn);
	parse_ok(a, an, &m);
	why = PE_BER_OK;
	assert_int_equal(pe_ldap_rewrite(b, bn, &m, &map, true, out, sizeof(out),
		&why), -EBADMSG);
	assert_int_equal(why, PE_BER_OP);
	m.op_off = bn;
	assert_int_equal(pe_ldap_rewrite(a, an, &m, &map, true, out, sizeof(out),
		&why), -EBADMSG);
	m.op_off = 0;
	assert_int_equal(pe_ldap_rewrite(a, an, &m, &map, true, out, sizeof(out),
		&why), -EBADMSG);
	parse_ok(a, an, &m);
	assert_int_equal(pe_ldap_rewrite(a, an - 1, &m, &map, true, out,
		sizeof(out), &why), -EBADMSG);
	assert_int_equal(why, PE_BER_NOT_SEQUENCE);
	/* why may be NULL */
	assert_int_equal(pe_ldap_rewrite(a, an - 1, &m, &map, true, out,
		sizeof(out), NULL), -EBADMSG);
	free(a);
	free(b);
}

/*
 * Every single-byte mutation of every vector: never a crash or an
 * overread; what the rewriter returns as rewritten always parses and is
 * the same message (id, op); refusals carry a reason.
 */
/* outcomes of the sweep: parse refused, rewritten, nothing, refused */
static size_t n_unparsed, n_rewritten, n_nothing, n_refused;

static void
mutate(const char *hex)
{
	static const uint8_t set[] = { 0x00, 0x01, 0x04, 0x0a, 0x30, 0x7f, 0x80,
		0x81, 0x84, 0xa3, 0xff, ',', '=', '/', '?', ' ', '\\' };
	enum pe_ber_reason why;
	struct pe_ldap_msg m, mo;
	uint8_t *p, *q, *out;
	size_t n, cap, i, j;
	int dir;
	long rc;

	p = unhex(hex, &n);
	cap = 2 * n + 64;
	out = malloc(cap);
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(set) + 3; j++) {
			q = malloc(n);
			memcpy(q, p, n);
			q[i] = j < sizeof(set) ? set[j] :
				(uint8_t)(p[i] ^ (0x01u << (2 * (j - sizeof(set)))));
			if (q[i] == p[i]) {
				free(q);
				continue;
			}
			for (dir = 0; dir < 2; dir++) {
				why = PE_BER_OK;
				if (pe_ldap_msg_parse(q, n, &m, &why) != 0) {
					/* outside the contract; still must not crash */
					rc = pe_ldap_rewrite(q, n, &m, &map, dir, out, cap, &why);
					assert_true(rc <= (long)cap);
					n_unparsed++;
					continue;
				}
				rc = pe_ldap_rewrite(q, n, &m, &map, dir, out, cap, &why);
				if (rc == -EBADMSG) {
					assert_true(why > PE_BER_OK && why < PE_BER_REASON_COUNT);
					n_refused++;
					continue;
				}
				assert_true(rc >= 0 && rc <= (long)cap);
				if (rc == 0) {
					n_nothing++;
					continue;
				}
				n_rewritten++;
				if (pe_ldap_msg_parse(out, (size_t)rc, &mo, &why) != 0)
					fail_msg("%zu=%02x: output does not parse: %s", i,
						q[i], pe_ber_reason_str(why));
				assert_int_equal(mo.msg_id, m.msg_id);
				assert_int_equal(mo.op.tag, m.op.tag);
			}
			free(q);
		}
	}
	free(out);
	free(p);
}

static void
test_mutate(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NPAIRS; i++) {
		mutate(pairs[i].in);
		mutate(pairs[i].out);
	}
	for (i = 0; i < NLF; i++)
		mutate(lf_pairs[i].in);
	print_message("mutants: %zu unparsed, %zu rewritten, %zu unchanged, %zu refused\n",
		n_unparsed, n_rewritten, n_nothing, n_refused);
	/* the sweep reaches every outcome */
	assert_true(n_unparsed > 0 && n_rewritten > 0 && n_nothing > 0 &&
		n_refused > 0);
}

/* pe_ldap_encode_result() writes what ldap3 writes. */
static void
test_encode_result(void **state)
{
	static const struct {
		const char *hex;
		uint32_t id;
		enum pe_ldap_op op;
		uint8_t rc;
		const char *dn, *diag;
	} c[] = {
		{ ENC_BIND, 1, PE_LDAP_OP_BIND_RESP, PE_LDAP_RC_UNWILLING_TO_PERFORM,
			NULL, "proxy: bind refused" },
		{ ENC_EXT, INT32_MAX, PE_LDAP_OP_EXTENDED_RESP, PE_LDAP_RC_PROTOCOL_ERROR,
			"", NULL },
		{ ENC_DONE, 300, PE_LDAP_OP_SEARCH_DONE, PE_LDAP_RC_INAPPROPRIATE_AUTH,
			C_SUFFIX, DIAG200 },
	};
	enum pe_ber_reason why;
	struct pe_ldap_msg m;
	uint8_t *want, *out;
	size_t n, i, cap;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		want = unhex(c[i].hex, &n);
		out = malloc(n);
		assert_int_equal(pe_ldap_encode_result(out, n, c[i].id, c[i].op,
			c[i].rc, c[i].dn, c[i].diag), n);
		assert_memory_equal(out, want, n);
		assert_int_equal(pe_ldap_msg_parse(out, n, &m, &why), 0);
		assert_int_equal(m.msg_id, c[i].id);
		assert_int_equal(m.op.tag, c[i].op);
		assert_true(m.op.constructed);
		free(out);
		for (cap = 0; cap < n; cap++) {
			out = malloc(cap ? cap : 1);
			assert_int_equal(pe_ldap_encode_result(out, cap, c[i].id,
				c[i].op, c[i].rc, c[i].dn, c[i].diag), -ENOSPC);
			free(out);
		}
		free(want);
	}
}

static void
test_encode_result_other(void **state)
{
	static const enum pe_ldap_op ok[] = { PE_LDAP_OP_BIND_RESP,
		PE_LDAP_OP_SEARCH_DONE, PE_LDAP_OP_MODIFY_RESP, PE_LDAP_OP_ADD_RESP,
		PE_LDAP_OP_DEL_RESP, PE_LDAP_OP_MODDN_RESP, PE_LDAP_OP_COMPARE_RESP,
		PE_LDAP_OP_EXTENDED_RESP };
	static const enum pe_ldap_op no[] = { PE_LDAP_OP_BIND_REQ,
		PE_LDAP_OP_SEARCH_ENTRY, PE_LDAP_OP_SEARCH_REF, PE_LDAP_OP_UNBIND_REQ,
		PE_LDAP_OP_INTERMEDIATE_RESP, PE_LDAP_OP_EXTENDED_REQ, 99 };
	enum pe_ber_reason why;
	struct pe_ldap_msg m;
	uint8_t out[64];
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = pe_ldap_encode_result(out, sizeof(out), 128, ok[i], 200, "dc=x", "");
		assert_true(n > 0);
		assert_int_equal(pe_ldap_msg_parse(out, (size_t)n, &m, &why), 0);
		assert_int_equal(m.msg_id, 128);
		assert_int_equal(m.op.tag, ok[i]);
		/* 128 and 200 need a leading 0x00: non-negative INTEGER/ENUMERATED */
		assert_memory_equal(out + 2, "\x02\x02\x00\x80", 4);
		assert_memory_equal(m.op.val, "\x0a\x02\x00\xc8\x04\x04" "dc=x" "\x04\x00", 12);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(pe_ldap_encode_result(out, sizeof(out), 1, no[i],
			0, NULL, NULL), -EINVAL);
	assert_int_equal(pe_ldap_encode_result(out, sizeof(out), 0x80000000u,
		PE_LDAP_OP_BIND_RESP, 0, NULL, NULL), -EINVAL);
	assert_int_equal(pe_ldap_encode_result(out, sizeof(out), 0,
		PE_LDAP_OP_BIND_RESP, 0, NULL, NULL), 14);
	assert_memory_equal(out, "\x30\x0c\x02\x01\x00\x61\x07\x0a\x01\x00\x04\x00\x04\x00", 14);
}

static void
test_response_op(void **state)
{
	static const int want[][2] = {
		{ PE_LDAP_OP_BIND_REQ, PE_LDAP_OP_BIND_RESP },
		{ PE_LDAP_OP_SEARCH_REQ, PE_LDAP_OP_SEARCH_DONE },
		{ PE_LDAP_OP_MODIFY_REQ, PE_LDAP_OP_MODIFY_RESP },
		{ PE_LDAP_OP_ADD_REQ, PE_LDAP_OP_ADD_RESP },
		{ PE_LDAP_OP_DEL_REQ, PE_LDAP_OP_DEL_RESP },
		{ PE_LDAP_OP_MODDN_REQ, PE_LDAP_OP_MODDN_RESP },
		{ PE_LDAP_OP_COMPARE_REQ, PE_LDAP_OP_COMPARE_RESP },
		{ PE_LDAP_OP_EXTENDED_REQ, PE_LDAP_OP_EXTENDED_RESP },
		{ PE_LDAP_OP_UNBIND_REQ, -1 },
		{ PE_LDAP_OP_ABANDON_REQ, -1 },
		{ PE_LDAP_OP_BIND_RESP, -1 },
		{ PE_LDAP_OP_SEARCH_ENTRY, -1 },
		{ PE_LDAP_OP_SEARCH_REF, -1 },
		{ PE_LDAP_OP_INTERMEDIATE_RESP, -1 },
		{ 31, -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(pe_ldap_response_op(want[i][0]), want[i][1]);
}

static void
test_op_names(void **state)
{
	static const struct {
		enum pe_ldap_op op;
		const char *name;
	} c[] = {
		{ PE_LDAP_OP_BIND_REQ, "bind" }, { PE_LDAP_OP_UNBIND_REQ, "unbind" },
		{ PE_LDAP_OP_SEARCH_REQ, "search" }, { PE_LDAP_OP_MODIFY_REQ, "modify" },
		{ PE_LDAP_OP_ADD_REQ, "add" }, { PE_LDAP_OP_DEL_REQ, "delete" },
		{ PE_LDAP_OP_MODDN_REQ, "moddn" }, { PE_LDAP_OP_COMPARE_REQ, "compare" },
		{ PE_LDAP_OP_ABANDON_REQ, "abandon" }, { PE_LDAP_OP_EXTENDED_REQ, "extended" },
	};
	size_t i;
	int op;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_string_equal(pe_ldap_op_name(c[i].op), c[i].name);
		assert_int_equal(pe_ldap_op_from_name(c[i].name), c[i].op);
	}
	for (op = -1; op < 64; op++)  /* responses and the rest: no name */
		if (pe_ldap_response_op(op) < 0 && op != PE_LDAP_OP_UNBIND_REQ &&
				op != PE_LDAP_OP_ABANDON_REQ)
			assert_null(pe_ldap_op_name(op));
	assert_int_equal(pe_ldap_op_from_name("Bind"), -1);
	assert_int_equal(pe_ldap_op_from_name("bindx"), -1);
	assert_int_equal(pe_ldap_op_from_name(""), -1);
	assert_int_equal(pe_ldap_op_from_name(NULL), -1);
}

static void
test_starttls(void **state)
{
	static const struct {
		const char *hex;
		bool tls;
	} c[] = {
		{ STARTTLS, true },
		{ PASSMOD, false },
		{ BIND_C, false },
		/* requestName 1.3.6.1.4.1.1466.2003: a prefix */
		{ "301c02010b77178015312e332e362e312e342e312e313436362e32303033", false },
		/* requestName as a universal OCTET STRING, not [0] */
		{ "301d02010b77180416312e332e362e312e342e312e313436362e3230303337", false },
		/* with a requestValue */
		{ "301f02010b771a8016312e332e362e312e342e312e313436362e32303033378100", true },
	};
	struct pe_ldap_msg m;
	uint8_t *p;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		p = unhex(c[i].hex, &n);
		parse_ok(p, n, &m);
		if (pe_ldap_is_starttls(p, n, &m) != c[i].tls)
			fail_msg("case %zu", i);
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dn_equal),
		cmocka_unit_test(test_dn_suffix),
		cmocka_unit_test(test_dn_suffix_linear),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_long_form),
		cmocka_unit_test(test_values_untouched),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_length_boundary),
		cmocka_unit_test(test_big_entry),
		cmocka_unit_test(test_no_match),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_msg_mismatch),
		cmocka_unit_test(test_mutate),
		cmocka_unit_test(test_encode_result),
		cmocka_unit_test(test_encode_result_other),
		cmocka_unit_test(test_response_op),
		cmocka_unit_test(test_op_names),
		cmocka_unit_test(test_starttls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
