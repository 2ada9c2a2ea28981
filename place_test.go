package futures_test

// The rules of a task's place: no two tasks ever run at once with the same
// WorkerIndex; a task whose goroutines wait for tasks of the pool, while it
// waits for them where the pool cannot see, cannot deadlock the pool; and the
// pool runs more tasks than it has workers only as the docs say. Run them
// alone with
//
//	go test -race -count=5 -run 'TestPlace' .

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-futures/futures"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plState is per-worker state that the docs say needs no lock: each task
// that reports an index holds its slot for as long as it runs, and any other
// task that reports the same index meanwhile is a violation.
type plState struct {
	inUse [8]atomic.Int32
	bad   atomic.Int32
}

// hold takes the slot of ctx's index, if it reports one, and returns the
// function that gives it back.
func (s *plState) hold(ctx context.Context) (release func()) {
	i, ok := futures.WorkerIndex(ctx)
	if !ok {
		return func() {}
	}
	if s.inUse[i].Add(1) > 1 {
		s.bad.Add(1)
	}
	return func() { s.inUse[i].Add(-1) }
}

// A plWay is one way for a goroutine to wait for a task of the pool.
type plWay struct {
	name string
	// queue is the queue size the way needs for its task to sit in the
	// queue (0: Submit finds it full).
	queue int
	wait  func(ctx context.Context, p *futures.Pool, fn func(context.Context) (int, error)) error
}

var plWays = []plWay{
	{"Result", 4, func(ctx context.Context, p *futures.Pool, fn func(context.Context) (int, error)) error {
		_, err := futures.Submit(ctx, p, fn).Result(ctx)
		return err
	}},
	{"SubmitToAFullQueue", 0, func(ctx context.Context, p *futures.Pool, fn func(context.Context) (int, error)) error {
		f := futures.Submit(ctx, p, fn)
		_, err := f.Result(ctx)
		return err
	}},
	{"WaitFirstCompleted", 4, func(ctx context.Context, p *futures.Pool, fn func(context.Context) (int, error)) error {
		_, _, err := futures.Wait(ctx, []*futures.Future[int]{futures.Submit(ctx, p, fn)}, futures.FirstCompleted)
		return err
	}},
	{"Map", 4, func(ctx context.Context, p *futures.Pool, fn func(context.Context) (int, error)) error {
		for _, err := range futures.Map(ctx, p, slices.Values([]int{1, 2}), func(ctx context.Context, _ int) (int, error) { return fn(ctx) }) {
			if err != nil {
				return err
			}
		}
		return nil
	}},
	{"Any", 4, func(ctx context.Context, p *futures.Pool, fn func(context.Context) (int, error)) error {
		_, err := futures.Any(ctx, p, fn)
		return err
	}},
	{"GroupWait", 4, func(ctx context.Context, p *futures.Pool, fn func(context.Context) (int, error)) error {
		g, _ := futures.NewGroup(ctx, p)
		g.Go(func(ctx context.Context) error { _, err := fn(ctx); return err })
		return g.Wait()
	}},
}

// A goroutine that a running task started with its context, and that waits
// for a task of the pool, never runs it with the task's WorkerIndex: the task
// may be using its per-worker state meanwhile. And a task that waits for such
// goroutines, where the pool cannot see it, does not deadlock the pool, even
// one of one worker.
func TestPlaceGoroutinesOfARunningTaskShareNoIndex(t *testing.T) {
	for _, way := range plWays {
		for _, blocked := range []bool{false, true} {
			name := way.name + "/task runs"
			if blocked {
				name = way.name + "/task waits on a WaitGroup"
			}
			t.Run(name, func(t *testing.T) {
				p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(way.queue))
				var s plState
				var childRan atomic.Int32
				// running counts the task and its children at once:
				// one more than the worker while the task runs.
				var running, most atomic.Int32
				enter := func() func() {
					n := running.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					return func() { running.Add(-1) }
				}
				child := func(ctx context.Context) (int, error) {
					defer enter()()
					defer s.hold(ctx)()
					childRan.Add(1)
					runtime.Gosched()
					return 1, nil
				}
				err := futures.InTask(t, p, func(ctx context.Context) error {
					defer enter()()
					defer s.hold(ctx)()
					var wg sync.WaitGroup
					errs := make([]error, 3)
					for i := range errs {
						wg.Go(func() { errs[i] = way.wait(ctx, p, child) })
					}
					if !blocked {
						// Keep running, and using the state, until
						// the goroutines are done.
						done := make(chan struct{})
						go func() { wg.Wait(); close(done) }()
						for running := true; running; {
							select {
							case <-done:
								running = false
							default:
								if _, ok := futures.WorkerIndex(ctx); !ok {
									return errors.New("the running task lost its index")
								}
								runtime.Gosched()
							}
						}
					}
					wg.Wait()
					if i, ok := futures.WorkerIndex(ctx); !ok || i != 0 {
						return fmt.Errorf("after its goroutines: WorkerIndex = %d, %v", i, ok)
					}
					return errors.Join(errs...)
				})
				require.NoError(t, err)
				assert.Zero(t, s.bad.Load(), "two tasks ran at once with the same WorkerIndex")
				assert.Positive(t, childRan.Load())
				assert.LessOrEqual(t, most.Load(), int32(2), "tasks at once on one worker: the task and one in its place")
			})
		}
	}
}

// A task that gives up waiting at a deadline, while the task it runs in its
// place goes on, keeps its index, and the task left running reports none:
// one task more than the pool's workers runs meanwhile, per give-up, and only
// one of them reports the index.
func TestPlaceGiveUpKeepsTheIndex(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(4))
		var s plState
		var running, most atomic.Int32
		enter := func() func() {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			return func() { running.Add(-1) }
		}
		gate := make(chan struct{})
		// Each level gives up on the next after a second; the last
		// waits for the gate.
		var level func(depth int) func(context.Context) (int, error)
		level = func(depth int) func(context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				defer enter()()
				release := s.hold(ctx)
				if depth == 0 {
					<-gate
					release()
					return 0, nil
				}
				release() // not used across the wait
				bounded, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				_, err := futures.Submit(ctx, p, level(depth-1)).Result(bounded)
				if !errors.Is(err, context.DeadlineExceeded) {
					return 0, fmt.Errorf("depth %d: %v", depth, err)
				}
				_, ok := futures.WorkerIndex(ctx)
				if ok != (depth == 2) {
					return 0, fmt.Errorf("depth %d: WorkerIndex reports %v", depth, ok)
				}
				defer s.hold(ctx)()
				return depth, nil
			}
		}
		f := futures.Submit(gcBG, p, level(2))
		v, err := f.Result(gcBG)
		require.NoError(t, err)
		assert.Equal(t, 2, v)
		assert.Equal(t, int32(3), most.Load(), "one task more per give-up")
		close(gate)
		require.NoError(t, p.Close())
		assert.Zero(t, s.bad.Load(), "two tasks ran at once with the same WorkerIndex")
	})
}
