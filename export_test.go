package futures

import "testing"

// The helpers that the tests of package futures_test share with those of this
// package, which they could not reach unexported.
var (
	NewTestPool      = newPool
	InTask           = inTask
	HoldWorker       = holdWorker
	Collected        = collected
	RequireCollected = requireCollected
	Goroutines       = goroutines
	SettleGoroutines = settleGoroutines
)

type Payload = payload

// SetTestHookStats makes fn run in every Stats of t, before it reads any
// count.
func SetTestHookStats(t testing.TB, fn func()) {
	testHookStats = fn
	t.Cleanup(func() { testHookStats = nil })
}
