// Package htmltext turns an HTML body into the plain text of a
// multipart/alternative text part, on golang.org/x/net/html's tokenizer.
//
// Block elements (p, div, headings, lists, tables rows, blockquote) end a
// line; p and headings leave a blank line; br is a line break; list items
// start with "- "; a link whose text differs from its target is written
// "text <target>"; an image is its alt text; script, style, head and
// template contents are dropped; pre keeps its white space; elsewhere runs
// of white space become one space. Entities are decoded by the tokenizer.
// Lines end in "\n"; the result has no leading or trailing blank lines and
// never more than one blank line in a row.
package htmltext

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxDepth bounds the nesting the converter tracks, so hostile input cannot
// make it use unbounded memory.
const maxDepth = 256

// FromHTML returns the plain text of an HTML document or fragment.
func FromHTML(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	c := &conv{}
	var links []string // href of each open <a>, "" when none
	var linkText []int // c.b length at each <a>
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return c.finish()
		case html.TextToken:
			if c.skip > 0 {
				continue
			}
			c.text(string(z.Text()))
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			var attrs map[string]string
			if hasAttr && (a == atom.A || a == atom.Img) {
				attrs = map[string]string{}
				for {
					k, v, more := z.TagAttr()
					attrs[string(k)] = string(v)
					if !more {
						break
					}
				}
			}
			end := tt == html.EndTagToken
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Template, atom.Title, atom.Noscript:
				if tt == html.SelfClosingTagToken {
					continue
				}
				if end {
					if c.skip > 0 {
						c.skip--
					}
				} else {
					c.skip++
				}
				continue
			}
			if c.skip > 0 {
				continue
			}
			switch a {
			case atom.Br:
				c.newline()
			case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				c.blank()
			case atom.Div, atom.Tr, atom.Table, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
				atom.Section, atom.Article, atom.Header, atom.Footer, atom.Hr, atom.Center:
				c.newline()
			case atom.Li:
				c.newline()
				if !end {
					c.raw("- ")
				}
			case atom.Td, atom.Th:
				if !end {
					c.space()
				}
			case atom.Blockquote:
				c.newline()
				if end {
					c.quote = max(0, c.quote-1)
				} else if c.quote < maxDepth {
					c.quote++
				}
			case atom.Pre:
				c.newline()
				if end {
					c.pre = max(0, c.pre-1)
				} else if c.pre < maxDepth {
					c.pre++
				}
			case atom.Img:
				if alt := strings.TrimSpace(attrs["alt"]); alt != "" {
					c.text(alt)
				}
			case atom.A:
				if tt == html.SelfClosingTagToken {
					continue
				}
				if !end {
					if len(links) < maxDepth {
						links = append(links, strings.TrimSpace(attrs["href"]))
						linkText = append(linkText, c.b.Len())
					}
					continue
				}
				if n := len(links); n > 0 {
					href, start := links[n-1], linkText[n-1]
					links, linkText = links[:n-1], linkText[:n-1]
					shown := strings.TrimSpace(c.b.String()[min(start, c.b.Len()):])
					target := strings.TrimPrefix(href, "mailto:")
					if href != "" && !strings.HasPrefix(href, "#") && !strings.HasPrefix(strings.ToLower(href), "javascript:") &&
						shown != target && shown != href {
						c.text(" <" + href + ">")
					}
				}
			}
		}
	}
}

type conv struct {
	b         strings.Builder
	line      strings.Builder // the current line, before the quote prefix
	lines     []string
	skip      int  // inside script/style/head
	pre       int  // inside pre
	quote     int  // blockquote depth
	lastSpace bool // the current line ends in a space
}

func (c *conv) raw(s string) {
	c.line.WriteString(s)
	c.b.WriteString(s)
	c.lastSpace = strings.HasSuffix(s, " ")
}

func (c *conv) space() {
	if c.line.Len() > 0 && !c.lastSpace {
		c.raw(" ")
	}
}

func (c *conv) text(s string) {
	if c.pre > 0 {
		parts := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
		for i, p := range parts {
			if i > 0 {
				c.flush(true)
			}
			c.raw(p)
		}
		return
	}
	for i, f := range strings.Fields(s) {
		if i > 0 || (len(s) > 0 && isSpace(s[0])) {
			c.space()
		}
		c.raw(f)
	}
	if len(s) > 0 && isSpace(s[len(s)-1]) {
		c.space()
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' }

// flush ends the current line; keepEmpty keeps an empty line (in pre).
func (c *conv) flush(keepEmpty bool) {
	ln := c.line.String()
	if c.pre == 0 {
		ln = strings.TrimRight(ln, " ")
	}
	c.line.Reset()
	c.lastSpace = false
	if ln == "" && !keepEmpty {
		return
	}
	if c.quote > 0 {
		ln = strings.TrimRight(strings.Repeat("> ", c.quote)+ln, " ")
	}
	c.lines = append(c.lines, ln)
}

func (c *conv) newline() {
	if c.line.Len() > 0 {
		c.flush(false)
	}
}

func (c *conv) blank() {
	c.newline()
	if n := len(c.lines); n > 0 && c.lines[n-1] != "" {
		c.lines = append(c.lines, "")
	}
}

func (c *conv) finish() string {
	c.newline()
	var out []string
	for _, ln := range c.lines {
		if strings.TrimSpace(ln) == "" || strings.Trim(ln, "> ") == "" {
			if len(out) == 0 || out[len(out)-1] == "" {
				continue
			}
			ln = ""
		}
		out = append(out, ln)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}
