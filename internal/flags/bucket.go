package flags

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// Entry is one flag as the bucket has it: nil Stored when nothing is.
type Entry struct {
	Flag     Flag
	Stored   *Stored
	Revision uint64
	Invalid  error // the stored value does not parse; the default applies
}

// List returns every known flag with what the bucket stores for it, in
// name order, and the names of stored flags this version does not know.
func List(ctx context.Context, kv jetstream.KeyValue) ([]Entry, []string, error) {
	out := make([]Entry, len(Registry))
	for i, f := range Registry {
		out[i] = Entry{Flag: f}
		e, err := kv.Get(ctx, f.Name)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("flags: read %s: %w", f.Name, err)
		}
		out[i].Revision = e.Revision()
		out[i].Stored, out[i].Invalid = Parse(f, e.Value())
	}
	keys, err := kv.Keys(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil, fmt.Errorf("flags: list bucket %s: %w", Bucket, err)
	}
	var unknown []string
	for _, k := range keys {
		if _, ok := Lookup(k); !ok {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	return out, unknown, nil
}

// Change changes the stored value of flag f with change, which is given a
// copy of what is stored (empty when nothing is) and may change it. When
// it leaves it empty, the key is deleted: the flag has its default. It
// is a compare-and-swap on the key's revision, retried when another
// writer came first. It returns what is stored now (nil when nothing).
func Change(ctx context.Context, kv jetstream.KeyValue, f Flag, change func(*Stored) error) (*Stored, error) {
	for {
		cur := &Stored{}
		var rev uint64
		e, err := kv.Get(ctx, f.Name)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return nil, fmt.Errorf("flags: read %s: %w", f.Name, err)
		default:
			rev = e.Revision()
			if s, perr := Parse(f, e.Value()); perr == nil {
				cur = s.Clone()
			} // an invalid stored value is replaced
		}
		if err := change(cur); err != nil {
			return nil, err
		}
		if err := cur.check(f); err != nil {
			return nil, err
		}
		if cur.Empty() {
			if rev == 0 {
				return nil, nil
			}
			err = kv.Delete(ctx, f.Name, jetstream.LastRevision(rev))
		} else if rev == 0 {
			_, err = kv.Create(ctx, f.Name, cur.Marshal())
		} else {
			_, err = kv.Update(ctx, f.Name, cur.Marshal(), rev)
		}
		if isRace(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("flags: write %s: %w", f.Name, err)
		}
		if cur.Empty() {
			return nil, nil
		}
		return cur, nil
	}
}

// isRace reports whether a write lost to another writer's.
func isRace(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
