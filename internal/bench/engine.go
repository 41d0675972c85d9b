package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/admit-org/admit/internal/access"
	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
	"github.com/admit-org/admit/internal/office"
)

// Engine is the box office in-process on an embedded, fsyncing JetStream
// ledger, without HTTP: the ceiling of what admit can sell.
type Engine struct {
	dir     string
	led     *ledger.JetStream
	m       *office.Manager
	stop    func()
	eventID string
	plan    *Plan
	items   [][][]boxoffice.Item // per ticket type, per quantity
	// Memory is where Audit reports the process's memory with the sale's
	// holds still active, against before (once Setup is done).
	Memory io.Writer
	before memSample
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// organizerID owns the events the engine target creates.
const organizerID = "or_bench0000000000000"

// NewEngine opens a ledger in dir (a fresh directory) and starts a manager.
func NewEngine(ctx context.Context, dir string) (*Engine, error) {
	led, err := ledger.Open(ctx, ledger.Config{DataDir: dir, Logger: discard})
	if err != nil {
		return nil, err
	}
	m := office.NewManager(led, clock.Real{}, office.Local{}, discard, office.Config{})
	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { m.Run(mctx, started) })
	<-started
	return &Engine{dir: dir, led: led, m: m, stop: func() { cancel(); wg.Wait() }, Memory: os.Stderr}, nil
}

// Name is "engine".
func (e *Engine) Name() string { return "engine" }

// Setup creates the event, its ticket types and quotas, and opens sales.
func (e *Engine) Setup(ctx context.Context, p *Plan) error {
	e.eventID, e.plan = id.New("ev", id.Short), p
	now := time.Now()
	system := access.SystemActor // the bench sets its event up itself
	cmds := []boxoffice.Command{&boxoffice.CreateEvent{OrganizerID: organizerID, EventID: e.eventID, Currency: "EUR", Actor: system,
		Details: boxoffice.EventDetails{Name: "Stadium on-sale", Venue: "Stadium", TimeZone: "Europe/Berlin",
			StartsAt: now.Add(30 * 24 * time.Hour), EndsAt: now.Add(30*24*time.Hour + 3*time.Hour),
			HoldTTLSeconds: boxoffice.MaxHoldTTLSeconds, MaxTicketsPerHold: boxoffice.MaxTicketsPerHoldLimit}}}
	for i := range p.Types {
		p.Types[i].ID = id.New("tt", id.Short)
		cmds = append(cmds, &boxoffice.CreateTicketType{OrganizerID: organizerID, TicketTypeID: p.Types[i].ID, Actor: system,
			Details: boxoffice.TicketTypeDetails{Name: p.Types[i].Name, Price: boxoffice.Money{Amount: 5000, Currency: "EUR"},
				MinPerHold: 1, MaxPerHold: boxoffice.MaxTicketsPerHoldLimit}})
	}
	for i := range p.Quotas {
		q := &p.Quotas[i]
		q.ID = id.New("qu", id.Short)
		var tts []string
		for _, t := range q.Types {
			tts = append(tts, p.Types[t].ID)
		}
		cmds = append(cmds, &boxoffice.CreateQuota{OrganizerID: organizerID, QuotaID: q.ID, Actor: system,
			Details: boxoffice.QuotaDetails{Name: q.Name, Capacity: q.Capacity, TicketTypeIDs: tts}})
	}
	cmds = append(cmds, &boxoffice.ChangeStatus{OrganizerID: organizerID, Status: boxoffice.OnSale, Actor: system})
	for _, c := range cmds {
		if _, err := e.m.Do(ctx, e.eventID, c, nil); err != nil {
			return fmt.Errorf("%T: %w", c, err)
		}
	}
	e.items = itemsOf(p)
	if e.Memory != nil {
		e.before = sampleMemory()
	}
	return nil
}

// itemsOf prepares the one-item hold requests for every ticket type and
// quantity, so buyers do not allocate them.
func itemsOf(p *Plan) [][][]boxoffice.Item {
	out := make([][][]boxoffice.Item, len(p.Types))
	for t := range p.Types {
		out[t] = make([][]boxoffice.Item, 11)
		for n := 1; n <= 10; n++ {
			out[t][n] = []boxoffice.Item{{TicketTypeID: p.Types[t].ID, Quantity: n}}
		}
	}
	return out
}

// Hold asks the box office as the HTTP layer does: sold out from the
// published view, everything else through the box office.
func (e *Engine) Hold(ctx context.Context, t, n int) Answer {
	items := e.items[t][n]
	v, err := e.m.View(ctx, e.eventID)
	if err == nil {
		err = v.SoldOut(items)
	}
	if err == nil {
		var res office.Result
		res, err = e.m.Do(ctx, e.eventID, &boxoffice.CreateHold{HoldID: id.New("ho", id.Long), Items: items}, nil)
		if err == nil {
			return Answer{Outcome: Granted, HoldID: res.Ref}
		}
	}
	return answerOf(err)
}

func answerOf(err error) Answer {
	switch {
	case fault.Is(err, fault.SoldOut):
		a := Answer{Outcome: SoldOut, Left: -1}
		if fe := fault.As(err); fe != nil && len(fe.Available) == 1 {
			a.Left = int(fe.Available[0].Available) // a hold of one item
		}
		return a
	case fault.Is(err, fault.Unavailable), fault.Is(err, fault.RateLimited):
		return Answer{Outcome: Shed, RetryAfter: time.Second}
	}
	return Answer{Outcome: Failed, Err: err}
}

// Audit stops the box office (it stores its snapshot) and replays the
// event's ledger from its first entry.
func (e *Engine) Audit(ctx context.Context) (Recorded, error) {
	if e.Memory != nil {
		active, err := e.m.Read(ctx, e.eventID, func(st *boxoffice.State, _ boxoffice.Decision) any { return st.ActiveHolds() })
		if err != nil {
			return Recorded{}, err
		}
		reportMemory(e.Memory, e.before, sampleMemory(), active.(int))
	}
	e.stop()
	e.stop = func() {}
	st, err := Replay(ctx, e.led, e.eventID, nil)
	if err != nil {
		return Recorded{}, err
	}
	return recordedOf(st, e.plan, "ledger replay"), nil
}

// Close stops the manager and closes the ledger.
func (e *Engine) Close() error {
	e.stop()
	e.led.Close()
	return nil
}

// Replay rebuilds an event's state from every ledger entry on its subject,
// ignoring snapshots. each, when not nil, sees the state after every entry.
func Replay(ctx context.Context, led office.Ledger, eventID string, each func(*boxoffice.State)) (*boxoffice.State, error) {
	st := boxoffice.NewState()
	_, err := led.Read(ctx, office.Subject(eventID), 1, func(r ledger.Record) error {
		batch, err := boxoffice.DecodeBatch(r.Data)
		if err != nil {
			return fmt.Errorf("ledger seq %d: %w", r.Seq, err)
		}
		for _, t := range batch {
			if err := boxoffice.Apply(st, t.Entry, t.At); err != nil {
				return fmt.Errorf("ledger seq %d: %w", r.Seq, err)
			}
			if each != nil {
				each(st)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if st.Event == nil {
		return nil, errors.New("the ledger has no entries for the event")
	}
	return st, nil
}

// recordedOf reads the plan's quotas and every hold from a replayed state.
func recordedOf(st *boxoffice.State, p *Plan, source string) Recorded {
	rec := Recorded{Source: source, Held: make([]int, len(p.Quotas)), Holds: make(map[string]int, st.HoldCount())}
	for i, q := range p.Quotas {
		if sq := st.Quota(q.ID); sq != nil {
			rec.Held[i] = sq.Held + sq.Sold
		}
	}
	for id, h := range st.Holds() {
		if h.Status == boxoffice.Active {
			rec.Holds[id] = h.Quantity
		}
	}
	return rec
}
