package futures

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type payload [1 << 12]byte

// collected returns a channel closed once x has been garbage collected.
func collected(x *payload) <-chan struct{} {
	ch := make(chan struct{})
	runtime.AddCleanup(x, func(ch chan struct{}) { close(ch) }, ch)
	return ch
}

// requireCollected runs the collector until done is closed, or fails.
func requireCollected(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	for range 50 {
		runtime.GC()
		select {
		case <-done:
			return
		case <-time.After(10 * time.Millisecond): // cleanups run asynchronously
		}
	}
	t.Fatalf("%s was not collected", what)
}

// holding submits a task whose closure holds x.
func holding(p *Pool, x *payload, gate <-chan struct{}) *Future[int] {
	return Submit(context.Background(), p, func(context.Context) (int, error) {
		<-gate
		return int(x[0]) + len(x), nil
	})
}

func TestFinishedTaskClosureIsNotRetained(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	x := new(payload)
	gone := collected(x)
	gate := make(chan struct{})
	close(gate)
	f := holding(p, x, gate)
	x = nil
	v, err := f.Result(context.Background())
	require.NoError(t, err)
	assert.Equal(t, len(payload{}), v)
	requireCollected(t, gone, "the closure of a finished task")
	runtime.KeepAlive(f) // the future is alive; its closure is not
}

func TestCancelledTaskClosureIsNotRetained(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	gate := make(chan struct{})
	defer close(gate)
	busy := holding(p, new(payload), gate) // keeps the only worker busy
	x := new(payload)
	gone := collected(x)
	queued := holding(p, x, gate)
	x = nil
	require.True(t, queued.Cancel())
	// The cancelled future still sits in the queue; its closure is free.
	requireCollected(t, gone, "the closure of a cancelled, still queued task")
	runtime.KeepAlive(busy)
	runtime.KeepAlive(queued)
}

func TestResultIsNotRetainedByThePool(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	f := Submit(context.Background(), p, func(context.Context) (*payload, error) { return new(payload), nil })
	v, err := f.Result(context.Background())
	require.NoError(t, err)
	gone := collected(v)
	v, f = nil, nil
	requireCollected(t, gone, "a result whose future was dropped")
}

func TestMapItemsAreNotRetained(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	var gone []<-chan struct{}
	inputs := func(yield func(*payload) bool) {
		for range 20 {
			x := new(payload)
			gone = append(gone, collected(x))
			if !yield(x) {
				return
			}
		}
	}
	size := func(_ context.Context, x *payload) (int, error) { return int(x[0]) + len(x), nil }
	for v, err := range Map(context.Background(), p, inputs, size, WithBuffer(4)) {
		require.NoError(t, err)
		require.Equal(t, len(payload{}), v)
	}
	for _, g := range gone {
		requireCollected(t, g, "a Map input after its result was yielded")
	}
}
