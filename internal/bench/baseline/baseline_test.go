package baseline

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/admit-org/admit/internal/id"
	"github.com/admit-org/admit/internal/web"
)

// storeCase opens one kind of store for a test, and checks that a closed
// store left nothing behind.
type storeCase struct {
	name string
	open func(tb testing.TB) Store // skips when the server is not reachable
	gone func(tb testing.TB, s Store)
}

func storeCases() []storeCase {
	return []storeCase{
		{name: "memory", open: func(testing.TB) Store { return NewMemory() }, gone: func(tb testing.TB, s Store) {
			tb.Helper()
			if _, err := s.Audit(context.Background()); err == nil {
				tb.Error("Audit after Close: got no error")
			}
		}},
		{name: "postgres", open: openPostgres, gone: postgresGone},
		{name: "redis", open: openRedis, gone: redisGone},
	}
}

func pgDSN() string {
	if dsn := os.Getenv("ADMIT_BENCH_PG"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func redisAddr() string {
	if addr := os.Getenv("ADMIT_BENCH_REDIS"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}

// reachableOrSkip skips the test when nothing answers at addr within a second.
func reachableOrSkip(tb testing.TB, what, addr, env string) {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		tb.Skipf("%s is not reachable at %s within 1s (set %s to point at one): %v", what, addr, env, err)
	}
	c.Close()
}

func openPostgres(tb testing.TB) Store {
	tb.Helper()
	cfg, err := pgconn.ParseConfig(pgDSN())
	if err != nil {
		tb.Fatalf("ADMIT_BENCH_PG: %v", err)
	}
	reachableOrSkip(tb, "PostgreSQL", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), "ADMIT_BENCH_PG")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := NewPostgres(ctx, pgDSN(), 0)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func postgresGone(tb testing.TB, s Store) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgDSN())
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := s.(*postgres).schema
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	if n != 0 {
		tb.Errorf("schema %s is still there after Close", schema)
	}
}

func openRedis(tb testing.TB) Store {
	tb.Helper()
	reachableOrSkip(tb, "Redis", redisAddr(), "ADMIT_BENCH_REDIS")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := NewRedis(ctx, redisAddr(), 0)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func redisGone(tb testing.TB, s Store) {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), DisableIdentity: true})
	defer rdb.Close()
	prefix := s.(*redisStore).prefix
	keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		tb.Fatal(err)
	}
	if len(keys) > 0 {
		tb.Errorf("%d keys under %s are still there after Close, such as %s", len(keys), prefix, keys[0])
	}
}

// setUp opens a store of c, sets p up, and closes it when the test ends,
// checking that it left nothing behind.
func setUp(tb testing.TB, c storeCase, p Plan) Store {
	tb.Helper()
	s := c.open(tb)
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		c.gone(tb, s)
	})
	if err := s.Setup(context.Background(), p); err != nil {
		tb.Fatalf("Setup: %v", err)
	}
	return s
}

func audit(tb testing.TB, s Store) Audit {
	tb.Helper()
	a, err := s.Audit(context.Background())
	if err != nil {
		tb.Fatalf("Audit: %v", err)
	}
	return a
}

func TestStores(t *testing.T) {
	for _, c := range storeCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Run("RaceForTheLastSeats", func(t *testing.T) { testRaceForTheLastSeats(t, c) })
			t.Run("OneWinsTheLastSeat", func(t *testing.T) { testOneWinsTheLastSeat(t, c) })
			t.Run("AllOrNothing", func(t *testing.T) { testAllOrNothing(t, c) })
			t.Run("Invalid", func(t *testing.T) { testInvalid(t, c) })
		})
	}
}

// twoQuotas is a venue of 50 floor and 50 balcony seats, with a ticket type
// for each and two for both (their quotas listed in either order, so holds
// of them would deadlock if a store took quotas in the order listed).
func twoQuotas(capacity int) Plan {
	return Plan{
		Quotas: []Quota{{ID: "q-floor", Capacity: capacity}, {ID: "q-balcony", Capacity: capacity}},
		TicketTypes: []TicketType{
			{ID: "tt-floor", QuotaIDs: []string{"q-floor"}},
			{ID: "tt-balcony", QuotaIDs: []string{"q-balcony"}},
			{ID: "tt-both", QuotaIDs: []string{"q-floor", "q-balcony"}},
			{ID: "tt-both-too", QuotaIDs: []string{"q-balcony", "q-floor"}},
		},
	}
}

// testRaceForTheLastSeats has 40 buyers hold 1–4 tickets of random ticket
// types until both quotas are sold out, then audits the store against what
// the buyers were granted.
func testRaceForTheLastSeats(t *testing.T, c storeCase) {
	const capacity, buyers = 50, 40
	p := twoQuotas(capacity)
	s := setUp(t, c, p)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var mu sync.Mutex
	granted := map[string][]Item{}
	var wg sync.WaitGroup
	for b := range buyers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(b)))
			// try holds items and reports whether it got them; on an
			// error other than sold out it stops the buyer.
			try := func(items []Item) (held, stop bool) {
				hid := id.New("ho", id.Long)
				switch err := s.Hold(ctx, hid, items, time.Hour); {
				case err == nil:
					mu.Lock()
					granted[hid] = items
					mu.Unlock()
					return true, false
				case errors.Is(err, ErrSoldOut):
					return false, false
				default:
					t.Errorf("Hold(%v): %v", items, err)
					return false, true
				}
			}
			for {
				held, stop := try(randomHold(rng, p))
				if stop {
					return
				}
				if held {
					continue
				}
				// Sold out: is there a single seat left anywhere?
				floor, stop := try([]Item{{TicketTypeID: "tt-floor", Quantity: 1}})
				if stop {
					return
				}
				balcony, stop := try([]Item{{TicketTypeID: "tt-balcony", Quantity: 1}})
				if stop || (!floor && !balcony) {
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	a := audit(t, s)
	wantHeld := map[string]int{"q-floor": 0, "q-balcony": 0}
	wantHolds := map[string]int{}
	x, _ := compile(p)
	for hid, items := range granted {
		ts, n, err := x.takes(nil, items)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			wantHeld[x.quotas[tk.q].ID] += tk.n
		}
		wantHolds[hid] = n
	}
	for q, n := range a.Held {
		if n > capacity {
			t.Errorf("quota %s: %d held of %d: oversold", q, n, capacity)
		}
	}
	if !maps.Equal(a.Held, wantHeld) {
		t.Errorf("store's counters %v; callers were granted %v", a.Held, wantHeld)
	}
	if want := map[string]int{"q-floor": capacity, "q-balcony": capacity}; !maps.Equal(wantHeld, want) {
		t.Errorf("granted %v; want everything sold, %v", wantHeld, want)
	}
	if !maps.Equal(a.Holds, wantHolds) {
		t.Errorf("store recorded %d holds, callers were granted %d; they differ", len(a.Holds), len(wantHolds))
	}
	t.Logf("%d holds sold %v", len(granted), a.Held)
}

// randomHold returns one or two distinct ticket types, 1 to 4 tickets in all.
func randomHold(rng *rand.Rand, p Plan) []Item {
	tts := p.TicketTypes
	first := rng.IntN(len(tts))
	total := 1 + rng.IntN(4)
	if total == 1 || rng.IntN(2) == 0 {
		return []Item{{TicketTypeID: tts[first].ID, Quantity: total}}
	}
	second := (first + 1 + rng.IntN(len(tts)-1)) % len(tts)
	n := 1 + rng.IntN(total-1)
	return []Item{{TicketTypeID: tts[first].ID, Quantity: n}, {TicketTypeID: tts[second].ID, Quantity: total - n}}
}

// testOneWinsTheLastSeat has 40 buyers want the one seat: exactly one gets it.
func testOneWinsTheLastSeat(t *testing.T, c storeCase) {
	s := setUp(t, c, Plan{
		Quotas:      []Quota{{ID: "q", Capacity: 1}},
		TicketTypes: []TicketType{{ID: "tt", QuotaIDs: []string{"q"}}},
	})
	const buyers = 40
	ids := make([]string, buyers)
	errs := make([]error, buyers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range buyers {
		ids[i] = id.New("ho", id.Long)
		wg.Go(func() {
			<-start
			errs[i] = s.Hold(context.Background(), ids[i], []Item{{TicketTypeID: "tt", Quantity: 1}}, time.Hour)
		})
	}
	close(start)
	wg.Wait()
	var winners []string
	for i, err := range errs {
		switch {
		case err == nil:
			winners = append(winners, ids[i])
		case !errors.Is(err, ErrSoldOut):
			t.Errorf("buyer %d: %v", i, err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d buyers got the last seat; want 1", len(winners))
	}
	a := audit(t, s)
	if want := (Audit{Held: map[string]int{"q": 1}, Holds: map[string]int{winners[0]: 1}}); !maps.Equal(a.Held, want.Held) ||
		!maps.Equal(a.Holds, want.Holds) {
		t.Errorf("audit %+v; want %+v", a, want)
	}
}

// testAllOrNothing: a hold that fits one of its quotas but not the other
// takes nothing from either.
func testAllOrNothing(t *testing.T, c storeCase) {
	// q-balcony comes first in quota order and has room; q-floor does not.
	s := setUp(t, c, Plan{
		Quotas: []Quota{{ID: "q-floor", Capacity: 1}, {ID: "q-balcony", Capacity: 5}},
		TicketTypes: []TicketType{
			{ID: "tt-both", QuotaIDs: []string{"q-floor", "q-balcony"}},
			{ID: "tt-balcony", QuotaIDs: []string{"q-balcony"}},
		},
	})
	ctx := context.Background()
	err := s.Hold(ctx, id.New("ho", id.Long), []Item{{TicketTypeID: "tt-both", Quantity: 2}}, time.Hour)
	if !errors.Is(err, ErrSoldOut) {
		t.Fatalf("2 of tt-both with 1 floor seat: got %v, want ErrSoldOut", err)
	}
	// The answer says what is left, in the same round trip.
	if so, ok := errors.AsType[*SoldOutError](err); !ok || !slices.Equal(so.Left, []Left{{TicketTypeID: "tt-both", Available: 1}}) {
		t.Errorf("2 of tt-both with 1 floor seat: %#v; want a *SoldOutError saying 1 of tt-both is left", err)
	}
	// Two items of ticket types sharing a quota add up: 1 + 4 = 5 balcony seats fit, 1 + 5 do not.
	err = s.Hold(ctx, id.New("ho", id.Long), []Item{{TicketTypeID: "tt-both", Quantity: 1},
		{TicketTypeID: "tt-balcony", Quantity: 5}}, time.Hour)
	if !errors.Is(err, ErrSoldOut) {
		t.Fatalf("6 balcony seats of 5: got %v, want ErrSoldOut", err)
	}
	if so, ok := errors.AsType[*SoldOutError](err); !ok || !slices.Contains(so.Left, Left{TicketTypeID: "tt-balcony", Available: 5}) {
		t.Errorf("6 balcony seats of 5: %#v; want a *SoldOutError saying 5 of tt-balcony are left", err)
	}
	av, err := s.Available(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []TypeAvailability{{ID: "tt-both", Available: 1, Capacity: 1}, {ID: "tt-balcony", Available: 5, Capacity: 5}}; !slices.Equal(av.TicketTypes, want) {
		t.Errorf("available %+v; want %+v", av.TicketTypes, want)
	}
	a := audit(t, s)
	if want := map[string]int{"q-floor": 0, "q-balcony": 0}; !maps.Equal(a.Held, want) || len(a.Holds) != 0 {
		t.Fatalf("after refused holds: audit %+v; want %v held and no holds", a, want)
	}
	hid := id.New("ho", id.Long)
	if err := s.Hold(ctx, hid, []Item{{TicketTypeID: "tt-both", Quantity: 1}, {TicketTypeID: "tt-balcony", Quantity: 4}}, time.Hour); err != nil {
		t.Fatalf("5 balcony seats of 5, 1 floor seat of 1: %v", err)
	}
	a = audit(t, s)
	if want := map[string]int{"q-floor": 1, "q-balcony": 5}; !maps.Equal(a.Held, want) || !maps.Equal(a.Holds, map[string]int{hid: 5}) {
		t.Errorf("audit %+v; want %v held, and hold %s of 5", a, want, hid)
	}
	if av, err = s.Available(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []QuotaAvailability{{ID: "q-balcony", Available: 0, Capacity: 5}, {ID: "q-floor", Available: 0, Capacity: 1}}; !slices.Equal(av.Quotas, want) {
		t.Errorf("available %+v; want %+v", av.Quotas, want)
	}
}

func testInvalid(t *testing.T, c storeCase) {
	s := setUp(t, c, twoQuotas(10))
	ctx := context.Background()
	hid := id.New("ho", id.Long)
	if err := s.Hold(ctx, hid, []Item{{TicketTypeID: "tt-floor", Quantity: 1}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		holdID string
		items  []Item
	}{
		{"no items", id.New("ho", id.Long), nil},
		{"unknown ticket type", id.New("ho", id.Long), []Item{{TicketTypeID: "tt-floor", Quantity: 1}, {TicketTypeID: "tt-nope", Quantity: 1}}},
		{"quantity 0", id.New("ho", id.Long), []Item{{TicketTypeID: "tt-floor", Quantity: 0}}},
		{"quantity -1", id.New("ho", id.Long), []Item{{TicketTypeID: "tt-floor", Quantity: 2}, {TicketTypeID: "tt-both", Quantity: -1}}},
		{"hold id used", hid, []Item{{TicketTypeID: "tt-balcony", Quantity: 1}}},
	} {
		if err := s.Hold(ctx, tc.holdID, tc.items, time.Hour); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", tc.name, err)
		}
	}
	a := audit(t, s)
	if want := map[string]int{"q-floor": 1, "q-balcony": 0}; !maps.Equal(a.Held, want) || !maps.Equal(a.Holds, map[string]int{hid: 1}) {
		t.Errorf("after invalid holds: audit %+v; want %v and only hold %s", a, want, hid)
	}
}

func TestCompileRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		plan Plan
		want string
	}{
		{"quota twice", Plan{Quotas: []Quota{{ID: "q", Capacity: 1}, {ID: "q", Capacity: 2}}}, `quota "q" is listed twice`},
		{"negative capacity", Plan{Quotas: []Quota{{ID: "q", Capacity: -1}}}, "negative capacity"},
		{"no quota", Plan{Quotas: []Quota{{ID: "q", Capacity: 1}}, TicketTypes: []TicketType{{ID: "tt"}}}, "counts against no quota"},
		{"unknown quota", Plan{Quotas: []Quota{{ID: "q", Capacity: 1}},
			TicketTypes: []TicketType{{ID: "tt", QuotaIDs: []string{"q", "r"}}}}, `unknown quota "r"`},
		{"ticket type twice", Plan{Quotas: []Quota{{ID: "q", Capacity: 1}},
			TicketTypes: []TicketType{{ID: "tt", QuotaIDs: []string{"q"}}, {ID: "tt", QuotaIDs: []string{"q"}}}}, `ticket type "tt" is listed twice`},
	} {
		_, err := compile(tc.plan)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// failing is a store whose holds fail as if its server were down.
type failing struct{ Store }

func (failing) Hold(context.Context, string, []Item, time.Duration) error {
	return errors.New("connection refused")
}

const holdsPath = "/api/v1/public/events/ev_1/holds"

func post(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, holdsPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// checkProblem checks that w is the problem of code with status.
func checkProblem(t *testing.T, w *httptest.ResponseRecorder, status int, code string) problem {
	t.Helper()
	if w.Code != status {
		t.Errorf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	if p.Code != code || p.Status != status || p.Type != web.ProblemBase+code || p.Title == "" {
		t.Errorf("problem %+v; want code %q, status %d", p, code, status)
	}
	return p
}

func TestHandlerHolds(t *testing.T) {
	s := NewMemory()
	if err := s.Setup(context.Background(), Plan{
		Quotas:      []Quota{{ID: "q", Capacity: 3}},
		TicketTypes: []TicketType{{ID: "tt_1", QuotaIDs: []string{"q"}}},
	}); err != nil {
		t.Fatal(err)
	}
	const ttl = 10 * time.Minute
	h := Handler(s, ttl)

	before := time.Now()
	w := post(t, h, `{"items":[{"ticket_type_id":"tt_1","quantity":2}]}`)
	if w.Code != http.StatusCreated || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q; want 201 application/json; body %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var got struct {
		ID        string `json:"id"`
		EventID   string `json:"event_id"`
		Items     []Item `json:"items"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !id.Valid(got.ID, "ho", id.Long) {
		t.Errorf("id %q is not a hold id", got.ID)
	}
	if loc, want := w.Header().Get("Location"), holdsPath+"/"+got.ID; loc != want {
		t.Errorf("Location %q, want %q", loc, want)
	}
	if got.EventID != "ev_1" || len(got.Items) != 1 || got.Items[0] != (Item{TicketTypeID: "tt_1", Quantity: 2}) {
		t.Errorf("hold %+v; want event ev_1 and 2 of tt_1", got)
	}
	exp, err := time.Parse(time.RFC3339, got.ExpiresAt)
	if err != nil {
		t.Errorf("expires_at: %v", err)
	} else if exp.Before(before.Add(ttl).Add(-time.Second)) || exp.After(time.Now().Add(ttl).Add(time.Second)) {
		t.Errorf("expires_at %s; want about now + %s", exp, ttl)
	}
	if a := audit(t, s); !maps.Equal(a.Holds, map[string]int{got.ID: 2}) {
		t.Errorf("store recorded %v; want only %s of 2", a.Holds, got.ID)
	}

	// Two of the one seat left: sold out, exactly as admit says it.
	w = post(t, h, `{"items":[{"ticket_type_id":"tt_1","quantity":2}]}`)
	checkProblem(t, w, http.StatusConflict, "sold-out")
	var raw map[string]any
	json.Unmarshal(w.Body.Bytes(), &raw)
	for k, want := range map[string]any{"type": "https://github.com/admit-org/admit/blob/main/docs/problems.md#sold-out",
		"title": "Not enough tickets left", "status": 409.0, "code": "sold-out"} {
		if raw[k] != want {
			t.Errorf("sold-out problem: %s = %v, want %v", k, raw[k], want)
		}
	}
	if !strings.Contains(w.Body.String(), `"available":[{"ticket_type_id":"tt_1","available":1}]`) {
		t.Errorf("sold-out problem %s: want admit's available member, 1 of tt_1 left", w.Body)
	}
	// The availability admit answers, from the store.
	r := httptest.NewRequest(http.MethodGet, "/api/v1/public/events/ev_1/availability", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if want := `{"event_id":"ev_1","status":"on_sale","ticket_types":[{"ticket_type_id":"tt_1","available":1,"state":"on_sale"}],` +
		`"quotas":[{"quota_id":"q","available":1}]}`; w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != want {
		t.Errorf("availability: %d %s; want 200 %s", w.Code, w.Body, want)
	}

	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"not JSON", `{"items":[`, 400, "malformed-request"},
		{"two objects", `{"items":[]} {}`, 400, "malformed-request"},
		{"unknown field", `{"items":[{"ticket_type_id":"tt_1","quantity":1}],"x":1}`, 400, "malformed-request"},
		{"quantity not a number", `{"items":[{"ticket_type_id":"tt_1","quantity":"1"}]}`, 400, "malformed-request"},
		{"no items field", `{}`, 422, "validation"},
		{"empty items", `{"items":[]}`, 422, "validation"},
		{"unknown ticket type", `{"items":[{"ticket_type_id":"tt_2","quantity":1}]}`, 422, "validation"},
		{"quantity 0", `{"items":[{"ticket_type_id":"tt_1","quantity":0}]}`, 422, "validation"},
		{"quantity 101", `{"items":[{"ticket_type_id":"tt_1","quantity":101}]}`, 422, "validation"},
		{"no quantity", `{"items":[{"ticket_type_id":"tt_1"}]}`, 422, "validation"},
		{"listed twice", `{"items":[{"ticket_type_id":"tt_1","quantity":1},{"ticket_type_id":"tt_1","quantity":1}]}`, 422, "validation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkProblem(t, post(t, h, tc.body), tc.status, tc.code)
		})
	}
	if a := audit(t, s); a.Held["q"] != 2 {
		t.Errorf("after refused requests: %d held, want 2", a.Held["q"])
	}

	t.Run("not JSON content type", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, holdsPath, strings.NewReader(`{"items":[{"ticket_type_id":"tt_1","quantity":1}]}`))
		r.Header.Set("Content-Type", "text/plain")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		checkProblem(t, w, http.StatusUnsupportedMediaType, "unsupported-media-type")
	})
	t.Run("method", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, holdsPath, nil))
		checkProblem(t, w, http.StatusMethodNotAllowed, "method-not-allowed")
		if allow := w.Header().Get("Allow"); allow != "POST" {
			t.Errorf("Allow %q, want POST", allow)
		}
	})
	t.Run("path", func(t *testing.T) {
		for _, path := range []string{"/", "/api/v1/public/events/ev_1", holdsPath + "/ho_1", "/api/v1/public/events/ev_1/holdings"} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{}`)))
			checkProblem(t, w, http.StatusNotFound, "not-found")
		}
	})
	t.Run("store down", func(t *testing.T) {
		w := post(t, Handler(failing{s}, ttl), `{"items":[{"ticket_type_id":"tt_1","quantity":1}]}`)
		p := checkProblem(t, w, http.StatusServiceUnavailable, "unavailable")
		if ra := w.Header().Get("Retry-After"); ra != "1" || p.RetryAfter != 1 {
			t.Errorf("Retry-After %q, retry_after_seconds %d; want 1", ra, p.RetryAfter)
		}
	})
}

// BenchmarkStore has about 1000 buyers hold one ticket each from a quota
// that never sells out, straight on the store (no HTTP).
func BenchmarkStore(b *testing.B) {
	for _, c := range storeCases() {
		b.Run(c.name, func(b *testing.B) {
			s := setUp(b, c, Plan{
				Quotas:      []Quota{{ID: "q", Capacity: 1 << 40}},
				TicketTypes: []TicketType{{ID: "tt", QuotaIDs: []string{"q"}}},
			})
			items := []Item{{TicketTypeID: "tt", Quantity: 1}}
			ctx := context.Background()
			b.SetParallelism(max(1, 1000/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.Hold(ctx, id.New("ho", id.Long), items, time.Hour); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "holds/s")
		})
	}
}
