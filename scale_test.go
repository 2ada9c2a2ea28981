package futures

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocated returns the bytes that fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestNewStartsNothing checks that a pool costs nothing for the workers and
// the room it may use: New starts no goroutine and allocates in proportion to
// neither the workers nor the queue's size. BenchmarkNew measures it.
func TestNewStartsNothing(t *testing.T) {
	tests := []struct {
		name string
		give []Option
	}{
		{"100k workers", []Option{WithWorkers(100_000)}},
		{"most workers", []Option{WithWorkers(math.MaxInt)}},
		{"huge queue", []Option{WithQueueSize(1 << 40)}},
		{"unbounded queue", []Option{WithWorkers(8), WithQueueSize(math.MaxInt)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := goroutines()
			var p *Pool
			bytes := allocated(func() {
				var err error
				p, err = New(tt.give...)
				require.NoError(t, err)
			})
			// The bar is 16 MiB; New allocates about a kilobyte.
			assert.Less(t, bytes, uint64(64<<10), "New allocated %d bytes", bytes)
			// At most: a worker of an earlier pool may still be ending,
			// as Close returns once every worker has signalled its exit.
			assert.LessOrEqual(t, goroutines(), before, "New started goroutines")
			assert.Zero(t, p.Stats().Workers)

			v, err := Submit(context.Background(), p, trivial).Result(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 1, v)
			assert.Equal(t, 1, p.Stats().Workers)
			require.NoError(t, p.Close())
			assert.Zero(t, p.Stats().Workers)
		})
	}
}

// TestManyWorkersRunAtOnce starts a pool of 20,000 workers on demand and
// checks that all of them run a task at once: each waits until every other
// has started.
func TestManyWorkersRunAtOnce(t *testing.T) {
	const n = 20_000
	p := newPool(t, WithWorkers(n))
	// Far longer than it takes, even under the race detector on a loaded
	// machine: only a pool that does not start every worker runs out.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var arrived atomic.Int64
	all := make(chan struct{})
	fs := make([]*Future[int], n)
	for i := range fs {
		fs[i] = Submit(ctx, p, func(ctx context.Context) (int, error) {
			if arrived.Add(1) == int64(n) {
				close(all)
			}
			select {
			case <-all:
				time.Sleep(50 * time.Millisecond)
				return 1, nil
			case <-ctx.Done():
				return 0, fmt.Errorf("%d of %d tasks started: %w", arrived.Load(), n, context.Cause(ctx))
			}
		})
	}
	for _, f := range fs {
		_, err := f.Result(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, n, p.Stats().Workers)
}

// TestTrySubmitFindsEveryIdleWorker checks that with no queue, every idle
// worker is room, whether started or not, and is room again as soon as its
// task is done: n TrySubmits on a pool of n workers succeed, the next one
// fails, and the same again once their futures are complete.
func TestTrySubmitFindsEveryIdleWorker(t *testing.T) {
	const n = 4
	bg := context.Background()
	p := newPool(t, WithWorkers(n), WithQueueSize(0))
	for round := range 20 {
		gate := make(chan struct{})
		fs := make([]*Future[int], n)
		for i := range fs {
			f, err := TrySubmit(bg, p, func(context.Context) (int, error) {
				<-gate
				return 1, nil
			})
			require.NoError(t, err, "round %d: TrySubmit %d of %d", round, i+1, n)
			fs[i] = f
		}
		f, err := TrySubmit(bg, p, trivial)
		assert.Nil(t, f)
		assert.ErrorIs(t, err, ErrQueueFull, "round %d: TrySubmit %d of %d", round, n+1, n)
		close(gate)
		for _, f := range fs {
			_, err := f.Result(bg)
			require.NoError(t, err)
		}
	}
}

// TestUnboundedQueue checks that WithQueueSize(math.MaxInt) takes as many
// tasks as are given, and that the queue's memory follows them.
func TestUnboundedQueue(t *testing.T) {
	const n = 100_000
	bg := context.Background()
	p := newPool(t, WithWorkers(1), WithQueueSize(math.MaxInt))
	_, release := holdWorker(t, p)
	var runs atomic.Int32
	fs := make([]*Future[int], n)
	bytes := allocated(func() {
		for i := range fs {
			f, err := TrySubmit(bg, p, countRuns(&runs))
			require.NoError(t, err)
			fs[i] = f
		}
	})
	assert.Equal(t, n, p.Stats().Queued)
	// A future and nothing more for each task.
	assert.Less(t, bytes/n, uint64(256), "bytes per queued task")
	release()
	for _, f := range fs {
		_, err := f.Result(bg)
		require.NoError(t, err)
	}
	assert.Equal(t, int32(n), runs.Load())
	assert.Zero(t, p.Stats().Queued)
}

// TestCancelledTasksLeaveTheQueue checks that futures cancelled while queued
// give their room back at once and are not counted as queued.
func TestCancelledTasksLeaveTheQueue(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1), WithQueueSize(2))
	_, release := holdWorker(t, p)
	var runs atomic.Int32
	a, b := Submit(bg, p, countRuns(&runs)), Submit(bg, p, countRuns(&runs))
	_, err := TrySubmit(bg, p, countRuns(&runs))
	require.ErrorIs(t, err, ErrQueueFull)
	assert.Equal(t, 2, p.Stats().Queued)

	require.True(t, a.Cancel())
	require.True(t, b.Cancel())
	assert.Zero(t, p.Stats().Queued)
	c, err := TrySubmit(bg, p, countRuns(&runs))
	require.NoError(t, err)
	d, err := TrySubmit(bg, p, countRuns(&runs))
	require.NoError(t, err)
	assert.Equal(t, 2, p.Stats().Queued)

	release()
	for _, f := range []*Future[int]{c, d} {
		_, err := f.Result(bg)
		require.NoError(t, err)
	}
	assert.Equal(t, int32(2), runs.Load())
}

// TestHelpedTaskLeavesTheQueue checks that a queued task that its waiter runs
// in its place (see Future.Result) is out of the queue once it is complete:
// its result is collected once dropped, while the waiter still runs.
func TestHelpedTaskLeavesTheQueue(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	errNotCollected := errors.New("the helped task's result was not collected")
	parent := Submit(context.Background(), p, func(ctx context.Context) (int, error) {
		child := Submit(ctx, p, func(context.Context) (*payload, error) { return new(payload), nil })
		if child.State() != Pending {
			return 0, fmt.Errorf("child %v, want it queued", child.State())
		}
		v, err := child.Result(ctx)
		if err != nil {
			return 0, err
		}
		gone := collected(v)
		v, child = nil, nil
		if !isCollected(gone) {
			return 0, errNotCollected
		}
		return 1, nil
	})
	_, err := parent.Result(context.Background())
	require.NoError(t, err)
	assert.Zero(t, p.Stats().Queued)
}

// isCollected runs the collector until done is closed, and reports whether
// it was.
func isCollected(done <-chan struct{}) bool {
	for range 50 {
		runtime.GC()
		select {
		case <-done:
			return true
		case <-time.After(10 * time.Millisecond): // cleanups run asynchronously
		}
	}
	return false
}

// chain runs a chain of depth tasks on p, each submitting the next with its
// own context and waiting for it, and returns depth. At the bottom it calls
// bottom with the deepest task's context.
func chain(ctx context.Context, p *Pool, depth int, bottom func(context.Context)) (int, error) {
	if depth == 0 {
		bottom(ctx)
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	v, err := Submit(ctx, p, func(ctx context.Context) (int, error) {
		return chain(ctx, p, depth-1, bottom)
	}).Result(ctx)
	return v + 1, err
}

// TestNestedChainCostsTheSameAtEveryDepth runs a chain of 10,000 tasks on one
// worker, each waiting for the next, and checks that the deepest task's
// context does not wrap the contexts of the tasks above it, so that each
// level costs the same; and that the chain's goroutine stacks stay within 64
// MiB. BenchmarkNestedChain measures the time per level.
func TestNestedChainCostsTheSameAtEveryDepth(t *testing.T) {
	const depth = 10_000
	for _, size := range []int{0, 64} {
		t.Run(fmt.Sprintf("queue=%d", size), func(t *testing.T) {
			p := newPool(t, WithWorkers(1), WithQueueSize(size))
			var wraps int
			var stacks uint64
			v, err := chain(context.Background(), p, depth, func(ctx context.Context) {
				for c, ok := ctx.(*taskContext); ok; c, ok = c.Context.(*taskContext) {
					wraps++
				}
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				stacks = m.StackInuse
			})
			require.NoError(t, err)
			assert.Equal(t, depth, v)
			assert.Equal(t, 1, wraps, "task contexts wrapped in the deepest one")
			t.Logf("stacks in use at depth %d: %d MiB", depth, stacks>>20)
			assert.Less(t, stacks, uint64(64<<20), "stacks in use at depth %d", depth)
		})
	}
}

// TestMapHugeBuffer checks that WithBuffer(math.MaxInt) is a bound, not an
// allocation: Map's window grows with the tasks in it.
func TestMapHugeBuffer(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	inputs := func(yield func(int) bool) {
		for i := range 1000 {
			if !yield(i) {
				return
			}
		}
	}
	i := 0
	bytes := allocated(func() {
		for v, err := range Map(context.Background(), p, inputs, square, WithBuffer(math.MaxInt)) {
			require.NoError(t, err)
			require.Equal(t, i*i, v)
			i++
		}
	})
	assert.Equal(t, 1000, i)
	// The items and a window of at most 2048 pointers.
	assert.Less(t, bytes, uint64(1000*512+2048*8*2), "bytes for 1000 items")
}
