package flags

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
)

// Stored is what the bucket holds for one flag, under the flag's name, as
// JSON. Every part is optional; an evaluation takes the first that
// applies:
//
//	{
//	  "targets": {"ev_…": true},                  // the value for these targeting keys (event ids)
//	  "rollout": {"percent": 25, "value": true},  // for that share of the other keys
//	  "value":   false                            // for every other key
//	}
//
// and the flag's default when none does. A rollout puts a key in its share
// when Share(flag, key) < percent × 100: the same key always gets the
// same answer, and a rising percentage only adds keys. "by" names an
// evaluation context attribute to hash instead of the targeting key.
// Values are of the flag's kind (true/false, or a whole number).
type Stored struct {
	Value   any            `json:"value,omitempty"`
	Targets map[string]any `json:"targets,omitempty"`
	Rollout *Rollout       `json:"rollout,omitempty"`
}

// Rollout gives Value to a stable share of the targeting keys.
type Rollout struct {
	Percent float64 `json:"percent"`
	Value   any     `json:"value"`
	By      string  `json:"by,omitempty"`
}

// Empty reports whether s says nothing: the flag then has its default, and
// its key may as well be deleted.
func (s *Stored) Empty() bool { return s.Value == nil && len(s.Targets) == 0 && s.Rollout == nil }

// Parse reads the stored JSON of flag f, checking that every value is of
// f's kind, the percentage between 0 and 100 and nothing unknown is in it.
func Parse(f Flag, data []byte) (*Stored, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var s Stored
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("flag %s: stored value is not valid JSON of the form "+
			`{"value":…,"targets":{"ev_…":…},"rollout":{"percent":N,"value":…}}: %w`, f.Name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("flag %s: stored value has more than one JSON value", f.Name)
	}
	if err := s.check(f); err != nil {
		return nil, err
	}
	return &s, nil
}

// check normalises s's values to f's kind (json.Number to int64) and
// refuses what does not fit.
func (s *Stored) check(f Flag) error {
	var err error
	if s.Value != nil {
		if s.Value, err = f.normalise(s.Value); err != nil {
			return fmt.Errorf("%w (in value)", err)
		}
	}
	for k, v := range s.Targets {
		if k == "" {
			return fmt.Errorf("flag %s: a target has an empty key", f.Name)
		}
		if s.Targets[k], err = f.normalise(v); err != nil {
			return fmt.Errorf("%w (in targets.%s)", err, k)
		}
	}
	if r := s.Rollout; r != nil {
		if math.IsNaN(r.Percent) || r.Percent < 0 || r.Percent > 100 {
			return fmt.Errorf("flag %s: rollout percent must be between 0 and 100, not %v", f.Name, r.Percent)
		}
		if r.Value == nil {
			return fmt.Errorf("flag %s: a rollout needs a value", f.Name)
		}
		if r.Value, err = f.normalise(r.Value); err != nil {
			return fmt.Errorf("%w (in rollout.value)", err)
		}
	}
	return nil
}

// normalise returns v as a value of f's kind.
func (f Flag) normalise(v any) (any, error) {
	switch f.Kind {
	case Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("flag %s is a bool: want true or false, not %s", f.Name, describe(v))
	case Int:
		switch n := v.(type) {
		case int64:
			return n, nil
		case json.Number:
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		}
		return nil, fmt.Errorf("flag %s is an int: want a whole number, not %s", f.Name, describe(v))
	}
	return nil, fmt.Errorf("flag %s has an unknown kind %s", f.Name, f.Kind)
}

func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Marshal is the JSON Parse reads.
func (s *Stored) Marshal() []byte {
	b, err := json.Marshal(s)
	if err != nil { // only bools, int64s, strings and floats: cannot fail
		panic(err)
	}
	return b
}

// String is the stored JSON, with targets in key order (as Marshal writes
// them): for listing.
func (s *Stored) String() string { return string(s.Marshal()) }

// Clone returns a copy of s that can be changed without changing s.
func (s *Stored) Clone() *Stored {
	c := &Stored{Value: s.Value, Targets: maps.Clone(s.Targets)}
	if s.Rollout != nil {
		r := *s.Rollout
		c.Rollout = &r
	}
	return c
}

// Reasons an evaluation gives for its value (OpenFeature's).
const (
	reasonTarget  = "TARGETING_MATCH"
	reasonSplit   = "SPLIT"
	reasonStatic  = "STATIC"
	reasonDefault = "DEFAULT"
)

// evaluate returns the value s gives the targeting key (attrs[by] for a
// rollout "by" an attribute), its reason and its variant, or ok false when
// no part of s applies. It does not allocate.
func (s *Stored) evaluate(flag, key string, attrs map[string]any) (v any, reason, variant string, ok bool) {
	if key != "" {
		if v, ok := s.Targets[key]; ok {
			return v, reasonTarget, "target", true
		}
	}
	if r := s.Rollout; r != nil {
		k := key
		if r.By != "" {
			k, _ = attrs[r.By].(string)
		}
		if k != "" && InRollout(flag, k, r.Percent) {
			return r.Value, reasonSplit, "rollout", true
		}
	}
	if s.Value != nil {
		return s.Value, reasonStatic, "value", true
	}
	return nil, "", "", false
}

// Shares is how many buckets a rollout's keys are hashed into: a rollout
// can be set to a hundredth of a percent.
const Shares = 10_000

// Share is key's bucket for flag, in [0, Shares): FNV-1a of the flag's
// name, a zero byte and the key. Hashing the name too makes two flags'
// rollouts at the same percentage reach different keys.
func Share(flag, key string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(flag); i++ {
		h = (h ^ uint64(flag[i])) * prime
	}
	h *= prime // the zero byte
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * prime
	}
	return h % Shares
}

// InRollout reports whether key is in the percent share of flag's rollout.
func InRollout(flag, key string, percent float64) bool {
	return float64(Share(flag, key)) < percent*Shares/100
}
