package ledger

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Memory is a ledger in memory with the semantics of JetStream: sequences
// from 1, per-subject fencing with ErrFenced, the same subject, header and
// size rules, Follow waiting for new appends. It keeps copies of what it is
// given and hands out copies, so callers may reuse their buffers. Safe for
// concurrent use; the zero value is not usable, call NewMemory.
//
// Locking: mu guards every field below it. It is never held while calling a
// caller's function.
type Memory struct {
	mu        sync.Mutex
	shards    [][]Record        // shards[k][i].Seq == Pos(k, i+1); elements are never changed once appended
	last      map[string]uint64 // last position per subject
	appended  chan struct{}     // closed (and replaced) on every append
	snapshots map[string][]byte
}

// NewMemory returns an empty in-memory ledger.
func NewMemory() *Memory {
	return &Memory{
		shards:    make([][]Record, 1),
		last:      make(map[string]uint64),
		appended:  make(chan struct{}),
		snapshots: make(map[string][]byte),
	}
}

// Append stores m on its subject if the subject's last sequence is
// expectLastSubjectSeq (0: the subject has no message yet) and returns the
// new record's sequence. A stale expectation gives an error wrapping
// ErrFenced; a message over MaxMessageSize one wrapping ErrTooLarge.
func (l *Memory) Append(ctx context.Context, m Message, expectLastSubjectSeq uint64) (uint64, error) {
	if err := checkMessage(&m, MaxMessageSize); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("ledger: append %s: %w", m.Subject, err)
	}
	rec := Record{
		Subject: m.Subject,
		Header:  copyHeader(m.Header),
		Data:    append([]byte(nil), m.Data...),
		Time:    time.Now(),
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if got := l.last[m.Subject]; PosSeq(got) != PosSeq(expectLastSubjectSeq) {
		return 0, fmt.Errorf("ledger: append %s: last sequence is %d, not %d: %w", m.Subject, got, expectLastSubjectSeq, ErrFenced)
	}
	k := SubjectShard(m.Subject)
	for len(l.shards) <= k {
		l.shards = append(l.shards, nil)
	}
	rec.Seq = Pos(k, uint64(len(l.shards[k]))+1)
	l.shards[k] = append(l.shards[k], rec)
	l.last[m.Subject] = rec.Seq
	close(l.appended)
	l.appended = make(chan struct{})
	return rec.Seq, nil
}

// LastSubjectSeq returns the sequence of the last message on subject, 0 if
// it has none.
func (l *Memory) LastSubjectSeq(ctx context.Context, subject string) (uint64, error) {
	if err := checkSubject(subject); err != nil {
		return 0, fmt.Errorf("ledger: last sequence of %q: %w", subject, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last[subject], nil
}

// Last returns the last sequence of every shard.
func (l *Memory) Last(ctx context.Context) (Vector, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := make(Vector, len(l.shards))
	for k, recs := range l.shards {
		v[k] = uint64(len(recs))
	}
	return v, nil
}

// Read calls fn, in order, for each record on a subject matching filter
// with a position from from on (0 and 1 both mean the start), up to the
// last record that existed when Read was called. A subject's records are
// those of its shard (from's shard is ignored); a wildcard reads shard
// after shard, so from skips the shards before its own. It returns the
// position of the last record for which fn returned nil (0 if none), and
// fn's error as is if fn fails; if ctx ends first, an error wrapping
// ctx.Err().
func (l *Memory) Read(ctx context.Context, filter string, from uint64, fn func(Record) error) (uint64, error) {
	filter = normFilter(filter)
	if err := checkFilter(filter); err != nil {
		return 0, fmt.Errorf("ledger: read %q: %w", filter, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("ledger: read %s: %w", filter, err)
	}
	l.mu.Lock()
	shards := slices.Clone(l.shards) // appends never change the elements of these slices
	l.mu.Unlock()

	var last uint64
	for k, recs := range shards {
		start := uint64(1)
		if literal(filter) {
			if k != SubjectShard(filter) {
				continue
			}
			start = max(PosSeq(from), 1)
		} else if k < PosShard(from) {
			continue
		} else if k == PosShard(from) {
			start = max(PosSeq(from), 1)
		}
		for i := int(start) - 1; i < len(recs); i++ {
			if !subjectMatches(filter, recs[i].Subject) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return last, fmt.Errorf("ledger: read %s: %w", filter, err)
			}
			if err := fn(copyRecord(&recs[i])); err != nil {
				if ctxDone(ctx, err) {
					return last, fmt.Errorf("ledger: read %s: %w", filter, err)
				}
				return last, err
			}
			last = recs[i].Seq
		}
	}
	return last, nil
}

// Follow calls fn for every record after the vector after (each shard's
// records in order, shards interleaved as they come), waiting for new
// appends, until ctx is done. It returns nil when ctx is done (also when fn
// then fails with ctx's error), or fn's error as is.
func (l *Memory) Follow(ctx context.Context, after Vector, fn func(Record) error) error {
	next := after.Clone()
	for {
		l.mu.Lock()
		shards, appended := slices.Clone(l.shards), l.appended
		l.mu.Unlock()

		for k, recs := range shards {
			for i := next.Seq(k); i < uint64(len(recs)); i++ {
				if ctx.Err() != nil {
					return nil
				}
				if err := fn(copyRecord(&recs[i])); err != nil {
					if ctxDone(ctx, err) {
						return nil
					}
					return err
				}
				next.Advance(recs[i].Seq)
			}
		}
		select {
		case <-appended:
		case <-ctx.Done():
			return nil
		}
	}
}

// PutSnapshot stores a copy of data under key, replacing what was there.
func (l *Memory) PutSnapshot(ctx context.Context, key string, data []byte) error {
	if err := checkSnapshotKey(key); err != nil {
		return err
	}
	c := append([]byte{}, data...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.snapshots[key] = c
	return nil
}

// GetSnapshot returns a copy of the snapshot under key, or (nil, nil) when
// there is none.
func (l *Memory) GetSnapshot(ctx context.Context, key string) ([]byte, error) {
	if err := checkSnapshotKey(key); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	data, ok := l.snapshots[key]
	if !ok {
		return nil, nil
	}
	return append([]byte{}, data...), nil
}

// Close does nothing; it is there so Memory can stand in for JetStream.
func (l *Memory) Close() error { return nil }

// copyRecord gives a caller its own copy of a stored record.
func copyRecord(r *Record) Record {
	c := *r
	c.Header = copyHeader(r.Header)
	c.Data = append([]byte(nil), r.Data...)
	return c
}
