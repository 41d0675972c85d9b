package flags

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/open-feature/go-sdk/openfeature"

	"github.com/admit-org/admit/internal/ledger"
)

// Bucket is the NATS KV bucket of the stored flags: one key per flag,
// named as the flag, holding its Stored JSON.
const Bucket = "ADMIT_FLAGS"

// OpenBucket opens the flags' bucket on nc, creating it with replicas
// (at least 1) as the ledger's when it does not exist. It keeps 10
// revisions of each flag: what it was before is there to look at.
func OpenBucket(ctx context.Context, nc *nats.Conn, replicas int) (jetstream.KeyValue, error) {
	kv, err := ledger.OpenKV(ctx, nc, jetstream.KeyValueConfig{Bucket: Bucket,
		Description: "admit feature flags: one key per flag, its stored JSON (docs/operating.md)",
		Storage:     jetstream.FileStorage, Replicas: max(1, replicas), History: 10})
	if err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	return kv, nil
}

// Provider is an OpenFeature provider of the flags stored in the bucket
// ADMIT_FLAGS. Run keeps an in-memory copy of the bucket, fed by a watch
// of every key (updates and deletes), so that an evaluation never does
// I/O. While the bucket cannot be read — the watch broke or the store
// stopped answering — evaluations answer the flags as last loaded, with
// reason CACHED, for Config.Stale (StaleFor); then, and before the first
// load, the flag's default, with reason ERROR and error code GENERAL (or
// PROVIDER_NOT_READY before the first load); Run keeps trying to watch
// again. An unknown flag answers FLAG_NOT_FOUND and the caller's
// default. Safe for concurrent use.
type Provider struct {
	nc       *nats.Conn
	replicas int
	log      *slog.Logger
	// Probe is how often Run checks that the store answers while the
	// watch is quiet (a watch alone does not notice a lost store), and
	// Retry the longest it waits before watching again after a failure.
	probe, retry time.Duration
	stale        time.Duration

	now    atomic.Pointer[snapshot]
	events chan openfeature.Event
	loaded chan struct{} // closed on the first load
	once   sync.Once
}

// snapshot is the flags as last loaded. Never changed once published.
type snapshot struct {
	live   bool               // fed by a working watch
	first  bool               // not live because nothing was loaded yet
	why    string             // when not live: why, for the error message
	flags  map[string]*Stored // by name; only known flags with valid values
	seq    uint64             // the bucket's last revision applied
	failed time.Time          // when not live: since when
}

// Config is what NewProvider needs.
type Config struct {
	Conn     *nats.Conn   // the ledger's connection
	Replicas int          // the ledger's replicas, for creating the bucket
	Log      *slog.Logger // nil: discard
	// Probe is how often the store is checked while nothing changes
	// (default 1 s); Retry the longest wait between watches after a
	// failure (default 2 s).
	Probe, Retry time.Duration
	// Stale is how long the flags last loaded are still answered once the
	// store cannot be read (default StaleFor).
	Stale time.Duration
}

// StaleFor is how long a provider answers the flags it last loaded while
// the store cannot be read: longer than NATS takes to elect a bucket's
// leader when its server died (4 to 9 s), so that a paused event stays
// paused through it; after that, every flag answers its default.
const StaleFor = 30 * time.Second

// NewProvider returns a provider that answers defaults until Run has
// loaded the bucket.
func NewProvider(c Config) *Provider {
	p := &Provider{nc: c.Conn, replicas: c.Replicas, log: c.Log, probe: c.Probe, retry: c.Retry, stale: c.Stale,
		events: make(chan openfeature.Event, 16), loaded: make(chan struct{})}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.probe <= 0 {
		p.probe = time.Second
	}
	if p.retry <= 0 {
		p.retry = 2 * time.Second
	}
	if p.stale <= 0 {
		p.stale = StaleFor
	}
	p.now.Store(&snapshot{first: true, why: "the flags are not loaded from the store yet"})
	return p
}

var (
	_ openfeature.FeatureProvider = (*Provider)(nil)
	_ openfeature.EventHandler    = (*Provider)(nil)
)

// Run watches the bucket until ctx ends, and watches it again, after a
// wait growing up to Retry, whenever the watch breaks or the store stops
// answering. It returns nil when ctx ends.
func (p *Provider) Run(ctx context.Context) error {
	wait := p.retry / 16
	for {
		if loaded := p.watch(ctx); loaded {
			wait = p.retry / 16 // it worked for a while: try again soon
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, p.retry)
	}
}

// watch feeds the snapshot from one watch of the bucket until it breaks,
// the store stops answering, or ctx ends; then, unless ctx ended, it makes
// every evaluation answer defaults. loaded reports whether it got as far
// as loading every flag.
func (p *Provider) watch(ctx context.Context) (loaded bool) {
	var err error
	failed := false
	defer func() {
		if !failed && ctx.Err() == nil {
			p.fail(err)
		}
	}()
	octx, cancel := context.WithTimeout(ctx, p.probe+time.Second)
	kv, err := OpenBucket(octx, p.nc, p.replicas)
	cancel()
	if err != nil {
		return false
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w, err := kv.WatchAll(wctx)
	if err != nil {
		err = fmt.Errorf("flags: watch bucket %s: %w", Bucket, err)
		return false
	}
	defer w.Stop()
	loaded, err = p.feed(ctx, kv, w)
	// Before the watch stops: stopping the watch of a lost store waits for
	// the store (a request to delete its consumer).
	if ctx.Err() == nil {
		p.fail(err)
	}
	failed = true
	return loaded
}

// feed applies the watch's entries until it breaks, the store stops
// answering or ctx ends.
func (p *Provider) feed(ctx context.Context, kv jetstream.KeyValue, w jetstream.KeyWatcher) (loaded bool, err error) {
	flags := map[string]*Stored{}
	var seq uint64
	probe := time.NewTicker(p.probe)
	defer probe.Stop()
	for {
		select {
		case <-ctx.Done():
			return loaded, ctx.Err()
		case e, open := <-w.Updates():
			if !open {
				return loaded, fmt.Errorf("flags: the watch of bucket %s ended", Bucket)
			}
			if e == nil { // every flag stored is loaded
				loaded = true
				p.publish(flags, seq, openfeature.ProviderReady)
				continue
			}
			seq = max(seq, e.Revision())
			if loaded {
				flags = maps.Clone(flags) // the published map is never changed
			}
			p.apply(flags, e)
			if loaded {
				p.publish(flags, seq, openfeature.ProviderConfigChange, e.Key())
			}
		case <-probe.C:
			pctx, cancel := context.WithTimeout(ctx, p.probe)
			_, err := kv.Status(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				return loaded, fmt.Errorf("flags: bucket %s does not answer: %w", Bucket, err)
			}
		}
	}
}

// apply puts one entry of the watch into flags: a value, or a delete.
func (p *Provider) apply(flags map[string]*Stored, e jetstream.KeyValueEntry) {
	name := e.Key()
	if op := e.Operation(); op == jetstream.KeyValueDelete || op == jetstream.KeyValuePurge {
		delete(flags, name)
		return
	}
	f, ok := Lookup(name)
	if !ok {
		p.log.Warn("flags: the bucket has a flag this version does not know; ignored", "flag", name)
		delete(flags, name)
		return
	}
	s, err := Parse(f, e.Value())
	if err != nil {
		p.log.Warn("flags: a stored flag is not valid; its default applies", "flag", name, "err", err)
		delete(flags, name)
		return
	}
	flags[name] = s
}

func (p *Provider) publish(flags map[string]*Stored, seq uint64, ev openfeature.EventType, changed ...string) {
	was := p.now.Load()
	p.now.Store(&snapshot{live: true, flags: flags, seq: seq})
	if !was.live {
		p.log.Info("flags: loaded", "flags", len(flags), "revision", seq)
		ev = openfeature.ProviderReady
		p.once.Do(func() { close(p.loaded) })
	}
	p.emit(openfeature.Event{ProviderName: providerName, EventType: ev,
		ProviderEventDetails: openfeature.ProviderEventDetails{Message: "flags loaded", FlagChanges: changed}})
}

// fail makes evaluations answer the flags last loaded for stale, then
// defaults, saying why.
func (p *Provider) fail(err error) {
	why := "the flag store cannot be read"
	if err != nil {
		why += ": " + err.Error()
	}
	was := p.now.Load()
	failed := was.failed
	if was.live || failed.IsZero() {
		failed = time.Now()
	}
	p.now.Store(&snapshot{why: why, flags: was.flags, seq: was.seq, failed: failed, first: was.first})
	if was.live || was.why != why {
		p.log.Warn("flags: the store cannot be read; answering the flags last loaded, then every flag's default",
			"stale_for", p.stale.String(), "err", err)
	}
	p.emit(openfeature.Event{ProviderName: providerName, EventType: openfeature.ProviderError,
		ProviderEventDetails: openfeature.ProviderEventDetails{Message: why, ErrorCode: openfeature.GeneralCode}})
}

// emit hands an event to the SDK without ever waiting for it.
func (p *Provider) emit(e openfeature.Event) {
	select {
	case p.events <- e:
	default:
	}
}

// Loaded is closed once the flags were first loaded from the store.
func (p *Provider) Loaded() <-chan struct{} { return p.loaded }

// Live reports whether the flags come from a working watch of the store,
// and the bucket's last revision applied.
func (p *Provider) Live() (bool, uint64) {
	s := p.now.Load()
	return s.live, s.seq
}

const providerName = "admit-nats-kv"

// Metadata names the provider.
func (p *Provider) Metadata() openfeature.Metadata { return openfeature.Metadata{Name: providerName} }

// Hooks is none.
func (p *Provider) Hooks() []openfeature.Hook { return nil }

// EventChannel is where the provider tells the SDK it is ready, its
// flags changed, or it answers defaults (error).
func (p *Provider) EventChannel() <-chan openfeature.Event { return p.events }

// resolve is every evaluation: the stored value for the flag and the
// context, else the flag's default; def when the flag is unknown or of
// another kind.
func (p *Provider) resolve(flag string, kind Kind, def any, flat openfeature.FlattenedContext) (any, openfeature.ProviderResolutionDetail) {
	f, ok := Lookup(flag)
	if !ok {
		return def, openfeature.ProviderResolutionDetail{Reason: openfeature.ErrorReason,
			ResolutionError: openfeature.NewFlagNotFoundResolutionError("admit has no flag " + flag)}
	}
	if f.Kind != kind {
		return def, openfeature.ProviderResolutionDetail{Reason: openfeature.ErrorReason,
			ResolutionError: openfeature.NewTypeMismatchResolutionError("flag " + flag + " is a " + f.Kind.String())}
	}
	s := p.now.Load()
	// The store away for now: the flags as last loaded.
	cached := !s.live && s.flags != nil && time.Since(s.failed) < p.stale
	if !s.live && !cached {
		var e openfeature.ResolutionError
		if s.first {
			e = openfeature.NewProviderNotReadyResolutionError(s.why)
		} else {
			e = openfeature.NewGeneralResolutionError(s.why)
		}
		return f.Default, openfeature.ProviderResolutionDetail{Reason: openfeature.ErrorReason, ResolutionError: e, Variant: "default"}
	}
	if st := s.flags[flag]; st != nil {
		key, _ := flat[openfeature.TargetingKey].(string)
		if v, reason, variant, ok := st.evaluate(flag, key, flat); ok {
			if cached {
				reason = string(openfeature.CachedReason)
			}
			return v, openfeature.ProviderResolutionDetail{Reason: openfeature.Reason(reason), Variant: variant}
		}
	}
	if cached {
		return f.Default, openfeature.ProviderResolutionDetail{Reason: openfeature.CachedReason, Variant: "default"}
	}
	return f.Default, openfeature.ProviderResolutionDetail{Reason: reasonDefault, Variant: "default"}
}

// BooleanEvaluation evaluates a bool flag.
func (p *Provider) BooleanEvaluation(_ context.Context, flag string, def bool, flat openfeature.FlattenedContext) openfeature.BoolResolutionDetail {
	v, d := p.resolve(flag, Bool, def, flat)
	b, _ := v.(bool)
	return openfeature.BoolResolutionDetail{Value: b, ProviderResolutionDetail: d}
}

// IntEvaluation evaluates an int flag.
func (p *Provider) IntEvaluation(_ context.Context, flag string, def int64, flat openfeature.FlattenedContext) openfeature.IntResolutionDetail {
	v, d := p.resolve(flag, Int, def, flat)
	n, _ := v.(int64)
	return openfeature.IntResolutionDetail{Value: n, ProviderResolutionDetail: d}
}

// StringEvaluation: admit has no string flags.
func (p *Provider) StringEvaluation(_ context.Context, flag string, def string, _ openfeature.FlattenedContext) openfeature.StringResolutionDetail {
	return openfeature.StringResolutionDetail{Value: def, ProviderResolutionDetail: p.mismatch(flag)}
}

// FloatEvaluation: admit has no float flags.
func (p *Provider) FloatEvaluation(_ context.Context, flag string, def float64, _ openfeature.FlattenedContext) openfeature.FloatResolutionDetail {
	return openfeature.FloatResolutionDetail{Value: def, ProviderResolutionDetail: p.mismatch(flag)}
}

// ObjectEvaluation: admit has no object flags.
func (p *Provider) ObjectEvaluation(_ context.Context, flag string, def any, _ openfeature.FlattenedContext) openfeature.InterfaceResolutionDetail {
	return openfeature.InterfaceResolutionDetail{Value: def, ProviderResolutionDetail: p.mismatch(flag)}
}

func (p *Provider) mismatch(flag string) openfeature.ProviderResolutionDetail {
	f, ok := Lookup(flag)
	if !ok {
		return openfeature.ProviderResolutionDetail{Reason: openfeature.ErrorReason,
			ResolutionError: openfeature.NewFlagNotFoundResolutionError("admit has no flag " + flag)}
	}
	return openfeature.ProviderResolutionDetail{Reason: openfeature.ErrorReason,
		ResolutionError: openfeature.NewTypeMismatchResolutionError("flag " + flag + " is a " + f.Kind.String())}
}
