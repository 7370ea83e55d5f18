// Package storetest holds what the stores' conformance suites share.
package storetest

import (
	"fmt"
	"sync/atomic"
	"time"
)

var seq atomic.Int64

// Prefix returns a key prefix no other call returns, in this process or
// another: tag, the time and a counter, in letters, digits and dashes only,
// so it is valid in any key (an account id, the local part of an address).
// Suites put it in front of their keys so that a shared database can run
// them repeatedly and in parallel.
func Prefix(tag string) string {
	return fmt.Sprintf("%s%d-%d-", tag, time.Now().UnixNano(), seq.Add(1))
}
