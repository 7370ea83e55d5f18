package dkim_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
)

func TestGenerateKey(t *testing.T) {
	t.Run("D3/ed25519 key round-trips through PEM", func(t *testing.T) {
		k, err := dkim.GenerateKey(dkim.Ed25519, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		pemKey, err := dkim.MarshalPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		back, err := dkim.ParsePrivateKey(pemKey)
		if err != nil {
			t.Fatal(err)
		}
		if dkim.AlgorithmOf(back) != dkim.Ed25519 {
			t.Fatalf("algorithm %q", dkim.AlgorithmOf(back))
		}
		rec, _ := dkim.NewKeyRecord(back)
		if got := rec.String(); !strings.HasPrefix(got, "v=DKIM1; k=ed25519; p=") {
			t.Errorf("record %q", got)
		}
	})
	t.Run("D3/RSA under 2048 bits is refused", func(t *testing.T) {
		_, err := dkim.GenerateKey(dkim.RSA, 1024, nil)
		if !errors.Is(err, dkim.ErrWeakKey) {
			t.Fatalf("err = %v, want ErrWeakKey", err)
		}
		b, _ := os.ReadFile("testdata/rsa1024.pem")
		if _, err := dkim.ParsePrivateKey(b); !errors.Is(err, dkim.ErrWeakKey) {
			t.Fatalf("parse 1024: err = %v, want ErrWeakKey", err)
		}
	})
	t.Run("D3/unknown algorithm", func(t *testing.T) {
		if _, err := dkim.GenerateKey("dsa", 0, nil); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestKeyRecordTXTSplit(t *testing.T) {
	k := loadKey(t, "rsa2048.pem")
	rec, err := dkim.NewKeyRecord(k)
	if err != nil {
		t.Fatal(err)
	}
	parts := rec.TXTStrings()
	if len(parts) < 2 {
		t.Fatalf("2048-bit record in %d strings, want >= 2", len(parts))
	}
	for i, p := range parts {
		if len(p) > 255 {
			t.Errorf("D3/string %d is %d bytes", i, len(p))
		}
	}
	joined := strings.Join(parts, "")
	back, err := dkim.ParseKeyRecord(joined)
	if err != nil {
		t.Fatal(err)
	}
	if back.KeySize() != 2048 {
		t.Errorf("KeySize = %d", back.KeySize())
	}
	line := rec.ZoneLine("dm202611", "example.com")
	if !strings.HasPrefix(line, `dm202611._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p=`) {
		t.Errorf("zone line %q", line)
	}
}

func TestParseKeyRecord(t *testing.T) {
	ed := loadKey(t, "ed25519.pem")
	edRec, _ := dkim.NewKeyRecord(ed)
	edP := edRec.String()[strings.Index(edRec.String(), "p=")+2:]
	tests := []struct {
		name, in string
		wantErr  string
		check    func(*dkim.KeyRecord) bool
	}{
		{"ed25519", "v=DKIM1; k=ed25519; p=" + edP, "", func(r *dkim.KeyRecord) bool { return r.KeySize() == 256 }},
		{"no v is fine", "k=ed25519; p=" + edP, "", nil},
		{"testing and strict flags", "v=DKIM1; k=ed25519; t=y:s; p=" + edP, "", func(r *dkim.KeyRecord) bool { return r.Testing() && r.Strict() }},
		{"folded p", "v=DKIM1; k=ed25519; p=" + edP[:10] + " \r\n\t" + edP[10:], "", nil},
		{"revoked", "v=DKIM1; p=", "", func(r *dkim.KeyRecord) bool { return r.Revoked() }},
		{"unknown tag ignored", "v=DKIM1; k=ed25519; zz=1; p=" + edP, "", nil},
		{"v not first", "k=rsa; v=DKIM1; p=", "must be the first tag", nil},
		{"bad version", "v=DKIM2; p=", "want DKIM1", nil},
		{"missing p", "v=DKIM1; k=rsa", "missing", nil},
		{"bad base64", "v=DKIM1; p=@@@", "invalid base64", nil},
		{"bad key type", "v=DKIM1; k=dsa; p=AAAA", "unsupported key type", nil},
		{"wrong ed25519 size", "v=DKIM1; k=ed25519; p=AAAA", "Ed25519 key is 32 bytes", nil},
		{"duplicate tag", "v=DKIM1; p=; p=", "appears twice", nil},
		{"no equals", "v=DKIM1; junk", "no '='", nil},
		{"empty", "", "empty tag list", nil},
	}
	for _, tt := range tests {
		t.Run("D7/"+tt.name, func(t *testing.T) {
			r, err := dkim.ParseKeyRecord(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "dkim: ") {
					t.Errorf("error %q lacks prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil && !tt.check(r) {
				t.Errorf("check failed for %+v", r)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	ctx := context.Background()
	store := dkim.NewMemoryStore()
	old, next := loadKey(t, "rsa2048.pem"), loadKey(t, "ed25519.pem")
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// R10: the first key of a relay domain is active at once.
	if err := store.Update(ctx, "acme", "example.com", func(s *dkim.KeyState) error {
		return s.Begin(dkim.NextSelector("dm", t0), old, t0)
	}); err != nil {
		t.Fatal(err)
	}
	t1 := t0.AddDate(0, 1, 0)
	sel2 := dkim.NextSelector("dm", t1)
	if err := store.Update(ctx, "acme", "example.com", func(s *dkim.KeyState) error {
		return s.Begin(sel2, next, t1)
	}); err != nil {
		t.Fatal(err)
	}
	st, _ := store.Get(ctx, "acme", "example.com")
	if a := st.Active(); a == nil || a.Selector != "dm202611" {
		t.Fatalf("D3/active during rotation = %+v, want dm202611", a)
	}
	pub, err := st.Published()
	if err != nil {
		t.Fatal(err)
	}
	if len(pub) != 2 {
		t.Fatalf("D3/published %d records, want both selectors live", len(pub))
	}
	// A second rotation cannot start while one is pending.
	err = store.Update(ctx, "acme", "example.com", func(s *dkim.KeyState) error {
		k, _ := dkim.GenerateKey(dkim.Ed25519, 0, nil)
		return s.Begin("dm-x", k, t1)
	})
	if !errors.Is(err, dkim.ErrRotationInProgress) {
		t.Fatalf("err = %v, want ErrRotationInProgress", err)
	}
	if err := store.Update(ctx, "acme", "example.com", func(s *dkim.KeyState) error { return s.Promote(sel2, t1) }); err != nil {
		t.Fatal(err)
	}
	st, _ = store.Get(ctx, "acme", "example.com")
	if a := st.Active(); a.Selector != sel2 || st.Keys[0].Status != dkim.KeyRetiring {
		t.Fatalf("D3/after promote: %+v", st.Keys)
	}
	if gone := st.Retire(t1.Add(24*time.Hour), 7*24*time.Hour); len(gone) != 0 {
		t.Fatalf("retired inside the grace period: %v", gone)
	}
	gone := st.Retire(t1.Add(7*24*time.Hour), 7*24*time.Hour)
	if len(gone) != 1 || gone[0].Selector != "dm202611" || len(st.Keys) != 1 {
		t.Fatalf("D3/retire: gone %v, left %v", gone, st.Keys)
	}
	if err := st.Promote("nope", t1); !errors.Is(err, dkim.ErrNoSuchSelector) {
		t.Fatalf("err = %v", err)
	}
	if err := st.Begin("bad selector!", next, t1); err == nil {
		t.Fatal("bad selector accepted")
	}
}

// TestNoKeyMaterialInOutput checks that private keys never reach an error,
// a log line or a %v of the state.
func TestNoKeyMaterialInOutput(t *testing.T) {
	pemBytes, _ := os.ReadFile("testdata/rsa2048.pem")
	body := strings.Split(string(pemBytes), "\n")[1] // first base64 line
	leaks := func(what, s string) {
		t.Helper()
		if strings.Contains(s, body) || strings.Contains(s, "PRIVATE KEY-----\n") {
			t.Errorf("%s leaks key material: %.200s", what, s)
		}
	}
	st := &dkim.KeyState{Domain: "example.com"}
	if err := st.Begin("s1", loadKey(t, "rsa2048.pem"), time.Now()); err != nil {
		t.Fatal(err)
	}
	leaks("%v", fmt.Sprintf("%v", st))
	leaks("%+v", fmt.Sprintf("%+v", st))
	leaks("%#v", fmt.Sprintf("%#v", st))
	//lint:ignore S1025 the test checks what the %s verb prints
	leaks("%s", fmt.Sprintf("%s", st.Keys[0].PrivateKey))
	var logBuf bytes.Buffer
	lg := slog.New(slog.NewJSONHandler(&logBuf, nil))
	lg.Info("state", "key", st.Keys[0], "pem", st.Keys[0].PrivateKey)
	leaks("slog", logBuf.String())

	// A corrupted key: the error names the problem, not the bytes.
	bad := bytes.Replace(pemBytes, []byte(body[:20]), []byte("AAAAAAAAAAAAAAAAAAAA"), 1)
	_, err := dkim.ParsePrivateKey(bad)
	if err == nil {
		t.Fatal("corrupted key parsed")
	}
	leaks("ParsePrivateKey error", err.Error())
	_, err = dkim.ParsePrivateKey([]byte("-----BEGIN EC PRIVATE KEY-----\n" + body + "\n-----END EC PRIVATE KEY-----\n"))
	leaks("ParsePrivateKey type error", err.Error())

	// A store holding a broken key: the middleware error and log do not leak.
	store := dkim.NewMemoryStore()
	store.Update(context.Background(), "a", "example.com", func(s *dkim.KeyState) error {
		s.Keys = []dkim.SelectorKey{{Selector: "s1", Status: dkim.KeyActive, PrivateKey: dkim.PrivateKeyPEM(bad)}}
		return nil
	})
	signer, _ := dkim.NewSigner(&dkim.SignerOptions{Keys: store, Logger: lg})
	tr := signer.Middleware()(deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "", "ok"), nil
	}))
	_, err = tr.Send(context.Background(), &deskmail.Envelope{Account: "a", To: []string{"x@example.net"}}, []byte(testMsg))
	if err == nil {
		t.Fatal("broken key signed")
	}
	leaks("middleware error", err.Error())
	leaks("log", logBuf.String())
}

func TestKeySizeFromDER(t *testing.T) {
	for _, f := range []string{"rsa2048.pem", "rsa1024.pem"} {
		b := mustRead(t, "testdata/"+f)
		k, err := parsePKCS1OrPKCS8(b)
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := dkim.NewKeyRecord(k)
		want := k.Public().(*rsa.PublicKey).N.BitLen()
		// SubjectPublicKeyInfo, as published.
		r1, err := dkim.ParseKeyRecord(rec.String())
		if err != nil {
			t.Fatal(err)
		}
		if got := dkim.RSAModulusBits(r1.PublicKey); got != want {
			t.Errorf("R10/%s SPKI DER walk: %d bits, want %d", f, got, want)
		}
		if got := dkim.RSAModulusBits(x509.MarshalPKCS1PublicKey(k.Public().(*rsa.PublicKey))); got != want {
			t.Errorf("R10/%s PKCS1 DER walk: %d bits, want %d", f, got, want)
		}
		fresh := &dkim.KeyRecord{KeyType: "rsa", PublicKey: r1.PublicKey}
		if got := fresh.KeySize(); got != want {
			t.Errorf("R10/%s SPKI: KeySize %d, want %d", f, got, want)
		}
		// PKCS #1 RSAPublicKey, as some publishers write it.
		pk1 := &dkim.KeyRecord{KeyType: "rsa", PublicKey: x509.MarshalPKCS1PublicKey(k.Public().(*rsa.PublicKey))}
		if got := pk1.KeySize(); got != want {
			t.Errorf("R10/%s PKCS1: KeySize %d, want %d", f, got, want)
		}
	}
	if got := (&dkim.KeyRecord{KeyType: "rsa", PublicKey: []byte{0x30, 0x03, 0x02, 0x01}}).KeySize(); got != 0 {
		t.Errorf("truncated DER: %d", got)
	}
}
