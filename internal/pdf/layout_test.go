package pdf

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrap(t *testing.T) {
	doc, err := newDoc("test")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.SetFont(family, "B", 26); err != nil {
		t.Fatal(err)
	}
	const width = 300
	for _, tc := range []struct {
		name, text string
		maxLines   int
		lines      int // how many wrap returns, if not 0; maxLines+1 when the text does not fit
		split      bool
	}{
		{"one word", "Ñandú", 3, 1, false},
		{"spaces collapse", "  Zoë \n\t Łukasiewicz  ", 3, 1, false},
		{"at spaces", "Zoë Łukasiewicz Quartet — live at the Kulturbrauerei", 9, 0, false},
		{"within a word", strings.Repeat("Ж", 60), 9, 0, true},
		{"a word too wide after others", "Ab " + strings.Repeat("w", 40), 9, 0, true},
		{"stops after maxLines+1", strings.Repeat("Wide ", 500), 2, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines, err := wrap(doc, tc.text, width, tc.maxLines)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(lines), tc.lines; want != 0 && got != want {
				t.Errorf("%d lines %q, want %d", got, lines, want)
			}
			for i, l := range lines {
				if w, err := doc.MeasureTextWidth(l); err != nil || w > width {
					t.Errorf("line %q is %.1f points wide (%v), want at most %d", l, w, err, width)
				}
				if l == "" || strings.TrimSpace(l) != l {
					t.Errorf("line %q is empty or starts or ends with space", l)
				}
				// Greedy: a line is broken only where the next word (or
				// the rest of a word split) would not fit.
				if i+1 < len(lines) {
					next := l + " " + strings.Fields(lines[i+1])[0]
					if w, err := doc.MeasureTextWidth(next); err != nil || w <= width {
						t.Errorf("line %q is broken, yet %q fits", l, next)
					}
				}
			}
			if len(lines) > tc.maxLines {
				return // not all of the text
			}
			sep, want := " ", strings.Join(strings.Fields(tc.text), " ")
			if tc.split {
				sep, want = "", strings.Join(strings.Fields(tc.text), "")
				for i := range lines {
					lines[i] = strings.ReplaceAll(lines[i], " ", "")
				}
			}
			if got := strings.Join(lines, sep); got != want {
				t.Errorf("lines %q, want the words of %q", lines, tc.text)
			}
		})
	}
}

func TestCut(t *testing.T) {
	doc, err := newDoc("test")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.SetFont(family, "", 12); err != nil {
		t.Fatal(err)
	}
	width, err := doc.MeasureTextWidth("Zoë Łukasiewicz…")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"Zoë Łukasiewicz", "Zoë Łukasiewicz…"}, // fits: only the ellipsis is added
		{"Zoë Łukasiewicz Quartet", "Zoë Łukasiewicz…"},
		{"Zoë Łukasiewiczowa", "Zoë Łukasiewicz…"},
		{strings.Repeat("W", 40), ""}, // as many as fit
	} {
		lines, err := cut(doc, []string{"first", tc.in}, width)
		if err != nil {
			t.Fatal(err)
		}
		got := lines[1]
		if lines[0] != "first" || (tc.want != "" && got != tc.want) {
			t.Errorf("cut(%q) = %q, want %q", tc.in, lines, tc.want)
		}
		kept, ok := strings.CutSuffix(got, "…")
		if w, err := doc.MeasureTextWidth(got); err != nil || w > width || !ok || !strings.HasPrefix(tc.in, kept) {
			t.Errorf("cut(%q) = %q, %.1f points wide (%v): want a prefix and …, at most %.1f", tc.in, got, w, err, width)
		}
		if rest := tc.in[len(kept):]; rest != "" && rest[0] != ' ' {
			r, _ := utf8.DecodeRuneInString(rest)
			longer := kept + string(r) + "…"
			if w, _ := doc.MeasureTextWidth(longer); w <= width {
				t.Errorf("cut(%q) = %q, yet %q fits", tc.in, got, longer)
			}
		}
	}
}

// TestPageFits lays out a ticket whose every text is far too long: the page
// must still end above the bottom margin.
func TestPageFits(t *testing.T) {
	doc, err := newDoc("test")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Supercalifragilisticexpialidocious ", 50) + strings.Repeat("W", 500)
	bottom, err := page(doc, Ticket{
		EventName: long, Venue: long, When: long, TicketType: long, Attendee: long,
		TicketID: long, OrderID: long, Secret: "AT1:ABC",
	})
	if err != nil {
		t.Fatal(err)
	}
	if bottom > pageH-margin {
		t.Errorf("the page ends %.0f points down, below the bottom margin at %.0f", bottom, pageH-margin)
	}
	t.Logf("the fullest page ends %.0f mm down of %.0f", bottom/mm, pageH/mm)
}
