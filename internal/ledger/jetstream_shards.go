package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// shardStream is the stream of one shard.
type shardStream struct {
	k      int
	name   string // LEDGER, LEDGER_<k>
	stream jetstream.Stream
}

// known returns the shards' streams this node knows, index k for shard k.
func (l *JetStream) known() []*shardStream { return *l.shards.Load() }

// grownChan is closed when the known shards next grow.
func (l *JetStream) grownChan() <-chan struct{} {
	l.shardMu.Lock()
	defer l.shardMu.Unlock()
	return l.grown
}

// Shards returns how many shards' streams this node knows: the configured
// count, or more when streams of further shards exist.
func (l *JetStream) Shards() int { return len(l.known()) }

// shardFor returns the stream of shard k, opening the streams of shard k
// and those below it that this node does not know yet; with create, it
// creates those that do not exist (with LEDGER's replicas), otherwise it
// returns nil for a shard whose stream does not exist. The fast path, a
// known shard, takes no lock.
func (l *JetStream) shardFor(ctx context.Context, k int, create bool) (*shardStream, error) {
	if shards := l.known(); k < len(shards) {
		return shards[k], nil
	}
	if k >= MaxShards {
		return nil, fmt.Errorf("shard %d is beyond %d", k, MaxShards-1)
	}
	l.shardMu.Lock()
	defer l.shardMu.Unlock()
	shards := l.known()
	if k < len(shards) {
		return shards[k], nil
	}
	grown := append([]*shardStream(nil), shards...)
	for i := len(shards); i <= k; i++ {
		sh, err := l.openShard(ctx, i, create)
		if err != nil || sh == nil {
			l.publish(grown, len(shards))
			return nil, err
		}
		grown = append(grown, sh)
	}
	l.publish(grown, len(shards))
	return grown[k], nil
}

// publish makes grown the known shards if it has more than had; shardMu
// is held.
func (l *JetStream) publish(grown []*shardStream, had int) {
	if len(grown) == had {
		return
	}
	l.shards.Store(&grown)
	close(l.grown)
	l.grown = make(chan struct{})
}

// openShard finds the stream of shard k ≥ 1, or creates it with create,
// and checks it as Open checks LEDGER. Without create, a stream that does
// not exist gives nil, nil.
func (l *JetStream) openShard(ctx context.Context, k int, create bool) (*shardStream, error) {
	name := streamOf(k)
	s, err := l.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if !create {
			return nil, nil
		}
		s, err = l.js.CreateStream(ctx, streamConfig(k, l.replicas))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = l.js.Stream(ctx, name) // another node created it meanwhile
		}
		if err == nil {
			l.log.Info("ledger: created a shard's stream", "stream", name, "replicas", l.replicas)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: open stream %s: %w", name, err)
	}
	cfg := s.CachedInfo().Config
	if err := checkStreamConfig(k, &cfg); err != nil {
		return nil, err
	}
	if err := l.checkDurability(name, &cfg, l.embedded, l.unsafeOK); err != nil {
		return nil, err
	}
	return &shardStream{k: k, name: name, stream: s}, nil
}

// listEvery is how often, at most, discover lists the streams: Last is
// asked on every /readyz and every scrape.
const listEvery = time.Second

// discover opens the streams of shards beyond the known ones that exist
// (created by another node, or before a lower count was configured). It
// lists the streams at most once every listEvery, and on the embedded
// server only once: no other process writes its ledger.
func (l *JetStream) discover(ctx context.Context) error {
	if last := l.discovered.Load(); last != 0 && (l.embedded || time.Since(time.Unix(0, last)) < listEvery) {
		return nil
	}
	names := l.js.StreamNames(ctx)
	top := -1
	for name := range names.Name() {
		rest, ok := strings.CutPrefix(name, streamName+"_")
		if !ok {
			continue
		}
		if k, err := strconv.Atoi(rest); err == nil && k > top && k < MaxShards && rest == strconv.Itoa(k) {
			top = k
		}
	}
	if err := names.Err(); err != nil {
		return fmt.Errorf("ledger: list streams: %w", err)
	}
	l.discovered.Store(time.Now().UnixNano())
	if top < len(l.known()) {
		return nil
	}
	_, err := l.shardFor(ctx, top, false)
	return err
}

// BalanceLeaders spreads the leaders of the shards' streams over the NATS
// servers that host them (URL mode; a no-op with one shard or an embedded
// server). JetStream places each stream's leader by itself and often puts
// several on one server, which would then take those shards' writes
// alone. The wanted layout is the same on every node: the servers hosting
// any shard, sorted by name, and shard k's leader the k-th of them (round
// robin), if it hosts shard k. Nothing moves while no server leads more
// shards than its share (shards ÷ servers, rounded up). A shard whose
// leader moves has none for a moment (an election, milliseconds); appends
// meanwhile are retried (see Append). Open calls it; errors are only
// logged there.
func (l *JetStream) BalanceLeaders(ctx context.Context) error {
	shards := l.known()
	if l.embedded || len(shards) < 2 {
		return nil
	}
	leaders := make([]string, len(shards))
	hosts := make([]map[string]bool, len(shards)) // the servers that could lead shard k now: online and current
	servers := make(map[string]bool)              // every server hosting a shard, up or not
	leads := make(map[string]int)
	for k, sh := range shards {
		info, err := sh.stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("ledger: balance leaders: %w", err)
		}
		if info.Cluster == nil || info.Cluster.Leader == "" {
			return fmt.Errorf("ledger: balance leaders: stream %s has no leader", sh.name)
		}
		leaders[k] = info.Cluster.Leader
		hosts[k] = map[string]bool{info.Cluster.Leader: true}
		servers[info.Cluster.Leader] = true
		for _, p := range info.Cluster.Replicas {
			// A server that is down, or back but still catching up,
			// keeps its place in the layout: its shard waits for it
			// (the next round moves it) instead of the layout shrinking
			// around it and calling two leaders on one server its share.
			servers[p.Name] = true
			if !p.Offline && p.Current {
				hosts[k][p.Name] = true
			}
		}
		leads[leaders[k]]++
	}
	share := (len(shards) + len(servers) - 1) / len(servers)
	balanced := true
	for _, n := range leads {
		balanced = balanced && n <= share
	}
	if balanced {
		return nil
	}
	names := slices.Sorted(maps.Keys(servers))
	for k, sh := range shards {
		want := names[k%len(names)]
		if leaders[k] == want || !hosts[k][want] {
			continue
		}
		if err := l.stepDown(ctx, sh.name, want); err != nil {
			return err
		}
		l.log.Info("ledger: moved a shard's leader", "stream", sh.name, "from", leaders[k], "to", want)
	}
	return nil
}

// stepDown asks the leader of a stream to hand over to the server named
// preferred.
func (l *JetStream) stepDown(ctx context.Context, stream, preferred string) error {
	body, err := json.Marshal(map[string]any{"placement": map[string]string{"preferred": preferred}})
	if err != nil {
		return err
	}
	msg, err := l.nc.RequestWithContext(ctx, "$JS.API.STREAM.LEADER.STEPDOWN."+stream, body)
	if err != nil {
		return fmt.Errorf("ledger: step down the leader of %s: %w", stream, err)
	}
	var resp struct {
		Success bool `json:"success"`
		Error   *struct {
			Code        int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return fmt.Errorf("ledger: step down the leader of %s: %w", stream, err)
	}
	if !resp.Success {
		if resp.Error != nil {
			return fmt.Errorf("ledger: step down the leader of %s: %s (%d)", stream, resp.Error.Description, resp.Error.Code)
		}
		return fmt.Errorf("ledger: step down the leader of %s: refused", stream)
	}
	return nil
}
