package smtptest

import (
	"bytes"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// errAuthFailed is the reply to bad credentials and to the AuthFail fault.
var errAuthFailed = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

// errAuthRequired is the reply to MAIL before AUTH (RFC 4954 section 6).
var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login): it asks for the user name, then the
// password.
type loginServer struct {
	step     int
	username string
	check    func(username, password string) error
}

func (s *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		s.step++
		if len(response) > 0 { // initial response carries the user name
			s.username = string(response)
			s.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		s.username = string(response)
		s.step++
		return []byte("Password:"), false, nil
	default:
		return nil, true, s.check(s.username, string(response))
	}
}

// xoauth2Server is the server side of Google's XOAUTH2 mechanism: the
// client's only message is "user=U\x01auth=Bearer T\x01\x01".
type xoauth2Server struct {
	check func(username, token string) error
}

func (s *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	if response == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, f := range bytes.Split(response, []byte{1}) {
		k, v, ok := strings.Cut(string(f), "=")
		if !ok {
			continue
		}
		switch k {
		case "user":
			user = v
		case "auth":
			if t, ok := strings.CutPrefix(v, "Bearer "); ok {
				token = t
			}
		}
	}
	if user == "" || token == "" {
		return nil, true, errAuthFailed
	}
	return nil, true, s.check(user, token)
}

var (
	_ sasl.Server = (*loginServer)(nil)
	_ sasl.Server = (*xoauth2Server)(nil)
)
