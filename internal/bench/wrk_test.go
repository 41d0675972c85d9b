package bench

import (
	"context"
	"testing"
	"time"

	"github.com/admit-org/admit/internal/bench/baseline"
)

func TestOnsaleWrkHello(t *testing.T) {
	wrk, err := LookWrk()
	if err != nil {
		t.Skipf("%v (CI installs it)", err)
	}
	b, err := NewBaseline("hello", baseline.NewMemory(), 32)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := RunWrk(context.Background(), Config{Seats: 2000, Buyers: 32, SoldOut: 200 * time.Millisecond, Wrk: wrk}, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
}
