// Package bench holds the benchmarks that compare deskmail with other
// libraries. It is a module of its own, so the library's go.mod lists only
// what the library uses. Run, from this directory:
//
//	go test -run '^$' -bench . -count 10 ./... | tee new.txt
//	benchstat new.txt
package bench
