package main

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"testing"

	"github.com/admit-org/admit/internal/boxoffice"
	"github.com/admit-org/admit/internal/ledger"
)

// actorForm is the form of an entry's actor, as schemas/common.json has it.
var actorForm = regexp.MustCompile(`^(system|buyer|anonymous|member:mb_[a-z2-7]{20}|token:tk_[a-z2-7]{20}|device:dd_[a-z2-7]{20}|provider:[a-z]{1,20})$`)

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
			if !actorForm.MatchString(*d.Actor) {
				t.Errorf("%s %s: actor %q is not of the actor's form", ce.Source, ce.Type, *d.Actor)
			}
			if seen[ce.Type] == nil {
				seen[ce.Type] = map[string]bool{}
			}
			seen[ce.Type][actorKind(*d.Actor)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// actorKind is the kind of actor (member, token, system…): an actor
// without its id.
func actorKind(actor string) string {
	for i, c := range actor {
		if c == ':' {
			return actor[:i]
		}
	}
	return actor
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
