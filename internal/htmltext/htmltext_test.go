package htmltext

import "testing"

func TestFromHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs", "<p>Hello <b>Mary</b>,</p><p>It ships today.</p>", "Hello Mary,\n\nIt ships today.\n"},
		{"br and entities", "a&amp;b<br>c&nbsp;d &lt;e&gt;", "a&b\nc d <e>\n"},
		{"list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two\n"},
		{"link with text", `<a href="https://x.example/t/1">your ticket</a>`, "your ticket <https://x.example/t/1>\n"},
		{"link same as text", `<a href="https://x.example/">https://x.example/</a>`, "https://x.example/\n"},
		{"mailto", `<a href="mailto:a@x.example">a@x.example</a>`, "a@x.example\n"},
		{"script style head dropped", "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script>Hi</body></html>", "Hi\n"},
		{"pre keeps spaces", "<pre>a  b\n  c</pre>", "a  b\n  c\n"},
		{"blockquote", "<p>Thanks</p><blockquote>old text</blockquote>", "Thanks\n\n> old text\n"},
		{"image alt", `<img src="cid:logo" alt="Acme logo"> text`, "Acme logo text\n"},
		{"whitespace collapses", "  a \n\n  b   c  ", "a b c\n"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc\n"},
		{"empty", "", ""},
		{"unicode", "<p>Grüße, 山田</p>", "Grüße, 山田\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromHTML(tt.in); got != tt.want {
				t.Errorf("FromHTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzFromHTML(f *testing.F) {
	f.Add("<p>Hello <a href=\"https://x\">x</a></p><blockquote><pre>a\n b</pre></blockquote>")
	f.Add("<ul><li><script>x</script>one")
	f.Fuzz(func(t *testing.T, s string) {
		_ = FromHTML(s)
	})
}
