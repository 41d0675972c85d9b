package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/admit-org/admit/internal/lease"
	"github.com/admit-org/admit/internal/ledger"
)

// leadersEvery is how often the cluster spreads the leaders of the
// ledger's shards over the NATS servers again.
const leadersEvery = 30 * time.Second

// leadersLease is the lease of the node that does it: one at a time, so
// that two nodes never move the same leader at once.
const leadersLease = "ledger.leaders"

// balanceLeaders keeps the leaders of the ledger's shards spread over the
// NATS servers until ctx ends, every so often, on the one node holding
// leadersLease. Opening the ledger spreads them once; a NATS server that
// died and came back leads nothing until something moves its shards back,
// and the others meanwhile take all the writes.
func balanceLeaders(ctx context.Context, led *ledger.JetStream, leases *lease.Leases, every time.Duration, log *slog.Logger) {
	for ctx.Err() == nil {
		ls, err := leases.Acquire(ctx, leadersLease)
		if err != nil {
			if _, held := errors.AsType[*lease.HeldError](err); !held && ctx.Err() == nil {
				log.Debug("ledger: could not take the lease to spread the shards' leaders; trying again", "err", err)
			}
			t := time.NewTimer(leases.Term())
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
			continue
		}
		tick := time.NewTicker(every)
	held:
		for {
			select {
			case <-ctx.Done():
				break held
			case <-ls.Lost():
				break held
			case <-tick.C:
				if err := led.BalanceLeaders(ctx); err != nil && ctx.Err() == nil {
					log.Warn("ledger: could not spread the shards' leaders over the NATS servers", "err", err)
				}
			}
		}
		tick.Stop()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		ls.Release(rctx)
		cancel()
	}
}
