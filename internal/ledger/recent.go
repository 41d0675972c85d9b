package ledger

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// recentScan is how many of the ledger's last messages Recent looks at for
// a limit of subjects: enough for each of them to show up several times,
// few enough that a restart after an on-sale, whose messages are large (a
// batch of hundreds of holds each), reads tens of megabytes of them, not
// the whole sale. The subjects busy at the end are the ones it finds.
func recentScan(limit int) uint64 { return uint64(max(1024, 4*limit)) }

// Recent returns the distinct subjects matching filter that got a message
// within window before the ledger's last message, the most recently
// written first, at most limit of them. It looks at the last
// max(1024, 4×limit) messages of each shard at most (recentScan), and
// reads their headers only. The window ends at the last message of any
// shard, not now: after a long outage, the subjects busy when the ledger
// was last written are still the recent ones.
func (l *JetStream) Recent(ctx context.Context, filter string, window time.Duration, limit int) ([]string, error) {
	filter = normFilter(filter)
	if err := checkFilter(filter); err != nil {
		return nil, fmt.Errorf("ledger: recent %q: %w", filter, err)
	}
	if err := l.discover(ctx); err != nil {
		return nil, fmt.Errorf("ledger: recent %s: %w", filter, err)
	}
	shards := l.known()
	states := make([]jetstream.StreamState, len(shards))
	var end time.Time
	for k, sh := range shards {
		info, err := sh.stream.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("ledger: recent %s: %w", filter, err)
		}
		states[k] = info.State
		if info.State.LastSeq > 0 && info.State.LastTime.After(end) {
			end = info.State.LastTime
		}
	}
	if end.IsZero() || limit <= 0 {
		return nil, nil
	}
	since := end.Add(-window)
	last := make(map[string]mark) // subject → its last message seen
	for k, sh := range shards {
		if states[k].LastSeq == 0 || states[k].LastTime.Before(since) {
			continue
		}
		if err := l.recentShard(ctx, sh, filter, states[k].LastSeq, since, limit, last); err != nil {
			return nil, err
		}
	}
	return newestFirst(last, limit), nil
}

// recentShard is Recent on one shard whose last sequence is end.
func (l *JetStream) recentShard(ctx context.Context, sh *shardStream, filter string, end uint64, since time.Time, limit int, last map[string]mark) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{physical(sh.k, filter)}, HeadersOnly: true,
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since}
	if scan := recentScan(limit); end > scan {
		// Start no earlier than the last scan messages; older ones in the
		// window are skipped by their time below.
		cfg.DeliverPolicy, cfg.OptStartTime, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, nil, end-scan+1
	}
	cons, err := sh.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("ledger: recent %s: consumer: %w", filter, err)
	}
	defer l.deleteConsumer(ctx, sh, cons)
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		return nil
	}
	it, err := cons.Messages(jetstream.PullMaxBytes(pullBufferBytes))
	if err != nil {
		return fmt.Errorf("ledger: recent %s: %w", filter, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return fmt.Errorf("ledger: recent %s: %w", filter, err)
		}
		md, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("ledger: recent %s: %w", filter, err)
		}
		if md.Sequence.Stream > end {
			return nil
		}
		if !md.Timestamp.Before(since) {
			last[logical(sh.k, msg.Subject())] = mark{md.Timestamp, Pos(sh.k, md.Sequence.Stream)}
		}
		if md.Sequence.Stream == end || md.NumPending == 0 {
			return nil
		}
	}
}

// Recent is JetStream.Recent's counterpart, looking at every record.
func (l *Memory) Recent(ctx context.Context, filter string, window time.Duration, limit int) ([]string, error) {
	filter = normFilter(filter)
	if err := checkFilter(filter); err != nil {
		return nil, fmt.Errorf("ledger: recent %q: %w", filter, err)
	}
	l.mu.Lock()
	shards := slices.Clone(l.shards)
	l.mu.Unlock()
	var end time.Time
	for _, recs := range shards {
		if n := len(recs); n > 0 && recs[n-1].Time.After(end) {
			end = recs[n-1].Time
		}
	}
	if end.IsZero() || limit <= 0 {
		return nil, nil
	}
	since := end.Add(-window)
	last := make(map[string]mark)
	for _, recs := range shards {
		for i := max(0, len(recs)-int(recentScan(limit))); i < len(recs); i++ {
			if subjectMatches(filter, recs[i].Subject) && !recs[i].Time.Before(since) {
				last[recs[i].Subject] = mark{recs[i].Time, recs[i].Seq}
			}
		}
	}
	return newestFirst(last, limit), nil
}

// mark is when, and at which position, a subject last got a message.
type mark struct {
	time time.Time
	pos  uint64
}

// newestFirst returns the subjects of last, by their time, then position,
// highest first, at most limit of them.
func newestFirst(last map[string]mark, limit int) []string {
	subjects := make([]string, 0, len(last))
	for s := range last {
		subjects = append(subjects, s)
	}
	slices.SortFunc(subjects, func(a, b string) int {
		if c := last[b].time.Compare(last[a].time); c != 0 {
			return c
		}
		return cmp.Compare(last[b].pos, last[a].pos)
	})
	return subjects[:min(limit, len(subjects))]
}
