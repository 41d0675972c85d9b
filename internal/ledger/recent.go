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
// max(1024, 4×limit) messages at most (recentScan), and reads their
// headers only. The window ends at the
// last message, not now: after a long outage, the subjects busy when the
// ledger was last written are still the recent ones.
func (l *JetStream) Recent(ctx context.Context, filter string, window time.Duration, limit int) ([]string, error) {
	filter = normFilter(filter)
	if err := checkFilter(filter); err != nil {
		return nil, fmt.Errorf("ledger: recent %q: %w", filter, err)
	}
	info, err := l.stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger: recent %s: %w", filter, err)
	}
	end := info.State.LastSeq
	if end == 0 || limit <= 0 {
		return nil, nil
	}
	since := info.State.LastTime.Add(-window)
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}, HeadersOnly: true,
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since}
	if scan := recentScan(limit); end > scan {
		// Start no earlier than the last scan messages; older ones in the
		// window are skipped by their time below.
		cfg.DeliverPolicy, cfg.OptStartTime, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, nil, end-scan+1
	}
	cons, err := l.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("ledger: recent %s: consumer: %w", filter, err)
	}
	defer l.deleteConsumer(ctx, cons)
	last := make(map[string]uint64) // subject → its last sequence seen
	if info := cons.CachedInfo(); info == nil || info.NumPending > 0 {
		it, err := cons.Messages(jetstream.PullMaxBytes(pullBufferBytes))
		if err != nil {
			return nil, fmt.Errorf("ledger: recent %s: %w", filter, err)
		}
		defer it.Stop()
		stop := context.AfterFunc(ctx, it.Stop)
		defer stop()
		for {
			msg, err := it.Next(jetstream.NextContext(ctx))
			if err != nil {
				return nil, fmt.Errorf("ledger: recent %s: %w", filter, err)
			}
			md, err := msg.Metadata()
			if err != nil {
				return nil, fmt.Errorf("ledger: recent %s: %w", filter, err)
			}
			if md.Sequence.Stream > end {
				break
			}
			if !md.Timestamp.Before(since) {
				last[msg.Subject()] = md.Sequence.Stream
			}
			if md.Sequence.Stream == end || md.NumPending == 0 {
				break
			}
		}
	}
	return newestFirst(last, limit), nil
}

// Recent is JetStream.Recent's counterpart, looking at every record.
func (l *Memory) Recent(ctx context.Context, filter string, window time.Duration, limit int) ([]string, error) {
	filter = normFilter(filter)
	if err := checkFilter(filter); err != nil {
		return nil, fmt.Errorf("ledger: recent %q: %w", filter, err)
	}
	l.mu.Lock()
	recs := l.records
	l.mu.Unlock()
	if len(recs) == 0 || limit <= 0 {
		return nil, nil
	}
	since := recs[len(recs)-1].Time.Add(-window)
	last := make(map[string]uint64)
	for i := max(0, len(recs)-int(recentScan(limit))); i < len(recs); i++ {
		if subjectMatches(filter, recs[i].Subject) && !recs[i].Time.Before(since) {
			last[recs[i].Subject] = recs[i].Seq
		}
	}
	return newestFirst(last, limit), nil
}

// newestFirst returns the subjects of last, by their sequence, highest
// first, at most limit of them.
func newestFirst(last map[string]uint64, limit int) []string {
	subjects := make([]string, 0, len(last))
	for s := range last {
		subjects = append(subjects, s)
	}
	slices.SortFunc(subjects, func(a, b string) int { return cmp.Compare(last[b], last[a]) })
	return subjects[:min(limit, len(subjects))]
}
