package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/admit-org/admit/internal/fault"
	"github.com/admit-org/admit/internal/ticket"
)

// MasterKeySize is the size of a master key: 256 bits for AES-256-GCM.
const MasterKeySize = 32

// ErrNotFound: the store has nothing under the name.
var ErrNotFound = errors.New("keyring: not found")

// Store keeps sealed keys by name. Names are "<event id>.<key id>".
type Store interface {
	// Create stores value under name; it fails if name exists.
	Create(ctx context.Context, name string, value []byte) error
	// Get returns the value under name, or ErrNotFound.
	Get(ctx context.Context, name string) ([]byte, error)
}

// Keyring makes, seals, stores and opens ticket signing keys. Safe for
// concurrent use; opened keys are cached.
type Keyring struct {
	aead   cipher.AEAD
	store  Store
	derive []byte // the key Derive derives from, itself derived from the master key

	mu    sync.Mutex
	cache map[string]*ticket.SigningKey // by name
}

// New returns a keyring sealing with master (MasterKeySize bytes) into store.
func New(master []byte, store Store) (*Keyring, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("keyring: the master key must be %d bytes, not %d", MasterKeySize, len(master))
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	mac := hmac.New(sha256.New, master)
	mac.Write([]byte("admit keyring: derived keys"))
	return &Keyring{aead: aead, store: store, derive: mac.Sum(nil), cache: make(map[string]*ticket.SigningKey)}, nil
}

// Derive returns a 32-byte secret for purpose, derived from the master key
// with HMAC-SHA256: the same on every node given the same master key, and
// different for every purpose, so that a secret derived for one use says
// nothing of the master key or of the secrets of other uses.
func (k *Keyring) Derive(purpose string) []byte {
	mac := hmac.New(sha256.New, k.derive)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

func name(eventID, keyID string) string { return eventID + "." + keyID }

// Create makes a new key for the event and stores it sealed. The caller
// then records its public half in the ledger (boxoffice.AddSigningKey).
func (k *Keyring) Create(ctx context.Context, eventID string) (*ticket.SigningKey, error) {
	key, err := ticket.NewSigningKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	n := name(eventID, ticket.IDOf(key.Public()).String())
	if err := k.store.Create(ctx, n, k.seal(n, key.Seed())); err != nil {
		return nil, fmt.Errorf("keyring: store %s: %w", n, err)
	}
	k.mu.Lock()
	k.cache[n] = key
	k.mu.Unlock()
	return key, nil
}

// Get opens the event's key with the id (hex, as boxoffice.KeyID writes
// it). Errors: NotFound when the store does not have it; Internal when it
// cannot be opened (sealed under another master key, or altered).
func (k *Keyring) Get(ctx context.Context, eventID, keyID string) (*ticket.SigningKey, error) {
	n := name(eventID, keyID)
	k.mu.Lock()
	key := k.cache[n]
	k.mu.Unlock()
	if key != nil {
		return key, nil
	}
	sealed, err := k.store.Get(ctx, n)
	if errors.Is(err, ErrNotFound) {
		return nil, fault.Wrap(fault.NotFound, err, "the signing key %s of event %s is not in the keyring", keyID, eventID)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: get %s: %w", n, err)
	}
	seed, err := k.open(n, sealed)
	if err != nil {
		return nil, err
	}
	key, err = ticket.SigningKeyFromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: %w", n, err)
	}
	if got := ticket.IDOf(key.Public()).String(); got != keyID {
		return nil, fmt.Errorf("keyring: %s holds key %s", n, got)
	}
	k.mu.Lock()
	k.cache[n] = key
	k.mu.Unlock()
	return key, nil
}

// seal encrypts seed with a random nonce, bound to its name.
func (k *Keyring) seal(n string, seed []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(seed)+k.aead.Overhead())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, seed, []byte(n))
}

func (k *Keyring) open(n string, sealed []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(sealed) < ns {
		return nil, fmt.Errorf("keyring: %s is too short to be a sealed key", n)
	}
	seed, err := k.aead.Open(nil, sealed[:ns], sealed[ns:], []byte(n))
	if err != nil {
		return nil, fmt.Errorf("keyring: %s cannot be opened: it was sealed under another master key, or altered", n)
	}
	return seed, nil
}

// ParseMasterKey reads a master key written as 64 hex digits.
func ParseMasterKey(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != MasterKeySize {
		return nil, fmt.Errorf("a master key is %d hex digits (openssl rand -hex %d)", 2*MasterKeySize, MasterKeySize)
	}
	return b, nil
}

// LoadMasterKeyFile reads the master key from path. When the file does not
// exist and create is true, it writes a new random key there (mode 0600)
// first; another process creating it at the same moment is fine, both read
// the one that won.
func LoadMasterKeyFile(path string, create bool) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		var key [MasterKeySize]byte
		rand.Read(key[:])
		f, cerr := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if cerr == nil {
			_, werr := fmt.Fprintln(f, hex.EncodeToString(key[:]))
			if serr := f.Sync(); werr == nil {
				werr = serr
			}
			if err := errors.Join(werr, f.Close()); err != nil {
				return nil, fmt.Errorf("master key %s: %w", path, err)
			}
		} else if !errors.Is(cerr, os.ErrExist) {
			return nil, fmt.Errorf("master key %s: %w", path, cerr)
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	key, err := ParseMasterKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("master key %s: %w", path, err)
	}
	return key, nil
}

// Memory is a Store in memory, for tests. Safe for concurrent use.
type Memory struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Create implements Store.
func (s *Memory) Create(_ context.Context, name string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[name]; ok {
		return fmt.Errorf("keyring: %s exists", name)
	}
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[name] = append([]byte(nil), value...)
	return nil
}

// Get implements Store.
func (s *Memory) Get(_ context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[name]
	if !ok {
		return nil, ErrNotFound
	}
	return append([]byte(nil), v...), nil
}
