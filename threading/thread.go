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
	ID string `json:"id,omitempty"`
	// InReplyTo is the first id of In-Reply-To, used when References is
	// empty (RFC 5256).
	InReplyTo string `json:"in_reply_to,omitempty"`
	// References are the ids of References, oldest first (ParseMessageIDs).
	References []string `json:"references,omitempty"`
	// Subject is the raw Subject, for grouping roots by base subject.
	Subject string `json:"subject,omitempty"`
	// Date is the sent date, for ordering siblings and threads.
	Date time.Time `json:"date,omitzero"`
}

// Node is one node of a thread tree.
type Node struct {
	// ID is the Message-ID of the node.
	ID string `json:"id,omitempty"`
	// Index is the position of the message in the slice given to Threads,
	// or -1 for a dummy: a message that others refer to but that is not in
	// the set, kept to hold its children together.
	Index int `json:"index"`
	// Children are the replies, ordered by date.
	Children []*Node `json:"children,omitempty"`
}

// ThreadOptions tune Threads. Nil means the defaults.
type ThreadOptions struct {
	// NoSubjectGrouping turns off RFC 5256 step 5, which gathers root
	// threads with the same base subject. Zero: grouping on, as RFC 5256
	// REFERENCES does. A helpdesk view of unrelated customers' mails may
	// prefer it off: "Help" from two customers is not one thread.
	NoSubjectGrouping bool
}

// container is a node of the id map (RFC 5256 "container"). It holds no
// pointers, so the garbage collector never scans the containers.
type container struct {
	msg    int32 // index into msgs, -1 for an empty container
	idMsg  int32 // the id is msgs[idMsg].References[idRef] (idRef -1: InReplyTo, -2: ID)
	idRef  int32
	parent int32 // -1 for none
	seq    int32 // when parent was set, to break loops at the newest link
	first  int32 // first child, -1 for none
	next   int32 // next sibling
}

// Threads returns the thread trees of msgs following RFC 5256 §BASE.6.4
// REFERENCES (Jamie Zawinski's algorithm), in time linear in the number of
// messages and references:
//
//   - ids are looked up in one map; References links each id to the
//     next unless the child already has a parent, and a message's parent is
//     the last reference (In-Reply-To when References is empty);
//   - reference loops, which RFC 5256 avoids by walking up the tree before
//     each link (quadratic on long chains), are found afterwards in one pass
//     over the parent links, and each is broken at the link made last —
//     the one RFC 5256 would have refused;
//   - empty containers are pruned and their children promoted (a root keeps
//     an empty container with several children, as a dummy Node);
//   - roots with the same base subject are gathered (unless
//     NoSubjectGrouping), following RFC 5256 step 5;
//   - siblings and threads are ordered by date, then by input order.
//
// The returned roots and nodes are new; msgs is not modified. The input
// should hold fewer than 2^31 messages and references.
func Threads(msgs []Message, opts *ThreadOptions) []*Node {
	if opts == nil {
		opts = &ThreadOptions{}
	}
	n := len(msgs)
	cs := make([]container, 0, n+n/8)
	// ids maps every id to its container + 1.
	ids := make(map[string]int32, n+n/8)
	var seq int32

	idOf := func(c *container) string {
		m := &msgs[c.idMsg]
		switch c.idRef {
		case -2:
			return m.ID
		case -1:
			return m.InReplyTo
		}
		return m.References[c.idRef]
	}

	var one [1]string
	for i := range msgs {
		m := &msgs[i]
		var self int32 = -1
		if m.ID != "" {
			if c, ok := ids[m.ID]; !ok {
				ids[m.ID] = int32(len(cs)) + 1 // a new id
			} else if cs[c-1].msg < 0 {
				self = c - 1 // referred to before: fill the empty container
			}
		}
		if self < 0 {
			// new, empty-id or repeated id: a container of its own
			self = int32(len(cs))
			cs = append(cs, container{msg: -1, idMsg: int32(i), idRef: -2, parent: -1, first: -1, next: -1})
		}
		cs[self].msg = int32(i)

		refs := m.References
		ref0 := int32(0)
		if len(refs) == 0 && m.InReplyTo != "" {
			one[0] = m.InReplyTo
			refs = one[:]
			ref0 = -1
		}
		prev := int32(-1)
		for k, r := range refs {
			if r == "" {
				continue
			}
			c := ids[r] - 1
			if c < 0 {
				c = int32(len(cs))
				ids[r] = c + 1
				cs = append(cs, container{msg: -1, idMsg: int32(i), idRef: ref0 + int32(k), parent: -1, first: -1, next: -1})
			}
			if c == self {
				continue // a message cannot be its own ancestor
			}
			if prev >= 0 && c != prev && cs[c].parent < 0 {
				seq++
				cs[c].parent, cs[c].seq = prev, seq
			}
			prev = c
		}
		if prev >= 0 {
			seq++
			cs[self].parent, cs[self].seq = prev, seq
		} else {
			cs[self].parent = -1
		}
	}
	ids = nil

	breakLoops(cs)

	// Children lists; walking backwards and prepending keeps input order.
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

	// Parents first (BFS from the roots). holder[c] is the container whose
	// node gets c as a child: its parent, or, for a parent that is an empty
	// non-root container, that parent's holder (RFC 5256 step 3B).
	order := make([]int32, 0, len(cs))
	order = append(order, roots...)
	holder := make([]int32, len(cs))
	kids := make([]int32, len(cs)) // children counts per holder
	for k := 0; k < len(order); k++ {
		c := order[k]
		h := c
		if cs[c].msg < 0 && cs[c].parent >= 0 {
			h = holder[c] // empty, not a root: pass children up
		}
		for ch := cs[c].first; ch >= 0; ch = cs[ch].next {
			order = append(order, ch)
			holder[ch] = h
		}
	}
	// Count the children each node keeps: messages and promoted children,
	// not empty non-root containers themselves.
	for _, c := range order {
		if cs[c].parent >= 0 && cs[c].msg >= 0 {
			kids[holder[c]]++
		}
	}
	nodes := make([]Node, len(cs))
	total := 0
	for _, k := range kids {
		total += int(k)
	}
	backing := make([]*Node, total)
	for _, c := range order {
		if k := kids[c]; k > 0 {
			nodes[c].Children, backing = backing[:0:k], backing[k:]
		}
	}
	for _, c := range order {
		nd := &nodes[c]
		nd.Index = int(cs[c].msg)
		nd.ID = idOf(&cs[c])
		if cs[c].parent >= 0 && cs[c].msg >= 0 {
			h := &nodes[holder[c]]
			h.Children = append(h.Children, nd)
		}
	}
	// Children in date order, deepest first so dummies find their dates.
	for k := len(order) - 1; k >= 0; k-- {
		if ch := nodes[order[k]].Children; len(ch) > 1 {
			sortNodes(ch, msgs)
		}
	}
	res := make([]*Node, 0, len(roots))
	for _, r := range roots {
		nd := &nodes[r]
		switch {
		case nd.Index >= 0 || len(nd.Children) > 1:
			res = append(res, nd) // a message, or a dummy with several children (3C)
		case len(nd.Children) == 1:
			res = append(res, nd.Children[0]) // 3C: promote the only child
		}
		// 3A: an empty root without children is dropped
	}
	// Date order before grouping too, so which root of a subject becomes
	// the table's does not depend on the order the ids were first seen.
	sortNodes(res, msgs)
	if !opts.NoSubjectGrouping {
		res = groupBySubject(res, msgs)
		sortNodes(res, msgs)
	}
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

func sortNodes(ns []*Node, msgs []Message) {
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
	touched := make([]bool, len(roots))
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
		merged, touched[e.at] = true, true
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
	for i, nd := range roots {
		if nd == nil {
			continue
		}
		if touched[i] {
			sortNodes(nd.Children, msgs)
		}
		out = append(out, nd)
	}
	return out
}
