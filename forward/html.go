package forward

import (
	"strings"

	"golang.org/x/net/html"
)

// htmlToText turns an HTML body into plain text good enough to find a
// forward header in: block elements and <br> become line breaks, <script>,
// <style> and <head> are dropped, entities are decoded, and <blockquote>
// content is prefixed with "> ". It stops after max bytes of output. The
// tokenizer is linear in its input, so hostile HTML costs no more than its
// length.
func htmlToText(src string, max int) string {
	z := html.NewTokenizer(strings.NewReader(src))
	z.SetMaxBuf(max + 64<<10)
	var b strings.Builder
	skip := 0
	quote := 0
	atLineStart := true
	newline := func() {
		if !atLineStart {
			b.WriteByte('\n')
			atLineStart = true
		}
	}
	for b.Len() < max {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			text := string(z.Text())
			// HTML white space collapses; keep the words of the line.
			text = strings.Join(strings.Fields(text), " ")
			if strings.TrimSpace(string(z.Raw())) == "" {
				if !atLineStart {
					b.WriteByte(' ')
				}
				continue
			}
			if len(z.Raw()) > 0 && isSpace(z.Raw()[0]) && !atLineStart {
				b.WriteByte(' ')
			}
			if atLineStart && quote > 0 {
				b.WriteString(strings.Repeat("> ", min(quote, 20)))
			}
			b.WriteString(text)
			atLineStart = false
			if raw := z.Raw(); len(raw) > 0 && isSpace(raw[len(raw)-1]) {
				b.WriteByte(' ')
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch tag := string(name); tag {
			case "script", "style", "head", "title":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case "br":
				if atLineStart && quote > 0 {
					b.WriteString(strings.Repeat("> ", min(quote, 20)))
				}
				b.WriteByte('\n')
				atLineStart = true
			case "blockquote":
				newline()
				if tt == html.StartTagToken {
					quote++
				} else if tt == html.EndTagToken && quote > 0 {
					quote--
				}
			case "td", "th":
				if !atLineStart {
					b.WriteByte(' ')
				}
			case "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "ul", "ol", "pre", "dd", "dt":
				newline()
			}
		}
	}
	return b.String()
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
