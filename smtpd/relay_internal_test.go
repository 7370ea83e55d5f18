package smtpd

import "testing"

func TestRelayedClient(t *testing.T) {
	for _, tc := range []struct{ in, ip, helo string }{
		{"Received: from mail.customer.example (mail.customer.example [192.0.2.10])\r\n\tby mx (Postfix) with ESMTP id 1;\r\n\tFri, 4 Dec 2026 12:00:00 +0000\r\n\r\n", "192.0.2.10", "mail.customer.example"},
		{"Received: from [198.51.100.2] (unknown [198.51.100.2])\r\n\tby mx (Postfix);\r\n\tFri, 4 Dec 2026 12:00:00 +0000\r\n\r\n", "198.51.100.2", "198.51.100.2"},
		{"Received: from mx6.example.org (mx6.example.org [IPv6:2001:db8::25])\r\n\tby mx; Fri, 4 Dec 2026 12:00:00 +0000\r\n\r\n", "2001:db8::25", "mx6.example.org"},
		{"Received: from mail.example.net ([203.0.113.5]:41234 helo=mail.example.net)\r\n\tby mx with esmtp (Exim 4.96)\r\n\r\n", "203.0.113.5", "mail.example.net"},
		{"Received: by mx with local\r\n\r\n", "", ""},
		{"Subject: none\r\n\r\n", "", ""},
	} {
		ip, helo, ok := relayedClient([]byte(tc.in))
		if tc.ip == "" {
			if ok {
				t.Errorf("%q: got %s %q, want nothing", tc.in, ip, helo)
			}
			continue
		}
		if !ok || ip.String() != tc.ip || helo != tc.helo {
			t.Errorf("%q: got %s %q %v, want %s %q", tc.in, ip, helo, ok, tc.ip, tc.helo)
		}
	}
}
