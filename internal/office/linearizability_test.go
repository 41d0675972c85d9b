// Linearizability of the box office runner, checked with porcupine.
//
// TestLinearizable lets concurrent clients hold tickets, release holds, let
// time pass and look at the quotas, against the real runner (a Manager on an
// embedded JetStream ledger). It records when each call was made and when
// it returned, and asks porcupine whether the calls can be put in one
// sequential order, consistent with those times, in which every answer is
// the one quotaModel gives: the specification of quotas and holds.
//
// The default run is small: 4 events at once, each with 8 clients making 60
// operations, about a second with -race. The long run records 100 such waves
// one after the other, with 10 clients making 100 operations each (400,000
// operations, a minute or two):
//
//	go test -run 'Linearizab' -timeout 30m ./internal/office -args -linearizability.long
//	ADMIT_LONG_LINEARIZABILITY=1 go test -run 'Linearizab' -timeout 30m ./internal/office
//
// When a history is not linearizable, porcupine's visualization is written
// to the test's artifact directory; run with -artifacts to keep it.
//
// Expiry. Time is a fake clock, and "age d" is an operation: a client calls
// clk.Advance(d). The model's state includes the time the box office has
// seen; age d moves it on by d and expires every active hold due by then.
// That is sound because of how Office.run decides: a batch takes its calls
// off the queue, then reads the clock once, and before deciding any of them
// expires every hold due at that time. Order the operations so:
//   - a command at its decision, a point between its call and its return;
//   - an age just before the first batch that reads a time at or after its
//     advance. That batch read the clock after the advance, so after the
//     age was called; each batch before it read an earlier time, and took
//     its calls off the queue before that, so they began before the age
//     returned. Ages that a batch sees at once go in the fake clock's order.
//
// So when a command is decided, the model's time is its batch's: a hold
// expires at now + TTL in both, and a release finds the hold in the same
// state in both (expiring in several steps or at once ends the same).
//
// Hence no barrier after Advance: a Manager.Read there would only widen the
// age's interval, and the check would no longer catch a box office deciding
// with a time read before it waited for work (tried: it does catch it
// without). Nor does it matter whether the timer's batch or a command's
// expires the holds (the timer can lose the select to the queue): whichever
// runs first does. The one assumption is that no batch finds more than
// Config.MaxBatch holds due; here at most seven are ever active, as each
// takes a seat of the hall.

package office

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/clock"
	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/ledger"
)

var longLinearizability = flag.Bool("linearizability.long", false,
	"run TestLinearizable with many more rounds, clients and operations")

// linSize is how much history a check records: waves one after the other,
// each of concurrent rounds, each round an event with its own clients.
type linSize struct {
	waves, rounds, clients, ops int
	checkTimeout                time.Duration // porcupine's, per wave
}

func linearizabilitySize() linSize {
	if *longLinearizability || os.Getenv("ADMIT_LONG_LINEARIZABILITY") != "" {
		return linSize{waves: 100, rounds: 4, clients: 10, ops: 100, checkTimeout: 5 * time.Minute}
	}
	return linSize{waves: 1, rounds: 4, clients: 8, ops: 60, checkTimeout: time.Minute}
}

func TestLinearizable(t *testing.T) {
	size := linearizabilitySize()
	led := openJetStream(t, t.TempDir())
	t.Cleanup(func() { led.Close() }) // after the managers stop: cleanups run last first
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	model := quotaModel{venue: theVenue(), ttl: linHoldTTL}
	for wave := range size.waves {
		runners := make([]*runnerSystem, size.rounds)
		rounds := make([]*linRound, size.rounds)
		for i := range rounds {
			runners[i] = newRunnerSystem(t, led)
			rounds[i] = &linRound{index: i, sys: runners[i]}
		}
		history := record(t, rounds, size.clients, size.ops, seed+uint64(wave))
		for _, r := range runners {
			r.stop()
		}
		if t.Failed() {
			return
		}
		outcomes := tally(history)
		t.Logf("wave %d: %v", wave, outcomes)
		for _, o := range []string{"granted", "sold out", "release: released", "release: released before",
			"release: expired before", "release: not found"} {
			if outcomes[o] == 0 {
				t.Errorf("wave %d: no %q in %d operations: the history does not exercise it", wave, o, len(history))
			}
		}
		switch res := porcupine.CheckOperationsTimeout(model.porcupine(), history, size.checkTimeout); res {
		case porcupine.Ok:
		case porcupine.Unknown:
			t.Fatalf("wave %d: porcupine could not decide within %v on %d operations", wave, size.checkTimeout, len(history))
		default:
			t.Fatalf("wave %d: the history of %d operations is not linearizable:%s",
				wave, len(history), visualize(t, model, history))
		}
	}
}

// TestLinearizabilityCatchesPlantedBug runs the clients and the checker of
// TestLinearizable against systems with a bug planted, and requires porcupine
// to find each history illegal. As a control, the same in-memory system
// without the bug must pass.
func TestLinearizabilityCatchesPlantedBug(t *testing.T) {
	spec := quotaModel{venue: theVenue(), ttl: linHoldTTL}
	offByOne := spec
	offByOne.slack = 1
	for _, tc := range []struct {
		name  string
		sys   func(t *testing.T) system
		legal bool
	}{
		{"control: the specification run atomically", func(*testing.T) system { return newSpecSystem(spec) }, true},
		// A hold is granted when held + n <= capacity + 1.
		{"off-by-one capacity check", func(*testing.T) system { return newSpecSystem(offByOne) }, false},
		// The runner grants every third hold, but the caller is told it
		// is sold out.
		{"lost grants", func(t *testing.T) system {
			return &lostGrants{system: newRunnerSystem(t, ledger.NewMemory()), every: 3}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rounds := make([]*linRound, 4)
			for i := range rounds {
				rounds[i] = &linRound{index: i, sys: tc.sys(t)}
			}
			history := record(t, rounds, 8, 25, uint64(time.Now().UnixNano()))
			if t.Failed() {
				return
			}
			res := porcupine.CheckOperationsTimeout(spec.porcupine(), history, time.Minute)
			switch {
			case tc.legal && res != porcupine.Ok:
				t.Fatalf("check = %v, want ok:%s", res, visualize(t, spec, history))
			case !tc.legal && res != porcupine.Illegal:
				t.Fatalf("check = %v, want illegal: the planted bug went unnoticed in %d operations", res, len(history))
			}
		})
	}
}

// visualize writes porcupine's view of a history that is not linearizable
// and says where it is, and where each failing round gets stuck: the end of
// its longest linearization.
func visualize(t *testing.T, model quotaModel, history []porcupine.Operation) string {
	t.Helper()
	_, info := porcupine.CheckOperationsVerbose(model.porcupine(), history, time.Minute)
	var b strings.Builder
	for _, partials := range info.PartialLinearizationsOperations() {
		var longest []porcupine.Operation
		for _, ops := range partials {
			if len(ops) > len(longest) {
				longest = ops
			}
		}
		if len(longest) == 0 {
			continue
		}
		in := longest[0].Input.(linOp)
		total := 0
		for _, op := range history {
			if op.Input.(linOp).round == in.round {
				total++
			}
		}
		if len(longest) == total {
			continue
		}
		s := model.init()
		for _, op := range longest {
			_, s = model.apply(s, op.Input.(linOp))
		}
		last := longest[len(longest)-1]
		fmt.Fprintf(&b, "\nround %d: only %d of %d operations linearize, the last %q by client %d, leaving %s",
			in.round, len(longest), total, model.describeOp(last.Input.(linOp), last.Output), last.ClientId,
			model.describeState(s))
	}
	path := filepath.Join(t.ArtifactDir(), "linearizability.html")
	if err := porcupine.VisualizePath(model.porcupine(), info, path); err != nil {
		fmt.Fprintf(&b, "\ncould not write the visualization: %v", err)
	} else {
		fmt.Fprintf(&b, "\nsee %s (run with -artifacts to keep it)", path)
	}
	return b.String()
}

// Recording histories.

// system is what the clients call: one operation at a time per client,
// answered with the operation's output. An error is a failure of the
// system that the model does not cover (the test fails).
type system interface {
	do(ctx context.Context, op linOp) (output any, err error)
}

// linRound is one event's part of a history: the system selling it, and
// the holds its clients asked for, some of which they release.
type linRound struct {
	index int
	sys   system
	holds atomic.Int64 // hold numbers given out

	mu      sync.Mutex
	granted []int // hold numbers granted
}

// pick chooses a client's next operation.
func (r *linRound) pick(rng *rand.Rand) linOp {
	op := linOp{round: r.index}
	switch p := rng.IntN(100); {
	case p < 30 && r.holds.Load() > 0:
		op.kind = opRelease
		r.mu.Lock()
		if recent := r.granted[max(0, len(r.granted)-6):]; len(recent) > 0 && rng.IntN(4) > 0 {
			op.hold = recent[rng.IntN(len(recent))] // maybe released or expired since
		} else {
			op.hold = rng.IntN(int(r.holds.Load())) // maybe sold out or still being asked for
		}
		r.mu.Unlock()
	case p < 36:
		op.kind, op.age = opAge, time.Duration(20+10*rng.IntN(3))*time.Second
	case p < 50:
		op.kind = opLook
	default:
		op.kind, op.hold = opHold, int(r.holds.Add(1)-1)
		tt := rng.IntN(numTicketTypes)
		if rng.IntN(2) == 0 {
			op.items = []linItem{{tt, 1 + rng.IntN(3)}}
		} else {
			n := 1 + rng.IntN(2)
			op.items = []linItem{{tt, n}, {1 - tt, 1 + rng.IntN(3-n)}}
		}
	}
	return op
}

// record runs clients concurrently on each round, each making ops
// operations, and returns the history of all of them. Call and return
// times come from one counter, so an operation that returned before another
// was called has the smaller times.
func record(t *testing.T, rounds []*linRound, clients, ops int, seed uint64) []porcupine.Operation {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var ticks atomic.Int64
	var mu sync.Mutex
	var history []porcupine.Operation
	var wg sync.WaitGroup
	for _, r := range rounds {
		for c := range clients {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(seed, uint64(r.index*clients+c)))
				for range ops {
					op := r.pick(rng)
					call := ticks.Add(1)
					out, err := r.sys.do(ctx, op)
					ret := ticks.Add(1)
					if err != nil {
						t.Errorf("round %d, client %d: %s: %v", r.index, c, op, err)
						return
					}
					if h, ok := out.(holdResult); ok && h.outcome == holdGranted {
						r.mu.Lock()
						r.granted = append(r.granted, op.hold)
						r.mu.Unlock()
					}
					mu.Lock()
					history = append(history, porcupine.Operation{ClientId: c, Input: op, Call: call, Output: out, Return: ret})
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return history
}

// Systems under test.

// runnerSystem is the real runner: a Manager of its own with a fake clock,
// selling one event.
type runnerSystem struct {
	m     *Manager
	stop  func()
	clk   *clock.Fake
	evID  string
	ttIDs [numTicketTypes]string
}

func newRunnerSystem(t *testing.T, led Ledger) *runnerSystem {
	t.Helper()
	clk := clock.NewFake(t0)
	m, stop := startManager(t, led, clk, Config{})
	r := &runnerSystem{m: m, stop: stop, clk: clk, evID: id.New("ev", id.Short)}
	v := theVenue()
	cmds := []boxoffice.Command{&boxoffice.CreateEvent{OrganizerID: org, EventID: r.evID, Currency: "EUR",
		Details: boxoffice.EventDetails{Name: "Festival", TimeZone: "Europe/Berlin", StartsAt: t0.Add(30 * 24 * time.Hour),
			EndsAt: t0.Add(33 * 24 * time.Hour), HoldTTLSeconds: int(linHoldTTL / time.Second)}}}
	for i, name := range v.ticketTypes {
		r.ttIDs[i] = id.New("tt", id.Short)
		cmds = append(cmds, &boxoffice.CreateTicketType{OrganizerID: org, TicketTypeID: r.ttIDs[i],
			Details: boxoffice.TicketTypeDetails{Name: name, Price: boxoffice.Money{Amount: 4000, Currency: "EUR"},
				MinPerHold: 1, MaxPerHold: 3}})
	}
	for q, name := range v.quotas { // in creation order, so State.Quotas[q] is quota q
		var members []string
		for tt, in := range v.member[q] {
			if in {
				members = append(members, r.ttIDs[tt])
			}
		}
		cmds = append(cmds, &boxoffice.CreateQuota{OrganizerID: org, QuotaID: id.New("qu", id.Short),
			Details: boxoffice.QuotaDetails{Name: name, Capacity: v.capacity[q], TicketTypeIDs: members}})
	}
	cmds = append(cmds, &boxoffice.ChangeStatus{OrganizerID: org, Status: boxoffice.OnSale})
	for _, c := range cmds {
		if _, err := m.Do(t.Context(), r.evID, c, nil); err != nil {
			t.Fatalf("setup %T: %v", c, err)
		}
	}
	return r
}

// holdID is the id of hold number n: any unique id will do.
func (r *runnerSystem) holdID(n int) string {
	return id.Derived("ho", id.Long, r.evID, strconv.Itoa(n))
}

func (r *runnerSystem) do(ctx context.Context, op linOp) (any, error) {
	switch op.kind {
	case opHold:
		items := make([]boxoffice.Item, len(op.items))
		for i, it := range op.items {
			items[i] = boxoffice.Item{TicketTypeID: r.ttIDs[it.tt], Quantity: it.n}
		}
		res, err := r.m.Do(ctx, r.evID, &boxoffice.CreateHold{HoldID: r.holdID(op.hold), Items: items}, nil)
		switch {
		case err == nil:
			if len(res.Entries) == 1 {
				if h, ok := res.Entries[0].(*boxoffice.HoldCreated); ok {
					return holdResult{outcome: holdGranted, expires: h.ExpiresAt.Sub(t0)}, nil
				}
			}
			return nil, fmt.Errorf("hold granted with entries %v", res.Entries)
		case fault.Is(err, fault.SoldOut):
			out := holdResult{outcome: holdSoldOut}
			for i, l := range fault.As(err).Available {
				out.left[i] = int(l.Available)
			}
			return out, nil
		}
		return nil, err // Conflict too: hold numbers are never reused
	case opRelease:
		res, err := r.m.Do(ctx, r.evID, &boxoffice.ReleaseHold{HoldID: r.holdID(op.hold)}, nil)
		switch {
		case err == nil && res.Unchanged:
			return releasedBefore, nil
		case err == nil:
			return releasedNow, nil
		case fault.Is(err, fault.HoldExpired):
			return expiredBefore, nil
		case fault.Is(err, fault.NotFound):
			return notFound, nil
		}
		return nil, err
	case opAge:
		// No barrier: every batch that reads the clock after this expires
		// the holds due before deciding anything (see the top of the file).
		r.clk.Advance(op.age)
		return ageResult{}, nil
	case opLook:
		v, err := r.m.Read(ctx, r.evID, func(s *boxoffice.State, _ boxoffice.Decision) any {
			out := lookResult{active: s.ActiveHolds()}
			for q := range out.held {
				out.held[q] = s.Quotas[q].Held
			}
			return out
		})
		return v, err
	}
	return nil, fmt.Errorf("unknown operation %s", op)
}

// specSystem runs a model one operation at a time under a lock: with the
// specification it is linearizable by construction; with slack it is a
// box office with an off-by-one capacity check.
type specSystem struct {
	model quotaModel
	mu    sync.Mutex
	state *modelState
}

func newSpecSystem(m quotaModel) *specSystem { return &specSystem{model: m, state: m.init()} }

func (s *specSystem) do(_ context.Context, op linOp) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, next := s.model.apply(s.state, op)
	s.state = next
	return out, nil
}

// lostGrants tells the caller of every nth granted hold that it is sold
// out, while the hold stays.
type lostGrants struct {
	system
	every  int64
	grants atomic.Int64
}

func (l *lostGrants) do(ctx context.Context, op linOp) (any, error) {
	out, err := l.system.do(ctx, op)
	if h, ok := out.(holdResult); ok && h.outcome == holdGranted && l.grants.Add(1)%l.every == 0 {
		return holdResult{outcome: holdSoldOut}, err
	}
	return out, err
}

// The model.

const (
	numTicketTypes = 2
	numQuotas      = 3
	linHoldTTL     = 60 * time.Second
)

// venue is what every round sells: two ticket types and three quotas, each
// ticket type counting against the hall and one of the others, so a hold
// must fit two quotas at once. Capacities are small, so holds often find
// the event sold out.
type venue struct {
	ticketTypes [numTicketTypes]string
	quotas      [numQuotas]string
	capacity    [numQuotas]int
	member      [numQuotas][numTicketTypes]bool // member[q][tt]: ticket type tt counts against quota q
}

func theVenue() venue {
	return venue{
		ticketTypes: [...]string{"standing", "seated"},
		quotas:      [...]string{"hall", "floor", "balcony"},
		capacity:    [...]int{7, 4, 5},
		member:      [...][numTicketTypes]bool{{true, true}, {true, false}, {false, true}},
	}
}

type opKind uint8

const (
	opHold opKind = iota
	opRelease
	opAge
	opLook
)

// linOp is an operation's input. Holds are numbered per round.
type linOp struct {
	round int
	kind  opKind
	hold  int           // opHold, opRelease
	items []linItem     // opHold: one or two ticket types
	age   time.Duration // opAge
}

type linItem struct{ tt, n int }

func (op linOp) String() string {
	switch op.kind {
	case opHold:
		return fmt.Sprintf("hold h%d", op.hold)
	case opRelease:
		return fmt.Sprintf("release h%d", op.hold)
	case opAge:
		return "age " + op.age.String()
	case opLook:
		return "look"
	}
	return fmt.Sprintf("operation %d", op.kind)
}

// The outputs. They are comparable with ==.

type holdOutcome uint8

const (
	holdGranted holdOutcome = iota
	holdSoldOut
)

type holdResult struct {
	outcome holdOutcome
	expires time.Duration       // granted: when the hold expires, after t0
	left    [numTicketTypes]int // sold out: tickets left of each item's ticket type, in item order
}

type releaseResult uint8

const (
	releasedNow    releaseResult = iota
	releasedBefore               // releasing twice is the same as once
	expiredBefore
	notFound
)

type ageResult struct{}

type lookResult struct {
	held   [numQuotas]int
	active int // holds
}

type holdStatus uint8

const (
	unknown holdStatus = iota // never granted
	active
	released
	expired
)

// slot is what the model knows of one hold number.
type slot struct {
	status  holdStatus
	demand  [numQuotas]int8 // tickets the hold counts against each quota
	expires time.Duration   // after t0
}

// modelState is the state of one round. Steps never change a state; they
// return a new one, copying the holds only when they change.
type modelState struct {
	now   time.Duration // the time the box office has seen, after t0
	held  [numQuotas]int
	holds []slot // by hold number; missing ones are unknown
}

func (s *modelState) slot(n int) slot {
	if n < len(s.holds) {
		return s.holds[n]
	}
	return slot{}
}

// with returns a copy of s whose holds can take hold number n.
func (s *modelState) with(n int) *modelState {
	next := *s
	next.holds = make([]slot, max(len(s.holds), n+1))
	copy(next.holds, s.holds)
	return &next
}

func (s *modelState) equal(o *modelState) bool {
	if s.now != o.now || s.held != o.held {
		return false
	}
	for i := range max(len(s.holds), len(o.holds)) {
		if s.slot(i) != o.slot(i) {
			return false
		}
	}
	return true
}

// hash is FNV-1a over what equal compares, skipping unknown holds so that
// equal states hash the same whatever the length of their holds.
func (s *modelState) hash() uint64 {
	h := uint64(14695981039346656037)
	mix := func(v uint64) { h = (h ^ v) * 1099511628211 }
	mix(uint64(s.now))
	for _, n := range s.held {
		mix(uint64(n))
	}
	for i, sl := range s.holds {
		if sl.status != unknown {
			mix(uint64(i))
			mix(uint64(sl.status))
			mix(uint64(sl.expires))
		}
	}
	return h
}

// quotaModel is the sequential specification of a box office selling a
// venue: a hold is granted when it fits every quota its ticket types count
// against, and then counts against them until it is released or expires,
// ttl after it was granted.
type quotaModel struct {
	venue
	ttl   time.Duration
	slack int // tickets by which a quota may be oversold: 0 in the specification
}

func (m quotaModel) init() *modelState { return &modelState{} }

// available is how many tickets of ticket type tt could be held: the least
// that its quotas have left.
func (m quotaModel) available(s *modelState, tt int) int {
	n := -1
	for q := range numQuotas {
		if left := max(0, m.capacity[q]-s.held[q]); m.member[q][tt] && (n < 0 || left < n) {
			n = left
		}
	}
	return max(0, n)
}

// apply is the specification: the output op has in state s, and the state
// after it.
func (m quotaModel) apply(s *modelState, op linOp) (any, *modelState) {
	switch op.kind {
	case opHold:
		if s.slot(op.hold).status != unknown {
			panic(fmt.Sprintf("hold number %d reused", op.hold))
		}
		var demand [numQuotas]int8
		for _, it := range op.items {
			for q := range numQuotas {
				if m.member[q][it.tt] {
					demand[q] += int8(it.n)
				}
			}
		}
		for q, n := range demand {
			if n > 0 && s.held[q]+int(n) > m.capacity[q]+m.slack {
				out := holdResult{outcome: holdSoldOut}
				for i, it := range op.items {
					out.left[i] = m.available(s, it.tt)
				}
				return out, s
			}
		}
		next := s.with(op.hold)
		next.holds[op.hold] = slot{status: active, demand: demand, expires: s.now + m.ttl}
		for q, n := range demand {
			next.held[q] += int(n)
		}
		return holdResult{outcome: holdGranted, expires: s.now + m.ttl}, next
	case opRelease:
		switch s.slot(op.hold).status {
		case unknown:
			return notFound, s
		case released:
			return releasedBefore, s
		case expired:
			return expiredBefore, s
		}
		next := s.with(op.hold)
		next.end(op.hold, released)
		return releasedNow, next
	case opAge:
		next := s.with(0)
		next.now += op.age
		for i, h := range next.holds {
			if h.status == active && h.expires <= next.now {
				next.end(i, expired)
			}
		}
		return ageResult{}, next
	case opLook:
		out := lookResult{held: s.held}
		for _, h := range s.holds {
			if h.status == active {
				out.active++
			}
		}
		return out, s
	}
	panic(fmt.Sprintf("unknown operation %s", op))
}

// end ends active hold n; s must be a fresh copy.
func (s *modelState) end(n int, status holdStatus) {
	h := &s.holds[n]
	h.status = status
	for q, d := range h.demand {
		s.held[q] -= int(d)
	}
}

func (m quotaModel) porcupine() porcupine.Model {
	return porcupine.Model{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			var rounds [][]porcupine.Operation
			for _, op := range history {
				r := op.Input.(linOp).round
				for len(rounds) <= r {
					rounds = append(rounds, nil)
				}
				rounds[r] = append(rounds[r], op)
			}
			return slices.DeleteFunc(rounds, func(ops []porcupine.Operation) bool { return len(ops) == 0 })
		},
		Init: func() any { return m.init() },
		Step: func(state, input, output any) (bool, any) {
			out, next := m.apply(state.(*modelState), input.(linOp))
			return out == output, next
		},
		Equal:             func(a, b any) bool { return a.(*modelState).equal(b.(*modelState)) },
		Hash:              func(state any) uint64 { return state.(*modelState).hash() },
		DescribeOperation: func(input, output any) string { return m.describeOp(input.(linOp), output) },
		DescribeState:     func(state any) string { return m.describeState(state.(*modelState)) },
	}
}

func (m quotaModel) describeOp(op linOp, output any) string {
	var b strings.Builder
	b.WriteString(op.String())
	if op.kind == opHold {
		for i, it := range op.items {
			sep := " + "
			if i == 0 {
				sep = ": "
			}
			fmt.Fprintf(&b, "%s%d %s", sep, it.n, m.ticketTypes[it.tt])
		}
	}
	switch out := output.(type) {
	case holdResult:
		switch out.outcome {
		case holdGranted:
			fmt.Fprintf(&b, " → held until t+%v", out.expires)
		case holdSoldOut:
			b.WriteString(" → sold out, left")
			for i, it := range op.items {
				fmt.Fprintf(&b, " %d %s", out.left[i], m.ticketTypes[it.tt])
			}
		}
	case releaseResult:
		b.WriteString(" → " + [...]string{"released", "released before", "expired before", "not found"}[out])
	case lookResult:
		b.WriteString(" → held")
		for q, n := range out.held {
			fmt.Fprintf(&b, " %s %d", m.quotas[q], n)
		}
		fmt.Fprintf(&b, "; %d holds active", out.active)
	}
	return b.String()
}

func (m quotaModel) describeState(s *modelState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "t+%v; held", s.now)
	for q, n := range s.held {
		fmt.Fprintf(&b, " %s %d/%d", m.quotas[q], n, m.capacity[q])
	}
	b.WriteString("; active:")
	for i, h := range s.holds {
		if h.status == active {
			fmt.Fprintf(&b, " h%d (until t+%v)", i, h.expires)
		}
	}
	return b.String()
}

// tally counts the outcomes in a history.
func tally(history []porcupine.Operation) map[string]int {
	n := map[string]int{}
	for _, op := range history {
		in := op.Input.(linOp)
		switch out := op.Output.(type) {
		case holdResult:
			n[[...]string{"granted", "sold out"}[out.outcome]]++
		case releaseResult:
			n["release: "+[...]string{"released", "released before", "expired before", "not found"}[out]]++
		default:
			n[in.String()]++
		}
	}
	return n
}
