package postgres_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmail/deskmail/bounce"
)

// The multi-process tests run the test binary itself as child processes
// (os.Args[0] -test.run ^TestChildProcess$) with childEnv naming the role.
const (
	childEnv      = "DESKMAIL_PG_CHILD"       // role of a child process
	childArgEnv   = "DESKMAIL_PG_CHILD_ARG"   // the key prefix the child works on
	childStartEnv = "DESKMAIL_PG_CHILD_START" // Unix nanoseconds: all children start together
	resultPrefix  = "deskmail-child-result "
	processes     = 8
	goroutines    = 8
)

// childRoles are the jobs a child process can run: they return the number
// to report to the parent.
var childRoles = map[string]func(ctx context.Context, t *testing.T, arg string) int64{
	"bounce": childBounce,
}

// TestChildProcess is the entry point of a child process; it skips unless
// a parent test started it.
func TestChildProcess(t *testing.T) {
	role := os.Getenv(childEnv)
	if role == "" {
		t.Skip("runs only as a child of the multi-process tests")
	}
	fn := childRoles[role]
	if fn == nil {
		t.Fatalf("unknown child role %q", role)
	}
	if ns, err := strconv.ParseInt(os.Getenv(childStartEnv), 10, 64); err == nil {
		time.Sleep(time.Until(time.Unix(0, ns)))
	}
	n := fn(context.Background(), t, os.Getenv(childArgEnv))
	fmt.Printf("%s%d\n", resultPrefix, n)
}

// runChildren starts processes children in role on arg, all starting at
// the same instant, and returns the numbers they report.
func runChildren(t *testing.T, role, arg string) []int64 {
	t.Helper()
	start := time.Now().Add(2 * time.Second).UnixNano()
	var wg sync.WaitGroup
	results := make([]int64, processes)
	errs := make([]error, processes)
	for i := 0; i < processes; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run", "^TestChildProcess$", "-test.count", "1", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"="+role, childArgEnv+"="+arg, childStartEnv+"="+strconv.FormatInt(start, 10))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("child %d: %v\n%s", i, err, out.String())
				return
			}
			sc := bufio.NewScanner(&out)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), resultPrefix); ok {
					results[i], errs[i] = strconv.ParseInt(v, 10, 64)
					return
				}
			}
			errs[i] = fmt.Errorf("child %d reported nothing:\n%s", i, out.String())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return results
}

// bounceUpdatesPerGoroutine is how many Update and AddCounts calls each
// goroutine of each child makes.
const bounceUpdatesPerGoroutine = 16

func childBounce(ctx context.Context, t *testing.T, acct string) int64 {
	s := testDB(t).BounceStore()
	day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var done atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < bounceUpdatesPerGoroutine; i++ {
				_, err := s.Update(ctx, acct, "hot@example.com", func(st *bounce.AddressState) error {
					st.SoftCount++
					st.Events = append(st.Events, bounce.Event{At: day, Type: bounce.EventSoftBounce, Detail: strconv.Itoa(os.Getpid())})
					if len(st.Events) > 10 {
						st.Events = st.Events[len(st.Events)-10:]
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				if err := s.AddCounts(ctx, acct, day, 1, 1); err != nil {
					t.Error(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return done.Load()
}

// TestMultiProcessBounce: 8 processes × 8 goroutines update one address
// and one day's counters; no update is lost.
func TestMultiProcessBounce(t *testing.T) {
	db := testDB(t)
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	acct := fmt.Sprintf("mp-bounce-%d", time.Now().UnixNano())
	var sum int64
	for _, n := range runChildren(t, "bounce", acct) {
		sum += n
	}
	const want = processes * goroutines * bounceUpdatesPerGoroutine
	if sum != want {
		t.Fatalf("children completed %d updates, want %d", sum, want)
	}
	ctx := context.Background()
	s := db.BounceStore()
	st, err := s.Get(ctx, acct, "hot@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if st.SoftCount != want || len(st.Events) != 10 {
		t.Errorf("soft count %d, %d events; want %d, 10", st.SoftCount, len(st.Events), want)
	}
	sends, hard, err := s.Counts(ctx, acct, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || sends != want || hard != want {
		t.Errorf("counts = %d, %d, %v; want %d each", sends, hard, err, want)
	}
}
