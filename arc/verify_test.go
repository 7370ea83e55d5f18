package arc_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dnstest"
)

// chainZone publishes the keys of two sealers: forwarder.example (RSA)
// and list.example (Ed25519).
func chainZone(t testing.TB) *dnstest.Zone {
	z := dnstest.New()
	publish(t, z, "arc", "forwarder.example", rsaKey(t))
	publish(t, z, "arc", "list.example", edKey(1))
	return z
}

func TestSealVerifyRoundTrip(t *testing.T) {
	z := chainZone(t)
	one := seal(t, z, []byte(mail), "forwarder.example", rsaKey(t), dmarcPass("customer.example"))
	two := seal(t, z, one, "list.example", edKey(1), &authres.ARCResult{Value: authres.ResultPass})
	lf := []byte(strings.ReplaceAll(string(two), "\r\n", "\n"))
	for _, tt := range []struct {
		name      string
		msg       []byte
		instances int
		sealers   string
	}{
		{"one instance (RSA)", one, 1, "forwarder.example"},
		{"two instances (RSA, then Ed25519)", two, 2, "forwarder.example list.example"},
		{"bare LF line ends", lf, 2, "forwarder.example list.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := verify(t, z, tt.msg)
			if c.Result != arc.Pass {
				t.Fatalf("result %s (%s)", c.Result, c.Reason)
			}
			var sealers []string
			for _, in := range c.Instances {
				sealers = append(sealers, in.Sealer)
			}
			if len(c.Instances) != tt.instances || strings.Join(sealers, " ") != tt.sealers {
				t.Errorf("instances %+v", c.Instances)
			}
			first := c.Instances[0]
			if first.CV != arc.None || first.AuthServID != "mx.forwarder.example" || len(first.Results) != 1 {
				t.Errorf("first instance %+v", first)
			}
			if r, ok := first.Results[0].(*authres.DMARCResult); !ok || r.Value != authres.ResultPass || r.From != "customer.example" {
				t.Errorf("recorded results %#v", first.Results)
			}
		})
	}
}

func TestVerifyNoChain(t *testing.T) {
	c := verify(t, dnstest.New(), []byte(mail))
	if c.Result != arc.None || len(c.Instances) != 0 {
		t.Errorf("unsealed mail: %+v", c)
	}
}

// TestVerifyBrokenChains checks that each way of breaking a chain fails it
// with a reason naming what broke.
func TestVerifyBrokenChains(t *testing.T) {
	z := chainZone(t)
	one := seal(t, z, []byte(mail), "forwarder.example", rsaKey(t), dmarcPass("customer.example"))
	two := seal(t, z, one, "list.example", edKey(1))
	// A third set claiming cv=fail, made by sealing a tampered chain.
	tampered := replaceField(two, "d=list.example", "d=list.example ")
	tampered = replaceField(tampered, "mx.forwarder.example", "mx.forwarder.example (edited)")
	failed := seal(t, z, tampered, "list.example", edKey(1))
	noKey := dnstest.New()
	publish(t, noKey, "arc", "forwarder.example", rsaKey(t))
	dnsDown := chainZone(t)
	dnsDown.SetFault("arc._domainkey.list.example", dnstest.ServFail)
	tests := []struct {
		name   string
		zone   *dnstest.Zone
		msg    []byte
		reason string
	}{
		{"body changed after sealing", z, replaceField(two, "broken  again", "fixed"), "body hash did not verify"},
		{"signed header changed", z, replaceField(two, "Subject: printer", "Subject: invoice"), "ARC-Message-Signature of instance 2: signature did not verify"},
		{"recorded results changed", z, replaceField(two, "dmarc=pass", "dmarc=fail"), "ARC-Seal of instance 2"},
		{"instance 1 removed (gap)", z, dropInstance(two, 1), "instance 1 is missing"},
		{"seal of instance 2 removed", z, dropField(two, "ARC-Seal: i=2"), "instance 2 has no ARC-Seal"},
		{"duplicated seal", z, append([]byte(firstField(two)), two...), "two ARC-Seal fields"},
		{"cv=fail recorded", z, failed, "cv=fail"},
		{"cv=pass at instance 1", z, replaceField(one, "cv=none", "cv=pass"), "instance 1 has cv=pass"},
		{"instance over the limit", z, append([]byte("ARC-Seal: i=51; a=rsa-sha256; cv=pass; d=x.example; s=s; b=AA\r\n"), two...), "over the 50-instance limit"},
		{"malformed tag list", z, append([]byte("ARC-Seal: i=3; a\r\n"), two...), "no '='"},
		{"sealer key missing", noKey, two, "no key at arc._domainkey.list.example"},
		{"DNS failure", dnsDown, two, "key lookup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := verify(t, tt.zone, tt.msg)
			if c.Result != arc.Fail || !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("result %s, reason %q; want fail with %q", c.Result, c.Reason, tt.reason)
			}
		})
	}
}

func TestVerifyBounds(t *testing.T) {
	big := strings.Repeat("X-Filler: "+strings.Repeat("y", 990)+"\r\n", 1100)
	_, err := arc.Verify(context.Background(), []byte(big+mail), &arc.VerifyOptions{Resolver: dnstest.New()})
	if !errors.Is(err, arc.ErrTooLarge) {
		t.Errorf("header of %d bytes: err %v, want ErrTooLarge", len(big), err)
	}
	many := strings.Repeat("X-A: b\r\n", arc.MaxFields+1)
	if _, err := arc.Verify(context.Background(), []byte(many+mail), nil); !errors.Is(err, arc.ErrTooLarge) {
		t.Errorf("%d fields: err %v, want ErrTooLarge", arc.MaxFields+1, err)
	}
}

func TestSealOptionsRequired(t *testing.T) {
	for _, tt := range []struct {
		opts *arc.SealOptions
		want error
	}{
		{nil, arc.ErrNoKey},
		{&arc.SealOptions{Domain: "a.example", Selector: "s"}, arc.ErrNoKey},
		{&arc.SealOptions{Key: edKey(1), Selector: "s"}, arc.ErrNoDomain},
	} {
		if _, err := arc.Seal(context.Background(), []byte(mail), tt.opts); !errors.Is(err, tt.want) {
			t.Errorf("Seal(%+v): %v, want %v", tt.opts, err, tt.want)
		}
	}
}

func TestSealChainFull(t *testing.T) {
	z := chainZone(t)
	msg := []byte(mail)
	for i := 0; i < arc.MaxInstances; i++ {
		msg = seal(t, z, msg, "list.example", edKey(1))
	}
	if c := verify(t, z, msg); c.Result != arc.Pass || len(c.Instances) != arc.MaxInstances {
		t.Fatalf("50 instances: %s %s", c.Result, c.Reason)
	}
	_, err := arc.Seal(context.Background(), msg, &arc.SealOptions{Domain: "list.example", Selector: "arc", Key: edKey(1), Resolver: z})
	if !errors.Is(err, arc.ErrChainFull) {
		t.Errorf("51st seal: %v", err)
	}
}

// dropInstance removes the three fields of instance i.
func dropInstance(msg []byte, i int) []byte {
	for _, f := range []string{"ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"} {
		msg = dropField(msg, fmt.Sprintf("%s: i=%d", f, i))
	}
	return msg
}

// dropField removes the field that starts with prefix, folding included.
func dropField(msg []byte, prefix string) []byte {
	s := string(msg)
	at := strings.Index(s, prefix)
	if at < 0 {
		return msg
	}
	end := at
	for {
		nl := strings.Index(s[end:], "\r\n")
		end += nl + 2
		if end >= len(s) || (s[end] != ' ' && s[end] != '\t') {
			break
		}
	}
	return []byte(s[:at] + s[end:])
}

func firstField(msg []byte) string {
	s := string(msg)
	end := 0
	for {
		nl := strings.Index(s[end:], "\r\n")
		end += nl + 2
		if s[end] != ' ' && s[end] != '\t' {
			return s[:end]
		}
	}
}
