package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/clock"
)

// TestCheckChoice: a choice is taken only with its browser's cookie, for
// a member it names, unchanged, and before it expires.
func TestCheckChoice(t *testing.T) {
	now := clock.NewFake(time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC))
	k := &Console{cfg: Config{Clock: now}, choiceKey: []byte("a key for tests only"), cookie: "admit_session"}
	choice := k.makeChoice([]string{"mb_a", "mb_b"}, "browser secret")
	post := func(choice, member, browser string) *http.Request {
		r := httptest.NewRequest("POST", "/manage/sign-in/organizer",
			strings.NewReader(url.Values{"choice": {choice}, "member": {member}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if browser != "" {
			r.AddCookie(&http.Cookie{Name: choiceCookie, Value: browser})
		}
		return r
	}
	other := (&Console{cfg: Config{Clock: now}, choiceKey: []byte("another key")}).makeChoice([]string{"mb_a", "mb_c"}, "browser secret")
	for _, tc := range []struct {
		name                    string
		choice, member, browser string
		later                   time.Duration
		want                    bool
	}{
		{"the second member", choice, "mb_b", "browser secret", 0, true},
		{"at the last moment", choice, "mb_a", "browser secret", choiceLifetime, true},
		{"expired", choice, "mb_a", "browser secret", choiceLifetime + time.Second, false},
		{"a member it does not name", choice, "mb_c", "browser secret", 0, false},
		{"another browser", choice, "mb_a", "another browser", 0, false},
		{"no cookie", choice, "mb_a", "", 0, false},
		{"a member added", strings.Replace(choice, "mb_a,mb_b", "mb_a,mb_b,mb_c", 1), "mb_c", "browser secret", 0, false},
		{"made later", strings.Replace(choice, ".1", ".2", 1), "mb_a", "browser secret", 0, false},
		{"signed with another key", other, "mb_c", "browser secret", 0, false},
		{"no choice", "", "mb_a", "browser secret", 0, false},
	} {
		at := clock.NewFake(now.Now().Add(tc.later))
		k.cfg.Clock = at
		if _, got := k.checkChoice(post(tc.choice, tc.member, tc.browser)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
