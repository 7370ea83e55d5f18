package threading_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail/threading"
)

func render(ns []*threading.Node) string {
	var b strings.Builder
	var walk func(ns []*threading.Node)
	walk = func(ns []*threading.Node) {
		for i, n := range ns {
			if i > 0 {
				b.WriteByte(' ')
			}
			if n.Index < 0 {
				b.WriteString("_" + n.ID)
			} else {
				b.WriteString(n.ID)
			}
			if len(n.Children) > 0 {
				b.WriteByte('(')
				walk(n.Children)
				b.WriteByte(')')
			}
		}
	}
	walk(ns)
	return b.String()
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// msg makes a message: "id subject refs..." with the date from its position.
func msgs(specs ...string) []threading.Message {
	var out []threading.Message
	for i, s := range specs {
		f := strings.Split(s, "|")
		m := threading.Message{ID: f[0], Date: t0.Add(time.Duration(i) * time.Minute)}
		if len(f) > 1 {
			m.Subject = f[1]
		}
		if len(f) > 2 && f[2] != "" {
			m.References = strings.Fields(f[2])
		}
		if len(f) > 3 {
			m.InReplyTo = f[3]
		}
		out = append(out, m)
	}
	return out
}

func TestThreads(t *testing.T) {
	for _, c := range []struct {
		name    string
		in      []threading.Message
		want    string
		noGroup bool
	}{
		{"T8/chain", msgs("A|a", "B|Re: a|A", "C|Re: a|A B"), "A(B(C))", false},
		{"T8/siblings by date", msgs("A|a", "C|Re: a|A", "B|Re: a|A"), "A(C B)", false},
		{"T8/In-Reply-To without References", msgs("A|a", "B|Re: a||A"), "A(B)", false},
		{"T8/References win over In-Reply-To", msgs("A|a", "B|b", "C|Re: a|A|B"), "A(C) B", false},
		{"T8/missing parent, two children: dummy root", msgs("B|Re: x|X", "C|Re: x|X"), "_X(B C)", false},
		{"T8/missing parent, one child: promoted", msgs("B|Re: x|X"), "B", false},
		{"T8/missing middle: children promoted", msgs("A|a", "C|Re: a|A X", "D|Re: a|A X"), "A(C D)", false},
		{"T8/reference loop", msgs("A|a|B", "B|b|A"), "B(A)", true},
		{"T8/longer loop", msgs("A|a|C", "B|b|A", "C|c|B"), "C(A(B))", true},
		{"T8/self reference", msgs("A|a|A", "B|b|A B"), "A(B)", true},
		{"T8/loop inside References", msgs("A|a|X Y X", "B|b|Y X"), "_X(A B)", true},
		{"T8/duplicate id", msgs("A|a", "A|a again", "B|Re: a|A"), "A(B) A", true},
		{"T8/empty ids", msgs("|one", "|two"), " ", true},
		{"T8/message arrives after its reply", msgs("B|Re: a|A", "A|a"), "A(B)", false},
		{"T8/late parent reparents a guessed link", msgs("C|c|A B", "B|b|Z"), "B(C)", true},
		{"T8/subject grouping: reply under original", msgs("A|Hello", "B|Re: Hello"), "A(B)", false},
		{"T8/subject grouping: reply first", msgs("B|Re: Hello", "A|Hello"), "A(B)", false},
		{"T8/subject grouping: two originals under a dummy", msgs("A|Hello", "B|hello"), "_(A B)", false},
		{"T8/subject grouping off", msgs("A|Hello", "B|Re: Hello"), "A B", true},
		{"T8/subject grouping: localized and encoded", msgs("A|Grüße", "B|=?iso-8859-1?q?AW:_Gr=FC=DFe?="), "A(B)", false},
		{"T8/subject grouping: dummy roots merge", msgs("B|Re: x|X", "C|Re: x|X", "D|Re: x|Y", "E|Re: x|Y"), "_X(B C D E)", false},
		{"T8/empty subject not grouped", msgs("A|", "B|Re:"), "A B", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "T8/empty ids" {
				got := threading.Threads(c.in, nil)
				if len(got) != 2 || got[0].Index != 0 || got[1].Index != 1 {
					t.Errorf("got %s", render(got))
				}
				return
			}
			got := render(threading.Threads(c.in, &threading.ThreadOptions{NoSubjectGrouping: c.noGroup}))
			if got != c.want {
				t.Errorf("Threads = %s, want %s", got, c.want)
			}
		})
	}
}

// Every message appears exactly once, whatever the references, loops and
// duplicates.
func TestThreadsEveryMessageOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		n := 1 + r.IntN(60)
		ms := make([]threading.Message, n)
		for i := range ms {
			ms[i] = threading.Message{ID: fmt.Sprint("m", r.IntN(n+5)), Subject: []string{"a", "Re: a", "b", "", "Fwd: b"}[r.IntN(5)],
				Date: t0.Add(time.Duration(r.IntN(100)) * time.Second)}
			for k := r.IntN(5); k > 0; k-- {
				ms[i].References = append(ms[i].References, fmt.Sprint("m", r.IntN(n+5)))
			}
			if r.IntN(4) == 0 {
				ms[i].InReplyTo = fmt.Sprint("m", r.IntN(n+5))
			}
		}
		for _, grouping := range []bool{false, true} {
			roots := threading.Threads(ms, &threading.ThreadOptions{NoSubjectGrouping: grouping})
			seen := make([]int, n)
			var walk func(ns []*threading.Node, depth int)
			walk = func(ns []*threading.Node, depth int) {
				if depth > n+5 {
					t.Fatalf("round %d: tree deeper than the input: a loop", round)
				}
				for _, nd := range ns {
					if nd.Index >= 0 {
						seen[nd.Index]++
					} else if len(nd.Children) == 0 {
						t.Errorf("round %d: empty dummy %q kept", round, nd.ID)
					}
					walk(nd.Children, depth+1)
				}
			}
			walk(roots, 0)
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("round %d: message %d (%s) appears %d times in %s", round, i, ms[i].ID, c, render(roots))
				}
			}
		}
	}
}

func TestThreadsDeepChain(t *testing.T) {
	const n = 200000
	ms := make([]threading.Message, n)
	for i := range ms {
		ms[i].ID = fmt.Sprint(i)
		if i > 0 {
			ms[i].InReplyTo = fmt.Sprint(i - 1)
		}
	}
	roots := threading.Threads(ms, nil)
	if len(roots) != 1 {
		t.Fatalf("%d roots", len(roots))
	}
	depth := 0
	for nd := roots[0]; len(nd.Children) > 0; nd = nd.Children[0] {
		depth++
	}
	if depth != n-1 {
		t.Errorf("depth %d, want %d", depth, n-1)
	}
}
