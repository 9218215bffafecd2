"""Just enough BER to build LDAP messages in tests and golden scenarios (definite lengths,
minimal form); the engine's own decoder is src/proto/ber.c."""


def tlv(tag, body):
    """One BER element: identifier @tag, minimal definite length, @body."""
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + body


def bind_request(msg_id, dn, password):
    """LDAPMessage { messageID, BindRequest { version 3, name dn, simple password } }."""
    return tlv(0x30, tlv(0x02, bytes([msg_id])) + tlv(0x60, tlv(0x02, b"\x03") + tlv(0x04, dn.encode())
                                                      + tlv(0x80, password.encode())))


def bind_response(msg_id, code=0):
    """LDAPMessage { messageID, BindResponse { resultCode, "", "" } }."""
    return tlv(0x30, tlv(0x02, bytes([msg_id])) + tlv(0x61, tlv(0x0a, bytes([code])) + tlv(0x04, b"")
                                                      + tlv(0x04, b"")))
