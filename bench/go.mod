module github.com/deskmail/deskmail/bench

go 1.25.0

require (
	github.com/deskmail/deskmail v0.0.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	blitiri.com.ar/go/spf v1.6.0
	github.com/emersion/go-msgauth v0.7.0 // indirect
)

replace github.com/deskmail/deskmail => ../
