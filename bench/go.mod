module github.com/deskmail/deskmail/bench

go 1.25.0

require github.com/deskmail/deskmail v0.0.0

require (
	github.com/emersion/go-message v0.18.2 // indirect
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // indirect
	golang.org/x/crypto v0.54.0 // indirect
	golang.org/x/net v0.56.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

require (
	blitiri.com.ar/go/spf v1.6.0
	github.com/emersion/go-imap v1.2.1
	github.com/emersion/go-msgauth v0.7.0
	github.com/emersion/go-smtp v0.25.1
	github.com/wneessen/go-mail v0.8.1
	go.yaml.in/yaml/v3 v3.0.6
)

replace github.com/deskmail/deskmail => ../
