package ledger

import (
	"errors"
	"strconv"
	"strings"

	"github.com/admit-org/admit/internal/id"
)

// The ledger is sharded over several streams (see docs/ledger.md, "Shards").
// Shard 0 is the stream LEDGER on "ledger.>", as before sharding; shard k ≥ 1
// is the stream LEDGER_<k> on "ledger_<k>.>". A message's shard is written in
// its subject: the last token of a subject in shard k ≥ 1 ends in "_<k>"
// (an event id made for shard k, "ev_<random>_<k>"); every other subject is
// in shard 0. So every node finds a subject's shard from the subject alone,
// and the shard of an event never changes, whatever the configured count.
//
// Callers keep using the logical subject ("ledger.event.<id>"); the
// physical one, on the shard's stream, replaces the root "ledger" by
// "ledger_<k>", and Record.Subject is always the logical one.

// MaxShards bounds the number of shards (and the k of a subject's "_<k>"):
// an event id names at most shard id.MaxShard.
const MaxShards = id.MaxShard + 1

// seqBits is the width of the stream sequence in a position; the shard
// takes the bits above it.
const seqBits = 48

// seqMask keeps a position's stream sequence.
const seqMask = 1<<seqBits - 1

// Pos is the position of the message with stream sequence seq in shard:
// the shard in the top 16 bits, the sequence in the low 48. A position of
// shard 0 is its stream sequence, so positions from before sharding keep
// their meaning. Record.Seq, Append's result and its fence, LastSubjectSeq
// and Read's from and result are positions.
func Pos(shard int, seq uint64) uint64 { return uint64(shard)<<seqBits | seq&seqMask }

// PosShard is the shard of a position.
func PosShard(pos uint64) int { return int(pos >> seqBits) }

// PosSeq is the stream sequence of a position, within its shard.
func PosSeq(pos uint64) uint64 { return pos & seqMask }

// SubjectShard returns the shard of a subject: k when its last token ends
// in "_<k>" after another "_" ("ledger.event.ev_abc_3": 3), else 0. It does
// not check k against MaxShards (checkSubject does).
func SubjectShard(subject string) int {
	tok := subject[strings.LastIndexByte(subject, '.')+1:]
	i := strings.LastIndexByte(tok, '_')
	if i <= 0 || i == len(tok)-1 || strings.IndexByte(tok[:i], '_') < 0 {
		return 0
	}
	k := 0
	for j := i + 1; j < len(tok); j++ {
		c := tok[j]
		if c < '0' || c > '9' || (j == i+1 && c == '0') || k > MaxShards {
			return 0
		}
		k = k*10 + int(c-'0')
	}
	return k
}

// checkShard refuses a subject whose shard is beyond MaxShards.
func checkShard(subject string) error {
	if k := SubjectShard(subject); k >= MaxShards {
		return errors.New("subject names a shard beyond " + strconv.Itoa(MaxShards-1))
	}
	return nil
}

// shardRoot is the first token of the physical subjects of shard k.
func shardRoot(k int) string {
	if k == 0 {
		return subjectRoot
	}
	return subjectRoot + "_" + strconv.Itoa(k)
}

// streamOf is the name of the stream of shard k.
func streamOf(k int) string {
	if k == 0 {
		return streamName
	}
	return streamName + "_" + strconv.Itoa(k)
}

// physical maps a logical subject or filter (under "ledger.") to shard k's
// stream.
func physical(k int, logical string) string {
	if k == 0 {
		return logical
	}
	return shardRoot(k) + logical[len(subjectRoot):]
}

// logical maps a physical subject of shard k back to "ledger.…".
func logical(k int, phys string) string {
	if k == 0 {
		return phys
	}
	return subjectRoot + phys[len(shardRoot(k)):]
}

// Vector is a position per shard: v[k] is the last stream sequence of shard
// k handled (0: none); shards beyond its length are at 0. A projection or a
// worker keeps one; Follow continues after it.
type Vector []uint64

// Seq returns the sequence of shard k.
func (v Vector) Seq(k int) uint64 {
	if k < len(v) {
		return v[k]
	}
	return 0
}

// Covers reports whether pos is at or before the vector's sequence of its
// shard.
func (v Vector) Covers(pos uint64) bool { return v.Seq(PosShard(pos)) >= PosSeq(pos) }

// CoversAll reports whether v is at or past w in every shard.
func (v Vector) CoversAll(w Vector) bool {
	for k, s := range w {
		if v.Seq(k) < s {
			return false
		}
	}
	return true
}

// Behind is how many messages w has that v has not reached, over all
// shards: a projection's or a worker's lag behind the ledger's Last.
func (v Vector) Behind(w Vector) uint64 {
	var n uint64
	for k, s := range w {
		if p := v.Seq(k); p < s {
			n += s - p
		}
	}
	return n
}

// Total is the sum of v's sequences: it grows whenever v advances.
func (v Vector) Total() uint64 {
	var n uint64
	for _, s := range v {
		n += s
	}
	return n
}

// Advance sets the sequence of pos's shard to pos's sequence if that is
// further, growing v as needed.
func (v *Vector) Advance(pos uint64) {
	k, s := PosShard(pos), PosSeq(pos)
	for len(*v) <= k {
		*v = append(*v, 0)
	}
	if (*v)[k] < s {
		(*v)[k] = s
	}
}

// Clone returns a copy of v.
func (v Vector) Clone() Vector { return append(Vector(nil), v...) }

// String formats v as its sequences separated by commas ("12,0,7"); the
// empty vector is "0".
func (v Vector) String() string {
	if len(v) == 0 {
		return "0"
	}
	var b []byte
	for k, s := range v {
		if k > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, s, 10)
	}
	return string(b)
}

// ParseVector parses what String formats.
func ParseVector(s string) (Vector, error) {
	var v Vector
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.ParseUint(part, 10, 64)
		if err != nil || n > seqMask {
			return nil, errors.New("ledger: bad position vector " + strconv.Quote(s))
		}
		v = append(v, n)
	}
	if len(v) > MaxShards {
		return nil, errors.New("ledger: position vector has more than MaxShards shards")
	}
	return v, nil
}
