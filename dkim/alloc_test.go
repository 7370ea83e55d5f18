package dkim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"

	msgdkim "github.com/emersion/go-msgauth/dkim"
)

// TestVerifyExtraAllocations checks that Verify allocates at most twelve
// objects per single-signature message beyond what go-msgauth's own
// verification allocates (about 120: the call's state, the parsed
// signature's strings and the key record), an allocation count rather
// than a timing, so it holds on a loaded machine.
func TestVerifyExtraAllocations(t *testing.T) {
	for _, file := range []string{"rsa2048.pem", "ed25519.pem"} {
		pem, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		key, err := ParsePrivateKey(pem)
		if err != nil {
			t.Fatal(err)
		}
		msg := strings.ReplaceAll("From: Support <support@example.com>\nTo: c@example.net\nSubject: Re: printer\nDate: Sun, 22 Nov 2026 10:00:00 +0000\nMessage-ID: <a@example.com>\n\nIt is fixed.\n", "\n", "\r\n")
		signed, err := Sign([]byte(msg), "example.com", "sel", key, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := NewKeyRecord(key)
		if err != nil {
			t.Fatal(err)
		}
		txts := []string{rec.String()}
		res := resolverFunc(func(ctx context.Context, name string) ([]string, error) { return txts, nil })
		opts := &VerifyOptions{Resolver: res}
		ours := testing.AllocsPerRun(200, func() {
			out, err := Verify(context.Background(), signed, opts)
			if err != nil || out[0].Result != ResultPass {
				t.Fatal(err, out[0].Reason)
			}
		})
		mo := &msgdkim.VerifyOptions{LookupTXT: func(string) ([]string, error) { return txts, nil }}
		theirs := testing.AllocsPerRun(200, func() {
			v, err := msgdkim.VerifyWithOptions(bytes.NewReader(signed), mo)
			if err != nil || v[0].Err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: Verify %v allocations, go-msgauth %v", file, ours, theirs)
		if ours-theirs > 12 {
			t.Errorf("%s: Verify allocates %v objects, go-msgauth %v: more than 12 extra", file, ours, theirs)
		}
	}
}

type resolverFunc func(ctx context.Context, name string) ([]string, error)

func (f resolverFunc) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return f(ctx, name)
}

// TestParseKeyRecordIntoBuffer checks that decoding p= into Verify's
// buffer gives the bytes, size and flags of the allocating path, for keys
// that fit and for longer ones that do not.
func TestParseKeyRecordIntoBuffer(t *testing.T) {
	b64, err := os.ReadFile("testdata/rsa512.pub.b64")
	if err != nil {
		t.Fatal(err)
	}
	recs := []string{"k=rsa; p=" + strings.TrimSpace(string(b64))}
	for _, file := range []string{"rsa2048.pem", "ed25519.pem"} {
		pem, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		key, err := ParsePrivateKey(pem)
		if err != nil {
			t.Fatal(err)
		}
		var rec *KeyRecord
		switch pub := key.Public().(type) {
		case ed25519.PublicKey:
			rec = &KeyRecord{KeyType: "ed25519", PublicKey: pub}
		case *rsa.PublicKey:
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			rec = &KeyRecord{KeyType: "rsa", PublicKey: der}
		}
		recs = append(recs, rec.String(), "t=y:s; p="+strings.Join(SplitTXT(rec.String()[strings.Index(rec.String(), "p=")+2:]), "\r\n\t"))
	}
	long := make([]byte, 550) // the size of a 4096-bit key's DER
	for i := range long {
		long[i] = byte(i)
	}
	recs = append(recs, "v=DKIM1; p="+base64.StdEncoding.EncodeToString(long), "p=", "p=AAA", "p=AAAA=")
	for _, s := range recs {
		var buf [296]byte
		var got, want KeyRecord
		errGot := parseKeyRecord(&got, s, false, buf[:])
		errWant := parseKeyRecord(&want, s, false, nil)
		if fmt.Sprint(errGot) != fmt.Sprint(errWant) {
			t.Fatalf("%.40q: error %v, want %v", s, errGot, errWant)
		}
		if !bytes.Equal(got.PublicKey, want.PublicKey) || got.KeySize() != want.KeySize() || got.Testing() != want.Testing() || got.Strict() != want.Strict() {
			t.Errorf("%.40q: with buffer %d bytes, %d bits; without %d bytes, %d bits", s, len(got.PublicKey), got.KeySize(), len(want.PublicKey), want.KeySize())
		}
	}
}
