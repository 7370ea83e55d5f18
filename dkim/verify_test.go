package dkim_test

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
	msgdkim "github.com/emersion/go-msgauth/dkim"
)

func verifyOne(t *testing.T, z *dnstest.Zone, msg []byte) *dkim.Verification {
	t.Helper()
	vs, err := dkim.Verify(context.Background(), msg, &dkim.VerifyOptions{Resolver: z})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Fatalf("%d verifications, want 1", len(vs))
	}
	return vs[0]
}

func TestSignVerify(t *testing.T) {
	rsaKey, edKey := loadKey(t, "rsa2048.pem"), loadKey(t, "ed25519.pem")
	z := dnstest.New()
	publish(t, z, "example.com", "rsa1", rsaKey, "")
	publish(t, z, "example.com", "ed1", edKey, "")
	for _, tc := range []struct {
		sel  string
		key  crypto.Signer
		alg  string
		bits int
	}{{"rsa1", rsaKey, "rsa-sha256", 2048}, {"ed1", edKey, "ed25519-sha256", 256}} {
		t.Run("D3/"+tc.alg, func(t *testing.T) {
			signed, err := dkim.Sign([]byte(testMsg), "example.com", tc.sel, tc.key, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(signed), "c=relaxed/relaxed") {
				t.Errorf("not relaxed/relaxed: %.300s", signed)
			}
			v := verifyOne(t, z, signed)
			if v.Result != dkim.ResultPass {
				t.Fatalf("result %s: %s", v.Result, v.Reason)
			}
			if v.Domain != "example.com" || v.Selector != tc.sel || v.Algorithm != tc.alg || v.KeySize != tc.bits || len(v.BPrefix) != 8 {
				t.Errorf("verification %+v", v)
			}
		})
	}

	t.Run("D3/oversigned headers cannot be added", func(t *testing.T) {
		signed, _ := dkim.Sign([]byte(testMsg), "example.com", "rsa1", rsaKey, nil)
		for _, h := range []string{"From: attacker@evil.example\r\n", "Subject: urgent\r\n", "Reply-To: x@evil.example\r\n", "Cc: x@evil.example\r\n"} {
			// Insert the extra field right after the signature.
			i := strings.Index(string(signed), "From: Support")
			tampered := string(signed[:i]) + h + string(signed[i:])
			if v := verifyOne(t, z, []byte(tampered)); v.Result != dkim.ResultFail {
				t.Errorf("added %q: result %s, want fail", strings.TrimSpace(h), v.Result)
			}
		}
		count := map[string]int{}
		for _, h := range verifyOne(t, z, signed).Headers {
			count[strings.ToLower(h)]++
		}
		for _, h := range []string{"from", "subject", "to", "cc", "date", "message-id", "reply-to"} {
			if count[h] != 2 {
				t.Errorf("h= lists %s %d times, want 2 (oversigned)", h, count[h])
			}
		}
	})

	t.Run("D3/body change fails", func(t *testing.T) {
		signed, _ := dkim.Sign([]byte(testMsg), "example.com", "ed1", edKey, nil)
		v := verifyOne(t, z, []byte(strings.Replace(string(signed), "technician", "plumber", 1)))
		if v.Result != dkim.ResultFail || !strings.Contains(v.Reason, "body hash") {
			t.Errorf("%s: %s", v.Result, v.Reason)
		}
	})

	t.Run("D3/relaxed survives whitespace changes", func(t *testing.T) {
		signed, _ := dkim.Sign([]byte(testMsg), "example.com", "rsa1", rsaKey, nil)
		munged := strings.Replace(string(signed), "Subject: Re:", "Subject:   Re:", 1)
		munged = strings.Replace(munged, "technician.  \r\n", "technician.\r\n", 1)
		if v := verifyOne(t, z, []byte(munged)); v.Result != dkim.ResultPass {
			t.Errorf("%s: %s", v.Result, v.Reason)
		}
	})

	t.Run("D3/unsigned mail has no verifications", func(t *testing.T) {
		vs, err := dkim.Verify(context.Background(), []byte(testMsg), &dkim.VerifyOptions{Resolver: z})
		if err != nil || len(vs) != 0 {
			t.Fatalf("%v %v", vs, err)
		}
	})
}

func TestVerifyPolicy(t *testing.T) {
	rsaKey, edKey := loadKey(t, "rsa2048.pem"), loadKey(t, "ed25519.pem")
	rsa1024 := func() crypto.Signer {
		b := mustRead(t, "testdata/rsa1024.pem")
		k, err := parsePKCS1(b)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}()
	z := dnstest.New()
	publish(t, z, "example.com", "testing", edKey, "t=y")
	publish(t, z, "example.com", "strict", edKey, "t=s")
	publish(t, z, "example.com", "k1024", rsa1024, "")
	z.AddTXT("weak._domainkey.example.com", "v=DKIM1; k=rsa; p="+strings.TrimSpace(string(mustRead(t, "testdata/rsa512.pub.b64"))))
	publish(t, z, "example.com", "weak2048", rsaKey, "")
	z.AddTXT("revoked._domainkey.example.com", "v=DKIM1; k=rsa; p=")
	z.SetFault("slow._domainkey.example.com", dnstest.Timeout)

	signWith := func(sel string, key crypto.Signer, ident string) []byte {
		var b strings.Builder
		err := msgdkim.Sign(&b, strings.NewReader(testMsg), &msgdkim.SignOptions{
			Domain: "example.com", Selector: sel, Signer: key, Identifier: ident,
			HeaderCanonicalization: msgdkim.CanonicalizationRelaxed, BodyCanonicalization: msgdkim.CanonicalizationRelaxed,
		})
		if err != nil {
			t.Fatal(err)
		}
		return []byte(b.String())
	}
	tests := []struct {
		name   string
		msg    []byte
		want   dkim.Result
		reason string
	}{
		{"R10/t=y pass stays pass, flagged testing", signWith("testing", edKey, ""), dkim.ResultPass, ""},
		{"R10/t=y failure is neutral", []byte(strings.Replace(string(signWith("testing", edKey, "")), "technician", "x", 1)), dkim.ResultNeutral, "testing mode"},
		{"R10/t=s with i= equal to d= passes", signWith("strict", edKey, "support@example.com"), dkim.ResultPass, ""},
		{"R10/t=s with i= in a subdomain is permerror", signWith("strict", edKey, "@mail.example.com"), dkim.ResultPermError, "t=s"},
		{"R10/1024-bit key is accepted", signWith("k1024", rsa1024, ""), dkim.ResultPass, ""},
		{"R10/512-bit key is rejected", signWith("weak", rsaKey, ""), dkim.ResultPermError, "too short"},
		{"R10/revoked key", signWith("revoked", rsaKey, ""), dkim.ResultPermError, "revoked"},
		{"R10/missing key", signWith("absent", rsaKey, ""), dkim.ResultPermError, "no key"},
		{"R10/DNS timeout is temperror", signWith("slow", rsaKey, ""), dkim.ResultTempError, ""},
		{"R10/malformed signature", []byte("DKIM-Signature: v=1; a=rsa-sha256; d=example.com\r\n" + testMsg), dkim.ResultPermError, "required tag missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verifyOne(t, z, tt.msg)
			if v.Result != tt.want || !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("result %s (%s), want %s (%s)", v.Result, v.Reason, tt.want, tt.reason)
			}
			if strings.HasPrefix(tt.name, "R10/t=y") && !v.Testing {
				t.Error("Testing not set")
			}
		})
	}

	t.Run("R10/expired signature by the injected clock", func(t *testing.T) {
		signed, err := dkim.Sign([]byte(testMsg), "example.com", "weak2048", rsaKey, &dkim.SignOptions{Expiration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		later := func() time.Time { return time.Now().Add(2 * time.Hour) }
		vs, _ := dkim.Verify(context.Background(), signed, &dkim.VerifyOptions{Resolver: z, Now: later})
		if vs[0].Result != dkim.ResultPermError || !strings.Contains(vs[0].Reason, "expired") {
			t.Errorf("%s: %s", vs[0].Result, vs[0].Reason)
		}
	})

	t.Run("R10/two signatures, each named", func(t *testing.T) {
		first, _ := dkim.Sign([]byte(testMsg), "example.com", "weak2048", rsaKey, nil)
		both, _ := dkim.Sign(first, "example.com", "testing", edKey, nil)
		vs, err := dkim.Verify(context.Background(), both, &dkim.VerifyOptions{Resolver: z})
		if err != nil || len(vs) != 2 {
			t.Fatalf("%v %v", vs, err)
		}
		if vs[0].Selector != "testing" || vs[1].Selector != "weak2048" || vs[0].Result != dkim.ResultPass || vs[1].Result != dkim.ResultPass {
			t.Errorf("%+v %+v", vs[0], vs[1])
		}
		if vs[0].BPrefix == vs[1].BPrefix {
			t.Error("b= prefixes equal")
		}
		ar := vs[1].AuthResult()
		if ar == nil {
			t.Fatal("nil auth result")
		}
	})
}

func TestMiddleware(t *testing.T) {
	ctx := context.Background()
	key := loadKey(t, "ed25519.pem")
	store := dkim.NewMemoryStore()
	store.Update(ctx, "acme", "example.com", func(s *dkim.KeyState) error { return s.Begin("dm1", key, time.Now()) })
	z := dnstest.New()
	publish(t, z, "example.com", "dm1", key, "")

	var got []byte
	sink := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		got = msg
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "", "ok"), nil
	})
	signer, err := dkim.NewSigner(&dkim.SignerOptions{Keys: store})
	if err != nil {
		t.Fatal(err)
	}
	tr := deskmail.Chain(sink, signer.Middleware())
	env := &deskmail.Envelope{Account: "acme", From: "bounce+x@platform.example", To: []string{"customer@example.net"}}

	t.Run("R10/signs with the From domain's active key", func(t *testing.T) {
		if _, err := tr.Send(ctx, env, []byte(testMsg)); err != nil {
			t.Fatal(err)
		}
		v := verifyOne(t, z, got)
		if v.Result != dkim.ResultPass || v.Domain != "example.com" || v.Selector != "dm1" {
			t.Errorf("%+v", v)
		}
	})
	t.Run("R10/HeaderFrom picks the domain", func(t *testing.T) {
		e := env.Clone()
		e.HeaderFrom = "support@Example.COM"
		msg := strings.Replace(testMsg, "support@example.com", "support@Example.COM", 1)
		if _, err := tr.Send(ctx, e, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if v := verifyOne(t, z, got); v.Result != dkim.ResultPass {
			t.Errorf("%+v", v)
		}
	})
	t.Run("R10/other account has no key: sent unsigned", func(t *testing.T) {
		e := env.Clone()
		e.Account = "other"
		if _, err := tr.Send(ctx, e, []byte(testMsg)); err != nil {
			t.Fatal(err)
		}
		if string(got) != testMsg {
			t.Error("message changed")
		}
	})
	t.Run("R10/no From address is ErrNoFrom", func(t *testing.T) {
		_, err := tr.Send(ctx, env, []byte("To: x@example.net\r\n\r\nbody\r\n"))
		if !errors.Is(err, dkim.ErrNoFrom) {
			t.Fatalf("err = %v, want ErrNoFrom", err)
		}
	})
	t.Run("R10/RequireKey fails the send", func(t *testing.T) {
		strict, _ := dkim.NewSigner(&dkim.SignerOptions{Keys: store, RequireKey: true})
		got = nil
		_, err := deskmail.Chain(sink, strict.Middleware()).Send(ctx, &deskmail.Envelope{Account: "other", To: []string{"x@example.net"}}, []byte(testMsg))
		if err == nil || got != nil {
			t.Fatalf("err %v, sent %v", err, got != nil)
		}
	})
}

func TestVerifyMaxSignatures(t *testing.T) {
	key := loadKey(t, "ed25519.pem")
	z := dnstest.New()
	publish(t, z, "example.com", "s1", key, "")
	msg := []byte(testMsg)
	for i := 0; i < 3; i++ {
		var err error
		if msg, err = dkim.Sign(msg, "example.com", "s1", key, nil); err != nil {
			t.Fatal(err)
		}
	}
	z.ResetQueries()
	vs, err := dkim.Verify(context.Background(), msg, &dkim.VerifyOptions{Resolver: z, MaxSignatures: 2})
	if err != nil || len(vs) != 3 {
		t.Fatalf("%v %v", vs, err)
	}
	if vs[0].Result != dkim.ResultPass || vs[1].Result != dkim.ResultPass || vs[2].Result != dkim.ResultPermError {
		t.Errorf("R10/results %s %s %s", vs[0].Result, vs[1].Result, vs[2].Result)
	}
	if z.Queries() != 1 {
		t.Errorf("R10/%d DNS queries for one key, want 1", z.Queries())
	}
}
