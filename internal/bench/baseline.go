package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/admit-org/admit/internal/bench/baseline"
	"github.com/admit-org/admit/internal/web"
)

// Baseline is another design behind the same small HTTP handler, served
// in-process with the same server limits as admit.
type Baseline struct {
	name  string
	c     *client
	store baseline.Store
	srv   *http.Server
	plan  *Plan
}

// NewBaseline serves store on 127.0.0.1 at a free port as the target name.
func NewBaseline(name string, store baseline.Store, buyers int) (*Baseline, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &Baseline{name: name, store: store, c: newClient("http://"+ln.Addr().String(), buyers)}
	b.srv = web.NewHTTPServer(baseline.Handler(store, time.Hour), nil)
	go b.srv.Serve(web.LimitListener(ln, web.DefaultMaxConns)) // ends with Close's Shutdown
	return b, nil
}

// Name is the target's: hello, postgres or redis.
func (b *Baseline) Name() string { return b.name }

// Setup creates the store's quotas; ids are the plan's names made unique.
func (b *Baseline) Setup(ctx context.Context, p *Plan) error {
	b.plan = p
	var bp baseline.Plan
	for i := range p.Quotas {
		p.Quotas[i].ID = fmt.Sprintf("qu_%d", i)
		bp.Quotas = append(bp.Quotas, baseline.Quota{ID: p.Quotas[i].ID, Capacity: p.Quotas[i].Capacity})
	}
	for i := range p.Types {
		p.Types[i].ID = fmt.Sprintf("tt_%d", i)
		t := baseline.TicketType{ID: p.Types[i].ID}
		for _, q := range p.Types[i].Quotas {
			t.QuotaIDs = append(t.QuotaIDs, p.Quotas[q].ID)
		}
		bp.TicketTypes = append(bp.TicketTypes, t)
	}
	if err := b.store.Setup(ctx, bp); err != nil {
		return err
	}
	b.c.prepare("ev_bench", p)
	return nil
}

// BaseURL is the in-process server's.
func (b *Baseline) BaseURL() string { return b.c.base }

// EventID is the event's, which the handler does not check.
func (b *Baseline) EventID() string { return b.c.eventID }

// Hold posts a hold to the handler.
func (b *Baseline) Hold(ctx context.Context, t, n int) Answer { return b.c.hold(ctx, t, n) }

// Audit reads the store's counters and hold records.
func (b *Baseline) Audit(ctx context.Context) (Recorded, error) {
	a, err := b.store.Audit(ctx)
	if err != nil {
		return Recorded{}, err
	}
	rec := Recorded{Source: b.store.Name() + " store", Held: make([]int, len(b.plan.Quotas)), Holds: a.Holds}
	for i, q := range b.plan.Quotas {
		rec.Held[i] = a.Held[q.ID]
	}
	return rec, nil
}

// Close stops the server and drops what the store set up.
func (b *Baseline) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.srv.Shutdown(ctx)
	b.c.close()
	return b.store.Close()
}
