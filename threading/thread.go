package threading

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Message is one message of a mailbox to thread.
type Message struct {
	// ID is the Message-ID without angle brackets. Empty or repeated ids are
	// threaded as distinct messages nothing can refer to.
	ID string
	// InReplyTo is the first id of In-Reply-To, used when References is
	// empty (RFC 5256).
	InReplyTo string
	// References are the ids of References, oldest first (ParseMessageIDs).
	References []string
	// Subject is the raw Subject, for grouping roots by base subject.
	Subject string
	// Date is the sent date, for ordering siblings and threads.
	Date time.Time
}

// Node is one node of a thread tree.
type Node struct {
	// ID is the Message-ID of the node.
	ID string
	// Index is the position of the message in the slice given to Threads,
	// or -1 for a dummy: a message that others refer to but that is not in
	// the set, kept to hold its children together.
	Index int
	// Children are the replies, ordered by date.
	Children []*Node
}

// ThreadOptions tune Threads. Nil means the defaults.
type ThreadOptions struct {
	// NoSubjectGrouping turns off RFC 5256 step 5, which gathers root
	// threads with the same base subject. Zero: grouping on, as RFC 5256
	// REFERENCES does. A helpdesk view of unrelated customers' mails may
	// prefer it off: "Help" from two customers is not one thread.
	NoSubjectGrouping bool
}

// container is a node of the id table (RFC 5256 "container").
type container struct {
	id     string
	msg    int32 // index into msgs, -1 for an empty container
	parent int32 // -1 for none
	seq    int32 // when parent was set, to break loops at the newest link
	first  int32 // first child, -1 for none
	next   int32 // next sibling
	date   time.Time
}

// Threads returns the thread trees of msgs following RFC 5256 §BASE.6.4
// REFERENCES (Jamie Zawinski's algorithm), in time linear in the number of
// messages and references:
//
//   - ids are looked up in one hash table; References links each id to the
//     next unless the child already has a parent, and a message's parent is
//     the last reference (In-Reply-To when References is empty);
//   - reference loops, which RFC 5256 avoids by walking up the tree before
//     each link (quadratic on long chains), are found afterwards in one pass
//     over the parent links, and each is broken at the link made last;
//   - empty containers are pruned and their children promoted (a root keeps
//     an empty container with several children, as a dummy Node);
//   - roots with the same base subject are gathered (unless
//     NoSubjectGrouping), following RFC 5256 step 5;
//   - siblings and threads are ordered by date, then by input order.
//
// The returned roots and nodes are new; msgs is not modified.
func Threads(msgs []Message, opts *ThreadOptions) []*Node {
	if opts == nil {
		opts = &ThreadOptions{}
	}
	n := len(msgs)
	cs := make([]container, 0, n+n/4)
	table := make(map[string]int32, n+n/4)
	var seq int32

	get := func(id string) int32 {
		if c, ok := table[id]; ok {
			return c
		}
		c := int32(len(cs))
		cs = append(cs, container{id: id, msg: -1, parent: -1, first: -1, next: -1})
		table[id] = c
		return c
	}
	setParent := func(c, p int32) {
		seq++
		cs[c].parent, cs[c].seq = p, seq
	}

	for i := range msgs {
		m := &msgs[i]
		var self int32
		if c, ok := table[m.ID]; ok && m.ID != "" && cs[c].msg < 0 {
			self = c
		} else {
			// new, empty-id, or repeated id: a container of its own that
			// nothing refers to
			self = int32(len(cs))
			cs = append(cs, container{id: m.ID, msg: -1, parent: -1, first: -1, next: -1})
			if m.ID != "" && !ok {
				table[m.ID] = self
			}
		}
		cs[self].msg = int32(i)
		cs[self].date = m.Date

		refs := m.References
		if len(refs) == 0 && m.InReplyTo != "" {
			refs = []string{m.InReplyTo}
		}
		prev := int32(-1)
		for _, r := range refs {
			if r == "" {
				continue
			}
			c := get(r)
			if prev >= 0 && c != prev && cs[c].parent < 0 && c != self {
				setParent(c, prev)
			}
			prev = c
		}
		if prev >= 0 && prev != self {
			setParent(self, prev)
		} else {
			cs[self].parent = -1
		}
	}
	table = nil

	breakLoops(cs)

	// Children lists, in container order (reversed below by prepending,
	// so walk backwards to keep input order).
	var roots []int32
	for c := int32(len(cs)) - 1; c >= 0; c-- {
		p := cs[c].parent
		if p < 0 {
			roots = append(roots, c)
			continue
		}
		cs[c].next = cs[p].first
		cs[p].first = c
	}
	slices.Reverse(roots)

	// Order containers parents first (BFS from the roots), then build
	// nodes children first.
	order := make([]int32, 0, len(cs))
	order = append(order, roots...)
	for k := 0; k < len(order); k++ {
		for ch := cs[order[k]].first; ch >= 0; ch = cs[ch].next {
			order = append(order, ch)
		}
	}
	nodes := make([]Node, len(cs))
	out := make([][]*Node, len(cs)) // what replaces each container
	one := make([]*Node, len(cs))   // backing for single-node results
	isRoot := func(c int32) bool { return cs[c].parent < 0 }
	for k := len(order) - 1; k >= 0; k-- {
		c := order[k]
		cnt := 0
		for ch := cs[c].first; ch >= 0; ch = cs[ch].next {
			cnt += len(out[ch])
		}
		var kids []*Node
		if cnt > 0 {
			kids = make([]*Node, 0, cnt)
			for ch := cs[c].first; ch >= 0; ch = cs[ch].next {
				kids = append(kids, out[ch]...)
				out[ch] = nil
			}
			if len(kids) > 1 {
				sortNodes(kids, msgs, nodes)
			}
		}
		nd := &nodes[c]
		nd.ID, nd.Index = cs[c].id, int(cs[c].msg)
		switch {
		case cs[c].msg >= 0:
			nd.Children = kids
			one[c] = nd
			out[c] = one[c : c+1 : c+1]
		case len(kids) == 0:
			// (A) empty without children: dropped
		case !isRoot(c) || len(kids) == 1:
			// (B) promote the children; (C) a root with one child
			out[c] = kids
		default:
			// (C) a dummy root with several children stays
			nd.Children = kids
			one[c] = nd
			out[c] = one[c : c+1 : c+1]
		}
	}
	var res []*Node
	for _, r := range roots {
		res = append(res, out[r]...)
	}
	if !opts.NoSubjectGrouping {
		res = groupBySubject(res, msgs)
	}
	sortNodes(res, msgs, nodes)
	return res
}

// breakLoops finds every cycle of parent links in one pass and cuts each at
// the link made last.
func breakLoops(cs []container) {
	const (
		unseen = 0
		onPath = 1
		done   = 2
	)
	state := make([]uint8, len(cs))
	var path []int32
	for start := range cs {
		if state[start] != unseen {
			continue
		}
		path = path[:0]
		c := int32(start)
		for c >= 0 && state[c] == unseen {
			state[c] = onPath
			path = append(path, c)
			c = cs[c].parent
		}
		if c >= 0 && state[c] == onPath {
			// c is on the current path: the cycle is c … back to c.
			newest := c
			for x := cs[c].parent; x != c; x = cs[x].parent {
				if cs[x].seq > cs[newest].seq {
					newest = x
				}
			}
			cs[newest].parent = -1
		}
		for _, x := range path {
			state[x] = done
		}
	}
}

// nodeDate is a node's date for sorting: its message's, or for a dummy its
// first child's (RFC 5256).
func nodeDate(nd *Node, msgs []Message) (time.Time, int) {
	for nd.Index < 0 && len(nd.Children) > 0 {
		nd = nd.Children[0]
	}
	if nd.Index < 0 {
		return time.Time{}, -1
	}
	return msgs[nd.Index].Date, nd.Index
}

func sortNodes(ns []*Node, msgs []Message, _ []Node) {
	slices.SortStableFunc(ns, func(a, b *Node) int {
		da, ia := nodeDate(a, msgs)
		db, ib := nodeDate(b, msgs)
		if c := da.Compare(db); c != 0 {
			return c
		}
		return cmp.Compare(ia, ib)
	})
}

// groupBySubject is RFC 5256 REFERENCES step 5: roots with the same base
// subject are gathered under the original (the one without Re:), or under a
// new dummy.
func groupBySubject(roots []*Node, msgs []Message) []*Node {
	type entry struct {
		at    int // index in roots
		reply bool
	}
	subj := func(nd *Node) (string, bool, bool) {
		x := nd
		if x.Index < 0 {
			if len(x.Children) == 0 {
				return "", false, false
			}
			x = x.Children[0]
			if x.Index < 0 {
				return "", false, false
			}
		}
		b, r := baseSubject(msgs[x.Index].Subject)
		if b == "" {
			return "", false, false
		}
		return strings.ToLower(b), r, true
	}
	keys := make([]string, len(roots))
	replies := make([]bool, len(roots))
	table := make(map[string]entry, len(roots))
	for i, nd := range roots {
		k, r, ok := subj(nd)
		if !ok {
			continue
		}
		keys[i], replies[i] = k, r
		e, found := table[k]
		if !found {
			table[k] = entry{i, r}
			continue
		}
		old := roots[e.at]
		if (old.Index >= 0 && nd.Index < 0) || (old.Index >= 0 && nd.Index >= 0 && e.reply && !r) {
			table[k] = entry{i, r}
		}
	}
	roots = slices.Clone(roots)
	merged := false
	for i, nd := range roots {
		k := keys[i]
		if k == "" || nd == nil {
			continue
		}
		e := table[k]
		if e.at == i {
			continue
		}
		tn := roots[e.at]
		merged = true
		switch {
		case tn.Index < 0 && nd.Index < 0:
			tn.Children = append(tn.Children, nd.Children...)
		case tn.Index < 0:
			tn.Children = append(tn.Children, nd)
		case replies[i] && !e.reply:
			tn.Children = append(tn.Children, nd)
		default:
			roots[e.at] = &Node{Index: -1, Children: []*Node{tn, nd}}
			table[k] = entry{e.at, false}
		}
		roots[i] = nil
	}
	if !merged {
		return roots
	}
	out := roots[:0]
	for _, nd := range roots {
		if nd == nil {
			continue
		}
		if len(nd.Children) > 1 {
			sortNodes(nd.Children, msgs, nil)
		}
		out = append(out, nd)
	}
	return out
}
