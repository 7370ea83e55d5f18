package pop3

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// maxSASLSteps bounds the challenges of one AUTH exchange.
const maxSASLSteps = 8

// Auth authenticates with a SASL mechanism (AUTH, RFC 5034), sending the
// initial response on the AUTH line. A challenge the mechanism refuses
// (an OAUTHBEARER or XOAUTH2 error report) is answered with "*", and the
// server's -ERR is returned. Credentials never appear in an error.
func (c *Client) Auth(ctx context.Context, a sasl.Client) error {
	mech, ir, err := a.Start()
	if err != nil {
		return err
	}
	line := "AUTH " + mech
	if ir != nil {
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		line += " " + enc
	}
	return c.do(ctx, "AUTH", line, func() error {
		for step := 0; ; step++ {
			l, err := c.readLine(c.maxLine)
			if err != nil {
				return err
			}
			s := string(l)
			if s != "+" && !strings.HasPrefix(s, "+ ") {
				_, err := parseStatus("AUTH", s)
				return err
			}
			if step >= maxSASLSteps {
				return fmt.Errorf("%w: more than %d AUTH challenges", ErrProtocol, maxSASLSteps)
			}
			chal, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(s, "+")))
			var resp []byte
			var nerr error
			if derr != nil {
				nerr = derr
			} else {
				resp, nerr = a.Next(chal)
			}
			if nerr != nil {
				// Abort the exchange (RFC 5034 section 4) and read the
				// server's answer to that.
				if _, err := c.conn.Write([]byte("*\r\n")); err != nil {
					return err
				}
				continue
			}
			if _, err := c.conn.Write([]byte(base64.StdEncoding.EncodeToString(resp) + "\r\n")); err != nil {
				return err
			}
		}
	})
}
