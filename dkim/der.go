package dkim

import "math/bits"

// derTLV splits one DER element off b: its tag, its content and the rest.
func derTLV(b []byte) (tag byte, content, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag, n := b[0], int(b[1])
	b = b[2:]
	if n&0x80 != 0 {
		l := n & 0x7f
		if l == 0 || l > 3 || len(b) < l {
			return 0, nil, nil, false
		}
		n = 0
		for _, c := range b[:l] {
			n = n<<8 | int(c)
		}
		b = b[l:]
	}
	if n > len(b) {
		return 0, nil, nil, false
	}
	return tag, b[:n], b[n:], true
}

// rsaModulusBits returns the modulus size of a DER RSA public key, in
// SubjectPublicKeyInfo or PKCS #1 form, without parsing it into big
// integers; 0 when der is neither. Verify uses it for the key size, since
// go-msgauth parses the key anyway.
func rsaModulusBits(der []byte) int {
	tag, seq, _, ok := derTLV(der)
	if !ok || tag != 0x30 {
		return 0
	}
	tag, first, rest, ok := derTLV(seq)
	if !ok {
		return 0
	}
	if tag == 0x30 { // SubjectPublicKeyInfo: AlgorithmIdentifier, BIT STRING
		var bitstr []byte
		tag, bitstr, _, ok = derTLV(rest)
		if !ok || tag != 0x03 || len(bitstr) < 1 || bitstr[0] != 0 {
			return 0
		}
		if tag, seq, _, ok = derTLV(bitstr[1:]); !ok || tag != 0x30 {
			return 0
		}
		if tag, first, _, ok = derTLV(seq); !ok {
			return 0
		}
	}
	if tag != 0x02 {
		return 0
	}
	for len(first) > 0 && first[0] == 0 {
		first = first[1:]
	}
	if len(first) == 0 {
		return 0
	}
	return (len(first)-1)*8 + bits.Len8(first[0])
}
