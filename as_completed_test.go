package futures

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gated submits a task that returns v once gate is closed.
func gated(t *testing.T, p *Pool, v int, gate <-chan struct{}) *Future[int] {
	t.Helper()
	return Submit(context.Background(), p, func(context.Context) (int, error) {
		<-gate
		return v, nil
	})
}

func value(t *testing.T, f *Future[int]) int {
	t.Helper()
	v, err := f.Result(context.Background())
	require.NoError(t, err)
	return v
}

func TestAsCompletedInCompletionOrder(t *testing.T) {
	p := newPool(t, WithWorkers(3))
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	fs := make([]*Future[int], 3)
	for i := range fs {
		fs[i] = gated(t, p, i, gates[i])
	}
	ch := AsCompleted(fs...)
	for _, i := range []int{2, 0, 1} {
		close(gates[i])
		f := <-ch
		assert.Same(t, fs[i], f)
		assert.Equal(t, i, value(t, f))
	}
	_, ok := <-ch
	assert.False(t, ok, "channel not closed after the last future")
}

func TestAsCompletedCompleteOnesFirst(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	gate := make(chan struct{})
	defer close(gate)
	slow := gated(t, p, 0, gate)
	done1 := Submit(context.Background(), p, func(context.Context) (int, error) { return 1, nil })
	done2 := Submit(context.Background(), p, func(context.Context) (int, error) { return 2, nil })
	<-done1.Done()
	<-done2.Done()
	ch := AsCompleted(slow, done2, done1)
	assert.Same(t, done2, <-ch)
	assert.Same(t, done1, <-ch)
	select {
	case f := <-ch:
		t.Fatalf("got %v before it completed", f)
	default:
	}
}

func TestAsCompletedDuplicatesAndNil(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	f := Submit(context.Background(), p, func(context.Context) (int, error) { return 7, nil })
	g := Submit(context.Background(), p, func(context.Context) (int, error) { return 8, nil })
	var got []*Future[int]
	for h := range AsCompleted(f, nil, g, f, g, f) {
		got = append(got, h)
	}
	assert.ElementsMatch(t, []*Future[int]{f, g}, got)

	_, ok := <-AsCompleted[int]()
	assert.False(t, ok, "no futures: want a closed channel")
	_, ok = <-AsCompleted[int](nil, nil)
	assert.False(t, ok, "only nil futures: want a closed channel")
}

func TestAsCompletedManyDistinct(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	var fs []*Future[int]
	for i := range 100 {
		f := Submit(context.Background(), p, func(context.Context) (int, error) { return i, nil })
		fs = append(fs, f, f)
	}
	seen := map[int]bool{}
	for f := range AsCompleted(fs...) {
		v := value(t, f)
		assert.False(t, seen[v], "delivered twice: %d", v)
		seen[v] = true
	}
	assert.Len(t, seen, 100)
}

func TestAsCompletedStartsNoGoroutine(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	gate := make(chan struct{})
	var fs []*Future[int]
	for i := range 10 {
		fs = append(fs, gated(t, p, i, gate))
	}
	settleGoroutines(t, 1) // the worker
	ch := AsCompleted(fs...)
	assert.Equal(t, 1, goroutines())
	close(gate)
	<-ch // stop reading early: goleak checks nothing is left behind
}

func TestAsCompletedDeliversCancelledAtOnce(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	gate := make(chan struct{})
	defer close(gate)
	busy := gated(t, p, 0, gate)
	queued := gated(t, p, 1, gate)
	ch := AsCompleted(busy, queued)
	require.True(t, queued.Cancel())
	f := <-ch // the worker is still blocked on busy
	assert.Same(t, queued, f)
	assert.Equal(t, Cancelled, f.State())
}
