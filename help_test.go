package futures

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inTask runs fn as a task of p with the task's context and returns its
// error.
func inTask(t *testing.T, p *Pool, fn func(ctx context.Context) error) error {
	t.Helper()
	_, err := Submit(context.Background(), p, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	}).Result(context.Background())
	return err
}

// TestHelpingHonoursADoneContext checks that a task whose waiting context is
// already done gets the cause at once from Result, Wait and Map, and that
// nothing it waits for runs on its behalf.
func TestHelpingHonoursADoneContext(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	cause := errors.New("gave up")
	var runs atomic.Int32
	err := inTask(t, p, func(ctx context.Context) error {
		done, cancel := context.WithCancelCause(ctx)
		cancel(cause)

		f := Submit(ctx, p, countRuns(&runs))
		if _, err := f.Result(done); !errors.Is(err, cause) {
			return errors.Join(errors.New("Result did not return the cause"), err)
		}
		if f.State() != Pending {
			return errors.New("Result ran the task")
		}

		fs := []*Future[int]{f, Submit(ctx, p, countRuns(&runs)), Submit(ctx, p, countRuns(&runs))}
		for _, until := range []Condition{FirstCompleted, FirstError, AllCompleted} {
			d, pending, err := Wait(done, fs, until)
			if !errors.Is(err, cause) || len(d) != 0 || len(pending) != 3 {
				return errors.Join(errors.New("Wait ran tasks"), err)
			}
		}
		for v, err := range Map(done, p, func(yield func(int) bool) { yield(1) }, square) {
			if !errors.Is(err, cause) || v != 0 {
				return errors.Join(errors.New("Map did not yield the cause"), err)
			}
		}
		if runs.Load() != 0 {
			return errors.New("tasks ran for a done context")
		}
		return nil
	})
	require.NoError(t, err)
}

// TestHelpingIsBoundedByTheDeadline checks that Result, Wait and Map called
// from a task with a deadline return when it passes, even while the task
// they wait for runs in their place; and that the pool's shutdown still
// waits for that task.
func TestHelpingIsBoundedByTheDeadline(t *testing.T) {
	waits := map[string]func(ctx context.Context, f *Future[int]) error{
		"Result": func(ctx context.Context, f *Future[int]) error {
			_, err := f.Result(ctx)
			return err
		},
		"Wait": func(ctx context.Context, f *Future[int]) error {
			_, _, err := Wait(ctx, []*Future[int]{f}, AllCompleted)
			return err
		},
		"Wait/FirstCompleted": func(ctx context.Context, f *Future[int]) error {
			_, _, err := Wait(ctx, []*Future[int]{f}, FirstCompleted)
			return err
		},
	}
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p, err := New(WithWorkers(1))
				require.NoError(t, err)
				release := make(chan struct{})
				var child *Future[int]
				err = inTask(t, p, func(ctx context.Context) error {
					child = Submit(ctx, p, func(context.Context) (int, error) {
						<-release
						return 1, nil
					})
					ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
					defer cancel()
					return wait(ctx, child)
				})
				require.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, Running, child.State(), "the task run in the waiter's place")

				// The pool's shutdown waits for the task run in a
				// place lent by a task that has returned.
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				require.ErrorIs(t, p.Shutdown(ctx), context.DeadlineExceeded)
				close(release)
				require.NoError(t, p.Shutdown(context.Background()))
				v, err := child.Result(context.Background())
				require.NoError(t, err)
				assert.Equal(t, 1, v)
			})
		})
	}
}

// TestMapFromATaskIsBoundedByTheDeadline is TestHelpingIsBoundedByTheDeadline
// for Map.
func TestMapFromATaskIsBoundedByTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := New(WithWorkers(1))
		require.NoError(t, err)
		release := make(chan struct{})
		err = inTask(t, p, func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
			defer cancel()
			for _, err := range Map(ctx, p, func(yield func(int) bool) { yield(1) },
				func(context.Context, int) (int, error) {
					<-release
					return 1, nil
				}) {
				return err
			}
			return nil
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		require.NoError(t, p.Close())
	})
}

// TestHelpingRunsNothingOnceStopped checks that a task still queued when
// ShutdownNow begins, or when the pool breaks, never runs, even when a task
// waiting for it would run it in its place.
func TestHelpingRunsNothingOnceStopped(t *testing.T) {
	errInit := errors.New("no database")
	tests := []struct {
		name      string
		stop      func(p *Pool, gate chan<- error)
		wantState State
		wantErrs  []error
	}{
		{
			name:      "ShutdownNow",
			stop:      func(p *Pool, _ chan<- error) { require.NoError(t, p.ShutdownNow(context.Background())) },
			wantState: Cancelled,
			wantErrs:  []error{ErrCancelled, ErrShutdown},
		},
		{
			name:      "broken",
			stop:      func(_ *Pool, gate chan<- error) { gate <- errInit },
			wantState: Finished,
			wantErrs:  []error{ErrBroken, errInit},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bg := context.Background()
			// The second worker's initializer waits for gate.
			gate := make(chan error, 1)
			var inits atomic.Int32
			p := newPool(t, WithWorkers(2), WithInitializer(func(ctx context.Context) error {
				if inits.Add(1) == 1 {
					return nil
				}
				select {
				case err := <-gate:
					return err
				case <-ctx.Done():
					return nil
				}
			}))
			var runs atomic.Int32
			queued := make(chan *Future[int])
			stopping := make(chan struct{})
			proceed := make(chan struct{})
			parent := Submit(bg, p, func(ctx context.Context) (State, error) {
				// The first starts the second worker; with both
				// started and busy, the child waits in the queue.
				Submit(ctx, p, countRuns(&runs))
				child := Submit(ctx, p, countRuns(&runs))
				queued <- child
				<-stopping // the pool is stopping; the child is still queued
				_, err := child.Result(ctx)
				close(proceed)
				return child.State(), err
			})
			child := <-queued
			require.Equal(t, 1, p.Stats().Queued)
			testHookDrain = func() {
				close(stopping)
				<-proceed
			}
			defer func() { testHookDrain = nil }()
			tt.stop(p, gate)
			state, err := parent.Result(bg)
			for _, want := range tt.wantErrs {
				assert.ErrorIs(t, err, want)
			}
			assert.Equal(t, tt.wantState, state)
			assert.Equal(t, tt.wantState, child.State())
			assert.Zero(t, runs.Load())
		})
	}
}

// TestFanOutTakesTurnsInThePlace checks that goroutines started by a
// task with its context, each waiting for a task of the pool, while the task
// waits for them where the pool cannot see it, run them in the task's place,
// one at a time: so the fan-out does not deadlock, one task runs at once
// beside the waiting task, and none of them reports a WorkerIndex, which is
// the task's.
func TestFanOutTakesTurnsInThePlace(t *testing.T) {
	for _, size := range []int{0, 1, 64} {
		p := newPool(t, WithWorkers(1), WithQueueSize(size))
		var running, most atomic.Int32
		var badIndex atomic.Bool
		child := func(ctx context.Context) (int, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if _, ok := WorkerIndex(ctx); ok {
				badIndex.Store(true)
			}
			time.Sleep(time.Millisecond) // let the others try to run theirs
			return 1, nil
		}
		err := inTask(t, p, func(ctx context.Context) error {
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Go(func() {
					for range 5 {
						if _, err := Submit(ctx, p, child).Result(ctx); err != nil {
							errs[i] = err
							return
						}
					}
				})
			}
			wg.Wait()
			return errors.Join(errs...)
		})
		require.NoError(t, err, "queue %d", size)
		assert.Equal(t, int32(1), most.Load(), "queue %d: tasks run at once on one worker", size)
		assert.False(t, badIndex.Load(), "queue %d: a task run in the waiter's place reported an index", size)
	}
}

// TestReturnedTaskContextLendsNothing checks that once a task has returned,
// a goroutine still holding its context cannot run the pool's tasks in its
// place: the task it waits for runs on a worker, and Shutdown waits for it.
func TestReturnedTaskContextLendsNothing(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	leftover := make(chan context.Context, 1)
	_, err := Submit(bg, p, func(ctx context.Context) (int, error) {
		leftover <- ctx
		return 1, nil
	}).Result(bg)
	require.NoError(t, err)
	_, release := holdWorker(t, p)
	assertLendsNothing(t, p, <-leftover, release)
}

// TestReturnedInitializerContextLendsNothing is
// TestReturnedTaskContextLendsNothing for an initializer's context, which
// has no future to complete: it is the pool's own only until the
// initializer returns.
func TestReturnedInitializerContextLendsNothing(t *testing.T) {
	leftover := make(chan context.Context, 1)
	p := newPool(t, WithWorkers(1), WithInitializer(func(ctx context.Context) error {
		if i, ok := WorkerIndex(ctx); !ok || i != 0 {
			return fmt.Errorf("WorkerIndex in the initializer: %d, %v", i, ok)
		}
		leftover <- ctx
		return nil
	}))
	_, release := holdWorker(t, p)
	assertLendsNothing(t, p, <-leftover, release)
}

// assertLendsNothing checks that ctx, the context of a task or initializer
// of p that has returned, reports no WorkerIndex, and that a task submitted
// and waited for with it waits in the queue while p's only worker is held,
// until release lets the worker run it.
func assertLendsNothing(t *testing.T, p *Pool, ctx context.Context, release func()) {
	t.Helper()
	_, ok := WorkerIndex(ctx)
	assert.False(t, ok, "WorkerIndex of a context whose task has returned")

	var runs atomic.Int32
	f := Submit(ctx, p, countRuns(&runs))
	waited := make(chan error, 1)
	go func() {
		_, err := f.Result(ctx)
		waited <- err
	}()
	// The only worker is held: the task waits in the queue, whoever
	// waits for it.
	for p.Stats().Queued == 0 && !isDone(f) {
		time.Sleep(time.Millisecond)
	}
	assert.Equal(t, Pending, f.State())
	assert.Zero(t, runs.Load())
	release()
	require.NoError(t, <-waited)
	require.NoError(t, p.Close())
	assert.Equal(t, int32(1), runs.Load())
}

// TestWaitFromATaskStopsHelpingOnceMet checks that Wait called from a task
// runs queued tasks only until the condition holds: here a future of another
// pool fails while the waiting task runs the first queued one.
func TestWaitFromATaskStopsHelpingOnceMet(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	other := newPool(t, WithWorkers(1))
	var after atomic.Int32
	err := inTask(t, p, func(ctx context.Context) error {
		started := make(chan struct{})
		f0 := Submit(bg, other, func(context.Context) (int, error) {
			<-started
			return 0, errors.New("f0 failed")
		})
		fs := []*Future[int]{f0, Submit(ctx, p, func(context.Context) (int, error) {
			close(started)
			<-f0.Done()
			return 1, nil
		})}
		for range 4 {
			fs = append(fs, Submit(ctx, p, countRuns(&after)))
		}
		done, pending, err := Wait(ctx, fs, FirstError)
		if err != nil {
			return err
		}
		if len(done) != 2 || len(pending) != 4 || after.Load() != 0 {
			return errors.New("Wait went on running tasks after the first error")
		}
		return nil
	})
	require.NoError(t, err)
}

// TestSubmitFromATaskIsBoundedByTheDeadline checks that Submit called from a
// task into a full queue, which runs the new task in the caller's place,
// returns when its context's deadline passes, the task going on.
func TestSubmitFromATaskIsBoundedByTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := New(WithWorkers(1), WithQueueSize(0))
		require.NoError(t, err)
		release := make(chan struct{})
		var child *Future[int]
		err = inTask(t, p, func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
			defer cancel()
			child = Submit(ctx, p, func(context.Context) (int, error) {
				<-release
				return 1, nil
			})
			return ctx.Err()
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, Running, child.State(), "the task run in the submitter's place")
		close(release)
		require.NoError(t, p.Close())
		v, err := child.Result(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 1, v)
	})
}

// TestLendRacingRelease forces the order of lend and release that their
// pairing exists for: lend takes the place, then the task returns and
// release looks at the place before lend looks at the task. Release must
// see the place lent and wait; lend must see the task returned, refuse, and
// give the place back, which lets release go on.
func TestLendRacingRelease(t *testing.T) {
	w := &worker{}
	c := &taskContext{Context: context.Background(), w: w}
	c.state.Store(uint32(Running))
	to := &taskContext{Context: context.Background()}

	released := make(chan bool, 1)
	testHookLend = func() {
		go func() { released <- w.release(c, nil, nil, false) }()
		// Until release waits for the place, having seen it lent.
		for w.placeWaiters.Load() == 0 {
			select {
			case r := <-released:
				t.Error("release returned while the place was lent")
				released <- r
				return
			default:
				runtime.Gosched()
			}
		}
	}
	defer func() { testHookLend = nil }()

	if !assert.False(t, c.lend(to), "lend to a task that has returned") {
		// Give the place back, as the lent task would, so that release
		// ends.
		c.lent.CompareAndSwap(to, nil)
		w.notifyFreed()
	}
	assert.False(t, <-released, "release of a task that did not run")
	assert.Nil(t, c.lent.Load(), "the place after both")
	assert.True(t, c.hasReturned())
}
