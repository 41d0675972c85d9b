package bench

import (
	"strings"
	"testing"
)

func TestOwnGoroutines(t *testing.T) {
	dump := "log line\ngoroutine 1 [running]:\nruntime.main()\n\ngoroutine 7 [select]:\n" +
		"github.com/admit-org/admit/internal/office.(*Office).run(...)\n\ngoroutine 9 [IO wait]:\ninternal/poll.wait()\n"
	got := ownGoroutines(dump, 1000)
	if !strings.HasPrefix(got, "goroutine 7 [select]:") || strings.Contains(got, "goroutine 1 ") || strings.Contains(got, "goroutine 9 ") {
		t.Errorf("ownGoroutines picked:\n%s", got)
	}
	if got := ownGoroutines("no dump here", 1000); got != "" {
		t.Errorf("from no dump: %q", got)
	}
}
