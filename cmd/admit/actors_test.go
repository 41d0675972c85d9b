package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/ledger"
)

// actorForm is the form of an entry's actor: the pattern of
// schemas/common.json's actor.
func actorForm(t *testing.T) *regexp.Regexp {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "schemas", "common.json"))
	if err != nil {
		t.Fatal(err)
	}
	var common struct {
		Defs struct {
			Actor struct {
				Pattern string `json:"pattern"`
			} `json:"actor"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &common); err != nil || common.Defs.Actor.Pattern == "" {
		t.Fatalf("no actor pattern in schemas/common.json: %v", err)
	}
	return regexp.MustCompile(common.Defs.Actor.Pattern)
}

// everyEntryNamesItsActor reads the ledger of the data directory dir,
// whose admit serve has stopped, and fails t for every entry that does not
// record who caused it. It returns each entry type seen with the actors
// it recorded, for the caller to check the ones its story made.
func everyEntryNamesItsActor(t *testing.T, dir string) map[string]map[string]bool {
	t.Helper()
	ctx := context.Background()
	data, nats, unsafe := dir, "", false
	log, err := newLogger(io.Discard, "text", "error")
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(ctx, storeFlags{data: &data, nats: &nats, unsafe: &unsafe}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	form := actorForm(t)
	seen := map[string]map[string]bool{}
	_, err = st.led.Read(ctx, "", 0, func(r ledger.Record) error {
		if r.Header["Content-Type"] != boxoffice.BatchContentType {
			return nil
		}
		var batch []boxoffice.CloudEvent
		if err := json.Unmarshal(r.Data, &batch); err != nil {
			t.Errorf("%s: %v", r.Subject, err)
			return nil
		}
		for _, ce := range batch {
			var d struct {
				Actor *string `json:"actor"`
			}
			if err := json.Unmarshal(ce.Data, &d); err != nil || d.Actor == nil {
				t.Errorf("%s %s names no actor: %s", ce.Source, ce.Type, ce.Data)
				continue
			}
			if !form.MatchString(*d.Actor) {
				t.Errorf("%s %s: actor %q is not of the actor's form", ce.Source, ce.Type, *d.Actor)
			}
			if seen[ce.Type] == nil {
				seen[ce.Type] = map[string]bool{}
			}
			kind, _, _ := strings.Cut(*d.Actor, ":")
			seen[ce.Type][kind] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// wantActors fails t unless each entry type of want was seen with the
// kinds of actor it lists.
func wantActors(t *testing.T, seen map[string]map[string]bool, want map[string][]string) {
	t.Helper()
	for typ, kinds := range want {
		for _, k := range kinds {
			if !seen[typ][k] {
				t.Errorf("no %s entry by a %s actor; seen: %v", typ, k, seen[typ])
			}
		}
	}
}
