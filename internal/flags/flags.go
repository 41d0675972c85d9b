package flags

import (
	"context"
	"fmt"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"

	"github.com/admit-org/admit/internal/fault"
)

// Flags evaluates admit's flags through an OpenFeature client of its own
// (an isolated API, so that two servers in one process never share one).
// A nil *Flags answers every flag's default. Safe for concurrent use.
type Flags struct {
	api    *openfeature.EvaluationAPI
	client *openfeature.Client
}

// New returns Flags evaluated by provider p (Run it too). Close it when
// done.
func New(ctx context.Context, p openfeature.FeatureProvider) (*Flags, error) {
	api := isolated.NewAPI()
	if err := api.SetProviderAndWait(ctx, p); err != nil {
		return nil, fmt.Errorf("flags: openfeature provider: %w", err)
	}
	return &Flags{api: api, client: api.NewClient()}, nil
}

// Close shuts the OpenFeature API down.
func (f *Flags) Close(ctx context.Context) error {
	if f == nil {
		return nil
	}
	return f.api.Shutdown(ctx)
}

// Bool is the bool flag name for the event: its stored value, or its
// default (when nothing applies, or the store cannot be read).
func (f *Flags) Bool(ctx context.Context, name, eventID string) bool {
	def, _ := defaultOf(name).(bool)
	if f == nil {
		return def
	}
	return f.client.Boolean(ctx, name, def, openfeature.NewEvaluationContext(eventID, nil))
}

// Int is the int flag name for the event, as Bool.
func (f *Flags) Int(ctx context.Context, name, eventID string) int64 {
	def, _ := defaultOf(name).(int64)
	if f == nil {
		return def
	}
	return f.client.Int(ctx, name, def, openfeature.NewEvaluationContext(eventID, nil))
}

func defaultOf(name string) any {
	fl, _ := Lookup(name)
	return fl.Default
}

// HoldsPausedCode is the problem code of a hold refused by HoldsPaused.
const HoldsPausedCode = "holds-paused"

// HoldsPausedError is the error a new hold on a paused event gets: a
// Conflict with the code holds-paused.
func HoldsPausedError() error {
	return &fault.Error{Kind: fault.Conflict, Code: HoldsPausedCode,
		Message: "ticket sales for this event are paused by its organizer or the operator; try again later"}
}

// PauseHolds returns HoldsPausedError when new holds on the event are
// paused (the flag holds.paused), else nil.
func (f *Flags) PauseHolds(ctx context.Context, eventID string) error {
	if f.Bool(ctx, HoldsPaused, eventID) {
		return HoldsPausedError()
	}
	return nil
}
