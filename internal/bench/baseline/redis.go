package baseline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/admit-org/admit/internal/id"
)

// redisStore is the design teams pick when PostgreSQL is too slow: a hash
// per quota (capacity, sold) and a key per hold, changed together by one Lua
// script, which Redis runs atomically: no other command runs in between.
//
// Durability: in its default configuration (appendonly no, RDB snapshots
// every few minutes at most) Redis acknowledges a hold before anything is
// on disk, and a crash loses every hold since the last snapshot; even with
// appendonly yes, the default appendfsync everysec loses up to a second of
// them. Expiry: a hold key that expires does NOT give its tickets back to
// the quotas in this design; a real one would need a sweeper (a sorted set
// of expiry times and a job moving them back). The benchmark never lets
// holds expire.
type redisStore struct {
	rdb       *redis.Client
	prefix    string // admitbench:{<random>}: — the hash tag keeps a run's keys in one cluster slot
	script    *redis.Script
	x         *index
	quotaKeys []string // by position in x.quotas
}

// holdLua takes the hold or nothing.
//
//	KEYS[1..n]  the quotas' hashes (fields capacity and sold)
//	KEYS[n+1]   the hold's key
//	ARGV[1..n]  tickets to take from each quota
//	ARGV[n+1]   the hold's value (its items as JSON)
//	ARGV[n+2]   the hold's time to live, in milliseconds
//
// It returns 1 when held, -1 when the hold's key exists, and when sold out
// {0, i, left}: the i-th quota (from 1) lacked room and has left tickets.
const holdLua = `
local n = #KEYS - 1
local hold = KEYS[n + 1]
if redis.call('EXISTS', hold) == 1 then
	return -1
end
for i = 1, n do
	local q = redis.call('HMGET', KEYS[i], 'capacity', 'sold')
	if not q[1] then
		return redis.error_reply('ERR unknown quota ' .. KEYS[i])
	end
	if tonumber(q[2]) + tonumber(ARGV[i]) > tonumber(q[1]) then
		return {0, i, tonumber(q[1]) - tonumber(q[2])}
	end
end
for i = 1, n do
	redis.call('HINCRBY', KEYS[i], 'sold', ARGV[i])
end
redis.call('SET', hold, ARGV[n + 1], 'PX', ARGV[n + 2])
return 1
`

// NewRedis connects a pool of poolSize connections (0: go-redis's default,
// ten per GOMAXPROCS) to the Redis server at addr, such as "127.0.0.1:6379".
// Setup writes keys under a prefix of its own; Close deletes them and closes
// the pool.
func NewRedis(ctx context.Context, addr string, poolSize int) (Store, error) {
	opt := &redis.Options{
		Addr:                     addr,
		PoolSize:                 poolSize, // callers beyond it wait for a connection
		DisableIdentity:          true,     // no CLIENT SETINFO round trips on connect
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("baseline: redis: connect %s: %w", addr, err)
	}
	return &redisStore{
		rdb:    rdb,
		prefix: "admitbench:{" + id.New("run", 16) + "}:",
		script: redis.NewScript(holdLua),
	}, nil
}

func (s *redisStore) Name() string { return "redis" }

func (s *redisStore) Setup(ctx context.Context, p Plan) error {
	if s.x != nil {
		return errors.New("baseline: redis: already set up")
	}
	x, err := compile(p)
	if err != nil {
		return err
	}
	keys := make([]string, len(x.quotas))
	_, err = s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, q := range x.quotas {
			keys[i] = s.prefix + "quota:" + q.ID
			pipe.HSet(ctx, keys[i], "capacity", q.Capacity, "sold", 0)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("baseline: redis: setup %s: %w", s.prefix, err)
	}
	if err := s.script.Load(ctx, s.rdb).Err(); err != nil {
		return fmt.Errorf("baseline: redis: load script: %w", err)
	}
	s.x, s.quotaKeys = x, keys
	return nil
}

func (s *redisStore) Hold(ctx context.Context, holdID string, items []Item, ttl time.Duration) error {
	if s.x == nil {
		return errNotReady
	}
	var buf [4]take
	ts, _, err := s.x.takes(buf[:0], items)
	if err != nil {
		return err
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return fmt.Errorf("baseline: redis: hold %s: %w", holdID, err)
	}
	keys, args := make([]string, len(ts)+1), make([]any, len(ts)+2)
	for i, t := range ts {
		keys[i], args[i] = s.quotaKeys[t.q], t.n
	}
	keys[len(ts)] = s.prefix + "hold:" + holdID
	args[len(ts)], args[len(ts)+1] = itemsJSON, max(ttl.Milliseconds(), 1)
	r, err := s.script.Run(ctx, s.rdb, keys, args...).Result()
	if err != nil {
		return fmt.Errorf("baseline: redis: hold %s: %w", holdID, err)
	}
	switch r := r.(type) {
	case int64:
		if r < 0 {
			return fmt.Errorf("%w: hold id %q is already used", ErrInvalid, holdID)
		}
		return nil
	case []any:
		if len(r) == 3 {
			i, ok1 := r[1].(int64)
			left, ok2 := r[2].(int64)
			if ok1 && ok2 && i >= 1 && int(i) <= len(ts) {
				return s.x.soldOut(items, ts[i-1].q, int(left))
			}
		}
		return &SoldOutError{}
	}
	return fmt.Errorf("baseline: redis: hold %s: the script answered %v", holdID, r)
}

func (s *redisStore) Available(ctx context.Context) (Availability, error) {
	if s.x == nil {
		return Availability{}, errNotReady
	}
	cmds, err := s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, k := range s.quotaKeys {
			pipe.HGet(ctx, k, "sold")
		}
		return nil
	})
	if err != nil {
		return Availability{}, fmt.Errorf("baseline: redis: available: %w", err)
	}
	held := make([]int, len(cmds))
	for i, c := range cmds {
		n, err := c.(*redis.StringCmd).Int()
		if err != nil {
			return Availability{}, fmt.Errorf("baseline: redis: available: %w", err)
		}
		held[i] = n
	}
	return s.x.availability(held), nil
}

func (s *redisStore) Audit(ctx context.Context) (Audit, error) {
	if s.x == nil {
		return Audit{}, errNotReady
	}
	a := Audit{Held: make(map[string]int, len(s.quotaKeys)), Holds: make(map[string]int)}
	for i, k := range s.quotaKeys {
		n, err := s.rdb.HGet(ctx, k, "sold").Int()
		if err != nil {
			return Audit{}, fmt.Errorf("baseline: redis: audit %s: %w", k, err)
		}
		a.Held[s.x.quotas[i].ID] = n
	}
	holdPrefix := s.prefix + "hold:"
	err := s.scan(ctx, holdPrefix+"*", func(keys []string) error {
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return err
		}
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue // expired since the scan
			}
			var items []Item
			if err := json.Unmarshal([]byte(str), &items); err != nil {
				return fmt.Errorf("%s: %w", keys[i], err)
			}
			n := 0
			for _, it := range items {
				n += it.Quantity
			}
			a.Holds[strings.TrimPrefix(keys[i], holdPrefix)] = n
		}
		return nil
	})
	if err != nil {
		return Audit{}, fmt.Errorf("baseline: redis: audit holds: %w", err)
	}
	return a, nil
}

// scan calls f with each batch of the keys matching pattern.
func (s *redisStore) scan(ctx context.Context, pattern string, f func(keys []string) error) error {
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := f(keys); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

func (s *redisStore) Close() error {
	defer s.rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.scan(ctx, s.prefix+"*", func(keys []string) error {
		return s.rdb.Unlink(ctx, keys...).Err()
	})
	if err != nil {
		return fmt.Errorf("baseline: redis: delete %s*: %w", s.prefix, err)
	}
	return nil
}
