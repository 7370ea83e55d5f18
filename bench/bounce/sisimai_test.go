package bounce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// peer is one long-lived "perl sisimai_oracle.pl -serve" process holding
// the corpus in memory (see the script's header for the protocol).
type peer struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	stderr  *bytes.Buffer
	mails   int
	results int // records Sisimai returned over the whole corpus at start
}

var (
	peerOnce sync.Once
	thePeer  *peer
	peerSkip string // why there is no peer, when there is none
	peerErr  error
)

// sisimaiPeer starts the peer on first use and keeps it for the whole
// test binary; TestMain stops it.
func sisimaiPeer(tb testing.TB) *peer {
	files := corpusFiles(tb)
	peerOnce.Do(func() { thePeer, peerSkip, peerErr = startPeer(files) })
	if peerSkip != "" {
		tb.Skip(peerSkip)
	}
	if peerErr != nil {
		tb.Fatal(peerErr)
	}
	return thePeer
}

func startPeer(files []string) (*peer, string, error) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		return nil, "perl not found; the Sisimai peer needs perl and Debian libsisimai-perl", nil
	}
	p := &peer{stderr: new(bytes.Buffer)}
	p.cmd = exec.Command(perl, append([]string{"sisimai_oracle.pl", "-serve"}, files...)...)
	p.cmd.Stderr = p.stderr
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		return nil, "", err
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	p.out = bufio.NewReader(out)
	if err := p.cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := p.line()
	if err != nil {
		p.stop()
		return nil, "", err
	}
	if msg, ok := strings.CutPrefix(line, "nosisimai "); ok {
		p.stop()
		return nil, "perl has no Sisimai (Debian: libsisimai-perl): " + msg, nil
	}
	if _, err := fmt.Sscanf(line, "ready %d %d", &p.mails, &p.results); err != nil {
		p.stop()
		return nil, "", fmt.Errorf("sisimai peer: %q: %v", line, err)
	}
	if p.mails != len(files) || p.results == 0 {
		p.stop()
		return nil, "", fmt.Errorf("sisimai peer loaded %d of %d mails and found %d bounce records: it parsed nothing",
			p.mails, len(files), p.results)
	}
	return p, "", nil
}

func (p *peer) line() (string, error) {
	s, err := p.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("sisimai peer: %v; stderr: %s", err, p.stderr)
	}
	return strings.TrimSuffix(s, "\n"), nil
}

// parse has the peer parse mails 0..n-1 (modulo the corpus) and returns the
// CPU time it measured around its parse loop and the records it found.
func (p *peer) parse(n int) (cpuNS int64, records int, err error) {
	if _, err := fmt.Fprintf(p.in, "parse %d\n", n); err != nil {
		return 0, 0, fmt.Errorf("sisimai peer: %v; stderr: %s", err, p.stderr)
	}
	line, err := p.line()
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscanf(line, "done %d %d", &cpuNS, &records); err != nil {
		return 0, 0, fmt.Errorf("sisimai peer: %q: %v", line, err)
	}
	return cpuNS, records, nil
}

func (p *peer) stop() {
	p.in.Close()
	p.cmd.Wait()
}

func stopPeer() {
	if thePeer != nil {
		thePeer.stop()
	}
}

// BenchmarkSisimaiPerl is BenchmarkParse's peer: the Perl Sisimai parses
// the same mails in the same order, from memory, one op = one mail. Its
// cpu-ns/op is the CPU time the perl process measured around its own parse
// loop, so the pipe and this process cost it nothing; ns/op and mails/s
// are wall time and include the one request per run.
func BenchmarkSisimaiPerl(b *testing.B) {
	p := sisimaiPeer(b)
	b.ResetTimer()
	cpuNS, records, err := p.parse(b.N)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if records == 0 && b.N >= p.mails {
		b.Fatalf("Sisimai found no bounce in %d mails: it parsed nothing", b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
	b.ReportMetric(float64(cpuNS)/float64(b.N), "cpu-ns/op")
}

// TestSisimaiOracle runs the oracle mode on a few corpus mails, named as
// arguments and on stdin, and checks its rows.
func TestSisimaiOracle(t *testing.T) {
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("perl not found")
	}
	if err := exec.Command("perl", "-MSisimai", "-e1").Run(); err != nil {
		t.Skip("perl has no Sisimai (Debian: libsisimai-perl)")
	}
	const d = corpusDir + "/"
	tests := []struct {
		name  string
		files []string
		stdin bool
		want  []string
	}{
		{"one recipient", []string{d + "lhost-postfix-01.eml"}, false, []string{
			d + "lhost-postfix-01.eml\tr@p351355.pool.example.ne.jp\tmailererror\t5.1.1\t1"}},
		{"complaint, soft bounce -1", []string{d + "arf-11.eml"}, false, []string{
			d + "arf-11.eml\tundisclosed-recipient-in-headers@libsisimai.org.invalid\tfeedback\t\t-1"}},
		{"no bounce", []string{d + "lhost-dragonfly-01.eml"}, false, []string{
			d + "lhost-dragonfly-01.eml\t-\tNONE"}},
		{"names on stdin", []string{d + "lhost-postfix-07.eml", d + "lhost-dragonfly-03.eml"}, true, []string{
			d + "lhost-postfix-07.eml\tkijitora@user.example.or.jp\tfiltered\t5.0.910\t1",
			d + "lhost-dragonfly-03.eml\t-\tNONE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("perl", "sisimai_oracle.pl")
			if tt.stdin {
				cmd.Stdin = strings.NewReader(strings.Join(tt.files, "\n") + "\n")
			} else {
				cmd.Args = append(cmd.Args, tt.files...)
			}
			out, err := cmd.Output()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("%v: %s", err, ee.Stderr)
			} else if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(lines) == 0 || !strings.HasPrefix(lines[0], "# file\t") {
				t.Fatalf("no header: %q", out)
			}
			if got := strings.Join(lines[1:], "\n"); got != strings.Join(tt.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", got, strings.Join(tt.want, "\n"))
			}
		})
	}
}
