module github.com/deskmail/deskmail/bench

go 1.25.0

require github.com/deskmail/deskmail v0.0.0

replace github.com/deskmail/deskmail => ../
