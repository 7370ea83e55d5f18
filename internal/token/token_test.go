package token

import (
	"bytes"
	"testing"
)

func TestEncodeDecodeIgnoresCase(t *testing.T) {
	b := []byte{0, 1, 2, 250, 255, 7}
	s := Encode(b)
	for _, in := range []string{s, string(bytes.ToUpper([]byte(s)))} {
		got, err := Decode(in)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("Decode(%q) = %x, %v", in, got, err)
		}
	}
	if _, err := Decode("!!"); err == nil {
		t.Error("Decode accepted junk")
	}
}
