#!/usr/bin/python3
"""LDAPMessage test vectors built with python3-ldap3's RFC 4511 classes and pyasn1's BER encoder.

One vector per protocolOp of RFC 4511 §4.2 .. §4.14 (and variants: bind simple, anonymous,
SASL with and without credentials, search with a nested filter, moddn with newSuperior,
StartTLS, notice of disconnection, intermediate response, controls with and without a value),
each as one whole LDAPMessage.

  /usr/bin/python3 tests/tools/gen_ldap_vectors.py           C #defines, the format of tests/unit/test_ber.c
  /usr/bin/python3 tests/tools/gen_ldap_vectors.py --table   also the expectations table test_ber.c asserts
  /usr/bin/python3 tests/tools/gen_ldap_vectors.py --json    one JSON object per vector

Expectations (messageID, op tag, op_off, controls) are computed here from the encoder's own
pieces, not by decoding, so they check the C decoder independently. pytest/test_ber_tshark.py
imports vectors() to hand the same bytes to tshark and to build/ldap_walk, and checks that every
#define of test_ber.c this script knows still equals its output.
"""
import json
import sys

from pyasn1.codec.ber import encoder
from ldap3 import ANONYMOUS, DEREF_ALWAYS, SASL, SIMPLE, SUBTREE
from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE
from ldap3.operation.abandon import abandon_operation
from ldap3.operation.add import add_operation
from ldap3.operation.bind import bind_operation, bind_response_operation
from ldap3.operation.compare import compare_operation
from ldap3.operation.delete import delete_operation
from ldap3.operation.extended import extended_operation
from ldap3.operation.modify import modify_operation
from ldap3.operation.modifyDn import modify_dn_operation
from ldap3.operation.search import search_operation
from ldap3.operation.unbind import unbind_operation
from ldap3.protocol.controls import build_control
from ldap3.protocol.convert import build_controls_list
from ldap3.protocol.rfc2696 import paged_search_control
from ldap3.protocol.rfc3062 import PasswdModifyRequestValue
from ldap3.protocol.rfc4511 import (
    AddResponse, AttributeDescription, CompareResponse, DelResponse, ExtendedResponse,
    IntermediateResponse, IntermediateResponseName, IntermediateResponseValue, LDAPDN, LDAPMessage,
    LDAPString, MessageID, ModifyDNResponse, ModifyResponse, PartialAttribute, PartialAttributeList,
    ProtocolOp, ResponseName, ResponseValue, ResultCode, SearchResultDone, SearchResultEntry,
    SearchResultReference, URI, Vals)

DN = "uid=alice,dc=example,dc=com"
STARTTLS_OID = "1.3.6.1.4.1.1466.20037"     # RFC 4511 §4.14.1
NOTICE_OID = "1.3.6.1.4.1.1466.20036"       # RFC 4511 §4.4.1 notice of disconnection
PASSWD_MODIFY_OID = "1.3.6.1.4.1.4203.1.11.1"  # RFC 3062
WHOAMI_OID = "1.3.6.1.4.1.4203.1.11.3"      # RFC 4532
SYNC_INFO_OID = "1.3.6.1.4.1.4203.1.9.1.4"  # RFC 4533 syncInfo (an IntermediateResponse)
PAGED_OID = "1.2.840.113556.1.4.319"        # RFC 2696
MANAGE_DSA_IT_OID = "2.16.840.1.113730.3.4.2"  # RFC 3296, no controlValue

# protocolOp application tag numbers (RFC 4511 §4.2 .. §4.14), as ber.h's enum pe_ldap_op
OP_TAG = {
    "bindRequest": 0, "bindResponse": 1, "unbindRequest": 2, "searchRequest": 3,
    "searchResEntry": 4, "searchResDone": 5, "modifyRequest": 6, "modifyResponse": 7,
    "addRequest": 8, "addResponse": 9, "delRequest": 10, "delResponse": 11,
    "modDNRequest": 12, "modDNResponse": 13, "compareRequest": 14, "compareResponse": 15,
    "abandonRequest": 16, "searchResRef": 19, "extendedReq": 23, "extendedResp": 24,
    "intermediateResponse": 25,
}
PRIMITIVE_OPS = {"unbindRequest", "delRequest", "abandonRequest"}


def result(cls, code, matched="", diag=""):
    """An LDAPResult-shaped response (…Response, SearchResultDone, ExtendedResponse)."""
    r = cls()
    r["resultCode"] = ResultCode(code)
    r["matchedDN"] = LDAPDN(matched)
    r["diagnosticMessage"] = LDAPString(diag)
    return r


def search_entry():
    attrs = PartialAttributeList()
    for pos, (typ, vals) in enumerate([("cn", ["Alice"]), ("mail", ["alice@example.com"])]):
        a = PartialAttribute()
        a["type"] = AttributeDescription(typ)
        a["vals"] = Vals()
        for i, v in enumerate(vals):
            a["vals"].setComponentByPosition(i, v)
        attrs.setComponentByPosition(pos, a)
    e = SearchResultEntry()
    e["object"] = LDAPDN(DN)
    e["attributes"] = attrs
    return e


def search_reference():
    r = SearchResultReference()
    r.setComponentByPosition(0, URI("ldap://b.example.com/dc=example,dc=com??sub"))
    r.setComponentByPosition(1, URI("ldap://c.example.com/dc=example,dc=com??sub"))
    return r


def extended_response(code, name=None, value=None):
    r = result(ExtendedResponse, code)
    if name is not None:
        r["responseName"] = ResponseName(name)
    if value is not None:
        r["responseValue"] = ResponseValue(value)
    return r


def intermediate(name, value):
    r = IntermediateResponse()
    r["responseName"] = IntermediateResponseName(name)
    r["responseValue"] = IntermediateResponseValue(value)
    return r


def search_request():
    return search_operation("dc=example,dc=com", "(&(objectClass=person)(|(uid=alice)(cn=Bob*)))",
                            SUBTREE, DEREF_ALWAYS, ["cn", "mail"], 0, 0, False, None, True)


def passwd_modify_value():
    v = PasswdModifyRequestValue()
    v["userIdentity"] = DN
    v["newPasswd"] = "n3w"
    return v


def long_form(b):
    """Re-encode every constructed TLV's length as 0x84 + 4 octets, as OpenLDAP's liblber and
    Active Directory do (the bytes of primitive TLVs are unchanged)."""
    def tlv(b, i):
        ident = b[i]
        j = i + 1
        if ident & 0x1f == 0x1f:
            while b[j] & 0x80:
                j += 1
            j += 1
        hdr_end = j
        n = b[j]
        j += 1
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(b[j:j + k], "big")
            j += k
        val = b[j:j + n]
        if ident & 0x20:
            out, p = b"", 0
            while p < len(val):
                enc, p = tlv(val, p)
                out += enc
            return b[i:hdr_end] + b"\x84" + len(out).to_bytes(4, "big") + out, j + n
        return b[i:j + n], j + n

    enc, end = tlv(b, 0)
    assert end == len(b)
    return enc


# (name, messageID, protocolOp name, op builder, controls builder or None, comment)
SPECS = [
    ("V_ANON", 1, "bindRequest", lambda: bind_operation(3, ANONYMOUS, "", ""), None,
     "bind_operation(3, 'ANONYMOUS', '', '')"),
    ("V_SIMPLE", 2, "bindRequest",
     lambda: bind_operation(3, SIMPLE, "cn=admin,dc=example,dc=com", "secret"), None,
     "bind_operation(3, 'SIMPLE', 'cn=admin,dc=example,dc=com', 'secret')"),
    ("V_SASL", 3, "bindRequest",
     lambda: bind_operation(3, SASL, "", None, sasl_mechanism="EXTERNAL", sasl_credentials="dn:uid=alice"),
     None, "bind_operation(3, 'SASL', '', None, sasl_mechanism='EXTERNAL',\n * sasl_credentials='dn:uid=alice')"),
    ("V_SEARCH", 4, "searchRequest", search_request, None,
     "search_operation('dc=example,dc=com',\n * '(&(objectClass=person)(|(uid=alice)(cn=Bob*)))', SUBTREE, DEREF_ALWAYS,\n"
     " * ['cn', 'mail'], 0, 0, False, None, True)"),
    ("V_UNBIND", 5, "unbindRequest", unbind_operation, None, "UnbindRequest()"),
    ("V_CTRL", 6, "searchRequest", search_request,
     lambda: build_controls_list([paged_search_control(True, 100)]),
     "the search above + paged_search_control(True, 100) (1.2.840.113556.1.4.319)"),
    # --- added with the tshark cross-check ---
    ("V_SASL_NOCRED", 7, "bindRequest",
     lambda: bind_operation(3, SASL, "", None, sasl_mechanism="GSSAPI"), None,
     "bind_operation(3, 'SASL', '', None, sasl_mechanism='GSSAPI'): no credentials"),
    ("V_BIND_RESP", 2, "bindResponse", lambda: bind_response_operation(0), None,
     "bind_response_operation(0): success"),
    ("V_BIND_RESP_SASL", 7, "bindResponse",
     lambda: bind_response_operation(14, server_sasl_credentials=b"\x60\x03\x06\x01\x2a"), None,
     "bind_response_operation(14, server_sasl_credentials=60 03 06 01 2a):\n"
     " * saslBindInProgress, serverSaslCreds [7]"),
    ("V_SEARCH_ENTRY", 4, "searchResEntry", search_entry, None,
     "SearchResultEntry 'uid=alice,dc=example,dc=com' cn: Alice, mail: alice@example.com"),
    ("V_SEARCH_REF", 4, "searchResRef", search_reference, None,
     "SearchResultReference of two ldap:// URIs"),
    ("V_SEARCH_DONE", 4, "searchResDone", lambda: result(SearchResultDone, 0), None,
     "SearchResultDone success"),
    ("V_MODIFY", 8, "modifyRequest",
     lambda: modify_operation(DN, {"mail": [(MODIFY_REPLACE, ["a@example.com"])],
                                   "description": [(MODIFY_ADD, ["x"])],
                                   "telephoneNumber": [(MODIFY_DELETE, [])]}, True), None,
     "modify_operation(DN, replace mail, add description, delete telephoneNumber)"),
    ("V_MODIFY_RESP", 8, "modifyResponse", lambda: result(ModifyResponse, 0), None,
     "ModifyResponse success"),
    ("V_ADD", 9, "addRequest",
     lambda: add_operation(DN, {"objectClass": ["top", "inetOrgPerson"], "cn": "Alice", "sn": "A"}, True),
     None, "add_operation(DN, objectClass top inetOrgPerson, cn Alice, sn A)"),
    ("V_ADD_RESP", 9, "addResponse",
     lambda: result(AddResponse, 68, diag="entry already exists"), None,
     "AddResponse entryAlreadyExists (68) with a diagnosticMessage"),
    ("V_DEL", 10, "delRequest", lambda: delete_operation(DN),
     lambda: build_controls_list([build_control(MANAGE_DSA_IT_OID, True, None)]),
     "delete_operation(DN) + ManageDsaIT control (2.16.840.1.113730.3.4.2, critical,\n * no controlValue)"),
    ("V_DEL_RESP", 10, "delResponse", lambda: result(DelResponse, 0), None, "DelResponse success"),
    ("V_MODDN", 11, "modDNRequest",
     lambda: modify_dn_operation(DN, "uid=alice2", True, "ou=people,dc=example,dc=com"), None,
     "modify_dn_operation(DN, 'uid=alice2', True, 'ou=people,dc=example,dc=com')"),
    ("V_MODDN_RESP", 11, "modDNResponse", lambda: result(ModifyDNResponse, 0), None,
     "ModifyDNResponse success"),
    ("V_COMPARE", 12, "compareRequest",
     lambda: compare_operation(DN, "mail", "alice@example.com", True), None,
     "compare_operation(DN, 'mail', 'alice@example.com')"),
    ("V_COMPARE_RESP", 12, "compareResponse", lambda: result(CompareResponse, 6), None,
     "CompareResponse compareTrue (6)"),
    ("V_ABANDON", 13, "abandonRequest", lambda: abandon_operation(4), None, "abandon_operation(4)"),
    ("V_STARTTLS", 14, "extendedReq", lambda: extended_operation(STARTTLS_OID), None,
     "extended_operation('1.3.6.1.4.1.1466.20037'): StartTLS"),
    ("V_STARTTLS_RESP", 14, "extendedResp", lambda: extended_response(0, STARTTLS_OID), None,
     "ExtendedResponse success, responseName StartTLS"),
    ("V_PASSWD", 15, "extendedReq",
     lambda: extended_operation(PASSWD_MODIFY_OID, passwd_modify_value()), None,
     "extended_operation(password modify 1.3.6.1.4.1.4203.1.11.1, PasswdModifyRequestValue)"),
    ("V_WHOAMI_RESP", 16, "extendedResp", lambda: extended_response(0, None, "dn:" + DN), None,
     "ExtendedResponse success, responseValue 'dn:uid=alice,...' (Who am I?)"),
    ("V_NOTICE", 0, "extendedResp",
     lambda: extended_response(52, NOTICE_OID), None,
     "messageID 0: notice of disconnection, unavailable (52)"),
    ("V_INTERMEDIATE", 17, "intermediateResponse",
     lambda: intermediate(SYNC_INFO_OID, b"\xa1\x05\x04\x03abc"), None,
     "IntermediateResponse syncInfo (1.3.6.1.4.1.4203.1.9.1.4), value a1 05 04 03 'abc'"),
    ("V_MAXID", 2 ** 31 - 1, "abandonRequest", lambda: abandon_operation(2 ** 31 - 1),
     lambda: build_controls_list([build_control(MANAGE_DSA_IT_OID, False, None),
                                  paged_search_control(False, 5)]),
     "messageID 2^31-1, abandon_operation(2^31-1) + two controls (ManageDsaIT, paged)"),
]

# Not from ldap3 directly: a re-encoding of an ldap3 vector (name, of, comment)
DERIVED = [
    ("V_ANON_LONG", "V_ANON", "V_ANON as OpenLDAP's liblber writes it: 0x84 + 4 length octets per SEQUENCE"),
    ("V_ENTRY_LONG", "V_SEARCH_ENTRY",
     "V_SEARCH_ENTRY in liblber / Active Directory long-form lengths"),
]


def vectors():
    """[{name, msg_id, op, tag, constructed, data, op_off, op_len, controls, controls_off, comment}]"""
    out, by_name = [], {}
    for name, msg_id, op, build_op, build_ctrl, comment in SPECS:
        m = LDAPMessage()
        m["messageID"] = MessageID(msg_id)
        body = build_op()
        m["protocolOp"] = ProtocolOp().setComponentByName(op, body)
        ctrl = build_ctrl() if build_ctrl else None
        if ctrl is not None:
            m["controls"] = ctrl
        data = encoder.encode(m)
        id_len = len(encoder.encode(MessageID(msg_id)))
        op_len = len(encoder.encode(body))
        hdr = len(data) - (id_len + op_len + (len(encoder.encode(ctrl)) if ctrl is not None else 0))
        v = {"name": name, "msg_id": msg_id, "op": op, "tag": OP_TAG[op],
             "constructed": op not in PRIMITIVE_OPS, "data": data,
             "op_off": hdr + id_len, "controls": ctrl is not None,
             "controls_off": hdr + id_len + op_len if ctrl is not None else 0, "comment": comment}
        assert data[v["op_off"]] & 0x1f == min(v["tag"], 0x1f) and data[v["op_off"]] >> 6 == 1
        out.append(v)
        by_name[name] = v
    for name, of, comment in DERIVED:
        src = by_name[of]
        data = long_form(src["data"])
        v = dict(src, name=name, data=data, comment=comment,
                 op_off=2 + 4 + len(encoder.encode(MessageID(src["msg_id"]))))
        assert not v["controls"]
        out.append(v)
    return out


def c_define(v):
    h = v["data"].hex()
    lines = [h[:62]] + [h[i:i + 64] for i in range(62, len(h), 64)]
    text = f"/* id {v['msg_id']}, {v['comment']} */\n#define {v['name']} \"{lines[0]}\""
    for line in lines[1:]:
        text += f" \\\n\t\"{line}\""
    return text


def c_table(vs):
    rows = []
    for v in vs:
        rows.append(f"\t{{ \"{v['name']}\", {v['name']}, {v['msg_id']}u, {v['tag']}, "
                    f"{'true' if v['constructed'] else 'false'}, {v['op_off']}, "
                    f"{'true' if v['controls'] else 'false'}, {v['controls_off']} }},")
    return "\n".join(rows)


def main(argv):
    vs = vectors()
    if "--json" in argv:
        for v in vs:
            print(json.dumps(dict(v, data=v["data"].hex())))
        return 0
    print("/*\n * Generated by tests/tools/gen_ldap_vectors.py (python3-ldap3 + pyasn1 BER encoder)\n */")
    for v in vs:
        print(c_define(v))
    if "--table" in argv:
        print("\n/* name, bytes, messageID, op tag, op constructed, op_off, has_controls, controls_off */")
        print(c_table(vs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
