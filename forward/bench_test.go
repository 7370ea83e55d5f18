package forward

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkParseTextCrisp(b *testing.B) {
	cases := loadCrisp(b)
	type in struct{ subject, body string }
	var ins []in
	size := 0
	for _, c := range cases {
		body := readCrisp(b, c.fixture)
		ins = append(ins, in{readCrisp(b, c.subjectFile), body})
		size += len(body)
	}
	b.SetBytes(int64(size / len(ins)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := ins[i%len(ins)]
		text(x.subject, x.body, nil)
	}
}

func BenchmarkParseTextPlain64K(b *testing.B) {
	body := strings.Repeat("Hello, my printer is broken: it says From: nowhere.\n", 64<<10/52)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		text("FW: printer", body, nil)
	}
}

func BenchmarkParseMessage(b *testing.B) {
	raw := crlf("From: agent@desk.example\nSubject: Fwd: Broken\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n\nFYI\n\n---------- Forwarded message ---------\nFrom: Cust <cust@example.com>\nDate: Wed, 27 Oct 2021 at 9:31 AM\nSubject: Broken\nTo: <agent@desk.example>\n\nIt is broken.\n--b\nContent-Type: text/html\n\n<p>FYI</p>\n--b--\n")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(strings.NewReader(raw), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// linearBody is size bytes of text that keeps the scanner busy: prose,
// lines that start like header fields but form no block, quoted lines,
// separators without a block, long lines; the forward comes last.
func linearBody(size int) string {
	chunk := "Hello, the printer says: paper jam.\n" +
		"From: the desk on the second floor (ask bob@office.example)\n" +
		"To: whom it may concern\n" +
		"> quoted: an earlier line\n" +
		"-----Original Message-----\n" +
		"Date: yesterday\n" +
		strings.Repeat("long line ", 40) + "\n\n"
	tail := "---------- Forwarded message ---------\nFrom: Ann Lee <ann@example.com>\nDate: Wed, 27 Oct 2021 09:31:00 +0000\nSubject: Order\nTo: <desk@example.org>\n\nhello\n"
	var b strings.Builder
	for b.Len()+len(chunk)+len(tail) < size {
		b.WriteString(chunk)
	}
	b.WriteString(tail)
	return b.String()
}

// BenchmarkLinear parses bodies from 2 KB to 2 MB with the scan window as
// large as the body: ns/byte stays flat when the work is linear in the
// mail's size.
func BenchmarkLinear(b *testing.B) {
	for _, size := range []int{2 << 10, 20 << 10, 200 << 10, 2 << 20} {
		body := linearBody(size)
		opts := &Options{MaxScan: len(body) + 1}
		b.Run(fmt.Sprintf("ParseText/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if f, _ := ParseText("", body, opts); !f.Forwarded {
					b.Fatal(f.Evidence)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(body)), "ns/byte")
		})
		raw := crlf("From: agent@desk.example\nSubject: Fwd: Order\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n" + body)
		b.Run(fmt.Sprintf("Parse/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if f, err := Parse(strings.NewReader(raw), opts); err != nil || !f.Forwarded {
					b.Fatal(err, f.Evidence)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(raw)), "ns/byte")
		})
	}
}

// BenchmarkHostile parses 256 KB bodies built to make a scanner slow:
// mailto forms by the hundred on one line, lines of label-like colons,
// sixty-line blocks of recipients without a sender, deep quote markers,
// separator lines without blocks. ns/byte should stay near BenchmarkLinear's.
func BenchmarkHostile(b *testing.B) {
	const size = 256 << 10
	fill := func(unit string) string {
		return strings.Repeat(unit, size/len(unit)+1)[:size]
	}
	bodies := map[string]string{
		"mailto":     fill("To: " + strings.Repeat("a@x<mailto:a@x>; B <mailto:b@y> [mailto:c@z], ", 100) + "\n"),
		"colons":     fill("From: a@b.c " + strings.Repeat("To:x Sent:y Von:z ", 200) + "\n"),
		"recipients": fill(strings.Repeat("To: a@x.example, b@y.example, C <c@z.example>\n", 59) + "\n"),
		"quotes":     fill(strings.Repeat(">", 500) + " From: a <a@b.c>\n"),
		"separators": fill("---------- Forwarded message ---------\n-----Original Message-----\nBegin forwarded message:\n"),
	}
	for _, name := range []string{"mailto", "colons", "recipients", "quotes", "separators"} {
		body := bodies[name]
		opts := &Options{MaxScan: len(body) + 1}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_, _ = ParseText("Fwd: x", body, opts)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(body)), "ns/byte")
		})
	}
}
