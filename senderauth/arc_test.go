package senderauth_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/senderauth"
)

// The forwarding world: alice@customer.example (DMARC p=reject) writes to
// a list at forwarder.example, which re-sends from its own address and
// server, so SPF passes only for forwarder.example (unaligned) and DMARC
// fails, unless the forwarder's ARC seal is believed.
const forwarded = "From: Alice <alice@customer.example>\r\n" +
	"To: support@helpdesk.example\r\n" +
	"Subject: [list] printer\r\n" +
	"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n" +
	"Message-ID: <a1@customer.example>\r\n" +
	"\r\n" +
	"It is broken again.\r\n" +
	"-- \r\nlist footer\r\n"

var forwarderIP = netip.MustParseAddr("198.51.100.40")

func forwardZone(t testing.TB) *dnstest.Zone {
	z := dnstest.New()
	z.AddTXT("_dmarc.customer.example", "v=DMARC1; p=reject")
	z.AddTXT("customer.example", "v=spf1 ip4:192.0.2.0/24 -all")
	z.AddTXT("forwarder.example", "v=spf1 ip4:198.51.100.0/24 -all")
	z.AddTXT("_dmarc.forwarder.example", "v=DMARC1; p=none")
	publishKey(t, z, "arc._domainkey.forwarder.example", rsaTestKey(t))
	publishKey(t, z, "arc._domainkey.eu.forwarder.example", rsaTestKey(t))
	publishKey(t, z, "arc._domainkey.stranger.example", edTestKey())
	return z
}

func rsaTestKey(t testing.TB) crypto.Signer {
	data, err := os.ReadFile("../dkim/testdata/rsa2048.pem")
	if err != nil {
		t.Fatal(err)
	}
	k, err := dkim.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edTestKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) }

func publishKey(t testing.TB, z *dnstest.Zone, name string, key crypto.Signer) {
	rec, err := dkim.NewKeyRecord(key)
	if err != nil {
		t.Fatal(err)
	}
	z.AddTXTStrings(name, rec.TXTStrings()...)
}

// ourSeal seals msg as domain with our arc.Seal, recording results.
func ourSeal(t testing.TB, z *dnstest.Zone, msg []byte, domain string, key crypto.Signer, results ...authres.Result) []byte {
	out, err := arc.Seal(context.Background(), msg, &arc.SealOptions{Domain: domain, Selector: "arc", Key: key, Results: results, Resolver: z,
		Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func check(t *testing.T, z *dnstest.Zone, raw []byte, opts *senderauth.Options, extra ...string) *senderauth.Verdict {
	t.Helper()
	o := *opts
	o.Resolver = z
	v, err := senderauth.Authenticate(context.Background(), &senderauth.Message{
		IP: forwarderIP, HELO: "mx.forwarder.example", MailFrom: "list-bounces@forwarder.example", Raw: raw, TrustedSealers: extra,
	}, &o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type arcCase struct {
	name    string
	raw     []byte
	opts    senderauth.Options
	extra   []string
	trusted bool   // the ARC override applies
	reason  string // in the ARC reason
}

func runARCCases(t *testing.T, z *dnstest.Zone, cases []arcCase) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			v := check(t, z, tt.raw, &tt.opts, tt.extra...)
			if v.SPFAligned || v.DKIMAligned {
				t.Errorf("aligned SPF %v / DKIM %v: the message's own evidence is unaligned", v.SPFAligned, v.DKIMAligned)
			}
			if v.DMARC.Outcome != dmarc.Fail {
				t.Fatalf("DMARC on the message's own results %s, want fail", v.DMARC.Outcome)
			}
			want, code, action := dmarc.Fail, senderauth.CodeFail, senderauth.Suspend
			if tt.trusted {
				want, code, action = dmarc.Pass, senderauth.CodeARCTrusted, senderauth.Accept
			}
			if v.Result != want || v.Code != code || v.Action != action || v.ARCTrusted != tt.trusted {
				t.Errorf("result %s code %s action %s arc_trusted %v; want %s %s %s %v\n%s", v.Result, v.Code, v.Action, v.ARCTrusted, want, code, action, tt.trusted, reasons(v))
			}
			if !strings.Contains(reasons(v), tt.reason) {
				t.Errorf("reasons lack %q:\n%s", tt.reason, reasons(v))
			}
			if tt.trusted && !strings.Contains(v.AuthenticationResults, "arc=pass") {
				t.Errorf("Authentication-Results %q", v.AuthenticationResults)
			}
		})
	}
}

// TestARCTrustedSealer covers the trusted-sealer rule with chains sealed
// by our own arc.Seal.
func TestARCTrustedSealer(t *testing.T) {
	z := forwardZone(t)
	key := rsaTestKey(t)
	msg := []byte(forwarded)
	dmarcPass := &authres.DMARCResult{Value: authres.ResultPass, From: "customer.example"}
	passed := ourSeal(t, z, msg, "forwarder.example", key, dmarcPass)
	host := senderauth.Options{TrustedSealers: []string{"google.com", "forwarder.example"}}
	// A second hop by an untrusted sealer on top of the trusted one.
	twoHops := ourSeal(t, z, passed, "stranger.example", edTestKey(), &authres.ARCResult{Value: authres.ResultPass})
	// A chain whose latest sealer recorded cv=fail.
	broken := ourSeal(t, z, bytes.Replace(passed, []byte("broken again"), []byte("fixed"), 1), "stranger.example", edTestKey())
	runARCCases(t, z, []arcCase{
		{"arc_trusted/host-listed sealer recorded dmarc=pass", passed, host, nil, true, "trusted sealer forwarder.example (instance 1) recorded dmarc=pass"},
		{"arc_trusted/per-message sealer (the account's forwarding domain)", passed, senderauth.Options{}, []string{"forwarder.example"}, true, "recorded dmarc=pass"},
		{"arc_trusted/subdomain of a trusted sealer", ourSeal(t, z, msg, "eu.forwarder.example", key, dmarcPass), host, nil, true, "eu.forwarder.example"},
		{"arc_trusted/aligned spf=pass recorded", ourSeal(t, z, msg, "forwarder.example", key, &authres.SPFResult{Value: authres.ResultPass, From: "alice@mail.customer.example"}), host, nil, true, "spf=pass for mail.customer.example"},
		{"arc_trusted/aligned dkim=pass recorded", ourSeal(t, z, msg, "forwarder.example", key, &authres.DKIMResult{Value: authres.ResultPass, Domain: "customer.example"}), host, nil, true, "dkim=pass for customer.example"},
		{"arc_trusted/trusted sealer under an untrusted later hop", twoHops, host, nil, true, "forwarder.example (instance 1)"},
		{"arc_untrusted/sealer not listed", passed, senderauth.Options{TrustedSealers: []string{"google.com"}}, nil, false, "no sealer is trusted (forwarder.example)"},
		{"arc_untrusted/look-alike domain is not a subdomain", ourSeal(t, z, msg, "stranger.example", edTestKey(), dmarcPass), senderauth.Options{TrustedSealers: []string{"ranger.example"}}, nil, false, "no sealer is trusted"},
		{"arc_untrusted/unaligned spf=pass recorded", ourSeal(t, z, msg, "forwarder.example", key, &authres.SPFResult{Value: authres.ResultPass, From: "x@forwarder.example"}), host, nil, false, "recorded no aligned pass"},
		{"arc_untrusted/dmarc=fail recorded", ourSeal(t, z, msg, "forwarder.example", key, &authres.DMARCResult{Value: authres.ResultFail, From: "customer.example"}), host, nil, false, "recorded no aligned pass"},
		{"arc_broken/body changed after the seal", bytes.Replace(passed, []byte("broken again"), []byte("fixed"), 1), host, nil, false, "body hash did not verify"},
		{"arc_broken/recorded results edited", bytes.Replace(passed, []byte("dmarc=pass"), []byte("dkim=pass header.d=customer.example; dmarc=pass"), 1), host, nil, false, "ARC-Seal of instance 1"},
		{"arc_broken/cv=fail", broken, host, nil, false, "cv=fail"},
	})
}

// TestARCTrustedSealerDkimpy covers the rule with chains sealed by an
// independent implementation, dkimpy (Debian python3-dkim).
func TestARCTrustedSealerDkimpy(t *testing.T) {
	py := dkimpy(t)
	z := forwardZone(t)
	rec, _ := dkim.NewKeyRecord(rsaTestKey(t))
	keys := map[string]string{"arc._domainkey.forwarder.example": rec.String()}
	ar := "Authentication-Results: mx.forwarder.example; spf=pass smtp.mailfrom=alice@customer.example; dmarc=pass header.from=customer.example\r\n"
	passed := pySeal(t, py, keys, []byte(ar+forwarded), "forwarder.example", "mx.forwarder.example")
	arFail := "Authentication-Results: mx.forwarder.example; spf=fail smtp.mailfrom=alice@customer.example; dmarc=fail header.from=customer.example\r\n"
	failed := pySeal(t, py, keys, []byte(arFail+forwarded), "forwarder.example", "mx.forwarder.example")
	host := senderauth.Options{TrustedSealers: []string{"forwarder.example"}}
	runARCCases(t, z, []arcCase{
		{"arc_trusted/dkimpy seal, trusted sealer recorded dmarc=pass", passed, host, nil, true, "recorded spf=pass for customer.example"},
		{"arc_untrusted/dkimpy seal, sealer not trusted", passed, senderauth.Options{TrustedSealers: []string{"outlook.com"}}, nil, false, "no sealer is trusted"},
		{"arc_untrusted/dkimpy seal, trusted sealer recorded a fail", failed, host, nil, false, "recorded no aligned pass"},
		{"arc_broken/dkimpy seal, body changed", bytes.Replace(passed, []byte("broken again"), []byte("fixed"), 1), host, nil, false, "body hash did not verify"},
	})
}

func dkimpy(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		cmd := exec.Command(path, "-c", "import dkim, authres")
		cmd.Dir = t.TempDir()
		if cmd.Run() == nil {
			return path
		}
	}
	t.Skip("python3 with dkimpy and authres (Debian python3-dkim) not installed; skipping the dkimpy-sealed cases")
	return ""
}

// pySeal seals msg with dkimpy as domain (selector arc) with the RSA test
// key, through ../arc/testdata/arcpy.py.
func pySeal(t *testing.T, py string, keys map[string]string, msg []byte, domain, srvID string) []byte {
	t.Helper()
	dir := t.TempDir()
	kf, pf := filepath.Join(dir, "keys.json"), filepath.Join(dir, "key.pem")
	data, _ := json.Marshal(keys)
	k := rsaTestKey(t).(*rsa.PrivateKey)
	if os.WriteFile(kf, data, 0o600) != nil || os.WriteFile(pf, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600) != nil {
		t.Fatal("writing test files")
	}
	script, _ := filepath.Abs("../arc/testdata/arcpy.py")
	cmd := exec.Command(py, script, "seal", kf, "arc", domain, pf, srvID)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(msg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dkimpy seal: %v\n%s", err, stderr.String())
	}
	return out
}

// TestARCOverBounds: a header section over ARC's bounds fails the chain
// only; the verdict is still made.
func TestARCOverBounds(t *testing.T) {
	z := forwardZone(t)
	passed := ourSeal(t, z, []byte(forwarded), "forwarder.example", rsaTestKey(t), &authres.DMARCResult{Value: authres.ResultPass, From: "customer.example"})
	big := append([]byte(strings.Repeat("X-Filler: y\r\n", arc.MaxFields)), passed...)
	v := check(t, z, big, &senderauth.Options{TrustedSealers: []string{"forwarder.example"}})
	if v.ARC == nil || v.ARC.Result != arc.Fail || v.ARCTrusted || v.Code != senderauth.CodeFail {
		t.Errorf("over the bounds: arc %+v, code %s", v.ARC, v.Code)
	}
}
