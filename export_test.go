package futures

// The helpers that the tests of package futures_test share with those of this
// package, which they could not reach unexported.
var (
	NewTestPool      = newPool
	InTask           = inTask
	HoldWorker       = holdWorker
	Collected        = collected
	RequireCollected = requireCollected
	Goroutines       = goroutines
)

type Payload = payload
