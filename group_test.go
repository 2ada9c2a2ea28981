package futures

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitWithin returns g.Wait(), or fails the test if Wait does not return
// within stuck: a deadlock shows up as a failure rather than a hung test.
func waitWithin(t *testing.T, g *Group) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	return receiveWithin(t, done)
}

func TestGroupWaitsForEveryTaskHoweverAdded(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	g, ctx := NewGroup(context.Background(), p)
	var runs atomic.Int32
	count := func(context.Context) error {
		runs.Add(1)
		return nil
	}
	var fs []*Future[int]
	for range 20 {
		g.Go(count)
		fs = append(fs, Submit(ctx, g, countRuns(&runs)))
	}
	for g.TryGo(count) == false {
		runtime.Gosched()
	}
	results, err := MapSlice(ctx, g, []int{1, 2, 3}, func(_ context.Context, n int) (int, error) {
		runs.Add(1)
		return n, nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, results)
	require.NoError(t, ctx.Err(), "the group's context is done before Wait")

	require.NoError(t, waitWithin(t, g))
	assert.Equal(t, int32(44), runs.Load())
	for _, f := range fs {
		assert.Equal(t, Finished, f.State())
	}
	assert.ErrorIs(t, ctx.Err(), context.Canceled, "the group's context is not done after Wait")
}

// TestGroupTasksRunOnThePoolsWorkers checks that a task of Go gets the
// group's context, made a task context of the worker that runs it.
func TestGroupTasksRunOnThePoolsWorkers(t *testing.T) {
	type key struct{}
	p := newPool(t, WithWorkers(3), WithQueueSize(0))
	g, gctx := NewGroup(context.WithValue(context.Background(), key{}, "v"), p)
	var bad atomic.Int32
	for range 100 {
		g.Go(func(ctx context.Context) error {
			i, ok := WorkerIndex(ctx)
			if !ok || i < 0 || i > 2 || ctx.Value(key{}) != "v" || ctx.Done() != gctx.Done() {
				bad.Add(1)
			}
			return nil
		})
	}
	require.NoError(t, waitWithin(t, g))
	assert.Zero(t, bad.Load())
}

// TestGroupFailsAtTheFirstErrorInTime checks that the first error to happen,
// not the first task added, is what Wait returns and the cause of the
// group's context; that running tasks see the context done; and that queued
// tasks never run, their futures cancelled.
func TestGroupFailsAtTheFirstErrorInTime(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	g, gctx := NewGroup(context.Background(), p)
	first, second := errors.New("first"), errors.New("second")
	failed := make(chan struct{})
	g.Go(func(ctx context.Context) error {
		<-ctx.Done() // sees the group fail
		if !errors.Is(context.Cause(ctx), first) {
			return errors.New("the cause is not the first error")
		}
		return second
	})
	g.Go(func(context.Context) error {
		defer close(failed)
		return first
	})
	<-failed
	// Both workers may be busy: these are queued, or cancelled at once.
	var runs atomic.Int32
	f := Submit(gctx, g, countRuns(&runs))
	g.Go(func(context.Context) error { runs.Add(1); return nil })

	err := waitWithin(t, g)
	assert.Equal(t, first, err)
	assert.Equal(t, first, context.Cause(gctx))
	assert.Zero(t, runs.Load())
	assert.Equal(t, Cancelled, f.State())
	assert.ErrorIs(t, f.Err(), ErrCancelled)
	assert.ErrorIs(t, f.Err(), first)
}

// TestGroupFailureTakesItsTasksOutOfTheQueue checks that the tasks of a
// failed group leave the queue at once, so that Wait does not wait for a
// worker busy elsewhere to get to them, and that no task of another group or
// of none is touched.
func TestGroupFailureTakesItsTasksOutOfTheQueue(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	_, release := holdWorker(t, p)
	g, gctx := NewGroup(context.Background(), p)
	other, _ := NewGroup(context.Background(), p)
	var runs atomic.Int32
	var fs []*Future[int]
	for range 10 {
		g.Go(func(context.Context) error { runs.Add(1); return nil })
		fs = append(fs, Submit(gctx, g, countRuns(&runs)))
		other.Go(func(context.Context) error { runs.Add(1); return nil })
	}
	unrelated := Submit(context.Background(), p, countRuns(&runs))
	require.Equal(t, 31, p.Stats().Queued)

	boom := errors.New("boom")
	g.Go(func(context.Context) error { return boom }) // queued too
	g.fail(boom)                                      // as a running task of g would
	assert.Equal(t, 11, p.Stats().Queued, "the group's tasks are still queued")
	for _, f := range fs {
		assert.Equal(t, Cancelled, f.State())
	}
	assert.Equal(t, boom, waitWithin(t, g), "Wait waited for the busy worker")

	release()
	require.NoError(t, waitWithin(t, other))
	_, err := resultWithin(t, unrelated)
	require.NoError(t, err)
	assert.Equal(t, int32(11), runs.Load())
}

func TestGroupPanicAndGoexitFailIt(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	tests := []struct {
		name string
		give func(context.Context) error
		want func(t *testing.T, err error)
	}{
		{"panic", func(context.Context) error { panic("oops") }, func(t *testing.T, err error) {
			var pe *PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "oops", pe.Value)
		}},
		{"goexit", func(context.Context) error { runtime.Goexit(); return nil }, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrGoexit)
		}},
		{"panic(nil)", func(context.Context) error { panic(nil) }, func(t *testing.T, err error) {
			var pe *PanicError
			assert.ErrorAs(t, err, &pe)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, all := range []bool{false, true} {
				var opts []GroupOption
				if all {
					opts = append(opts, WithAllErrors())
				}
				g, gctx := NewGroup(context.Background(), p, opts...)
				g.Go(tt.give)
				f := Submit(gctx, g, func(ctx context.Context) (int, error) { return 0, tt.give(ctx) })
				err := waitWithin(t, g)
				tt.want(t, err)
				tt.want(t, f.Err())
			}
		})
	}
	assert.Equal(t, 2, p.Stats().Workers, "a worker was lost")
}

func TestGroupWithAllErrorsRunsEveryTask(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	g, gctx := NewGroup(context.Background(), p, WithAllErrors())
	var errs []error
	var runs atomic.Int32
	for i := range 10 {
		err := errors.New("task " + string(rune('a'+i)))
		if i%3 == 0 {
			errs = append(errs, err)
		}
		g.Go(func(context.Context) error {
			runs.Add(1)
			if i%3 == 0 {
				return err
			}
			return nil
		})
	}
	err := waitWithin(t, g)
	assert.Equal(t, int32(10), runs.Load())
	require.Error(t, err)
	assert.Equal(t, errors.Join(errs...).Error(), err.Error(), "one worker: the errors in the order they happened")
	for _, e := range errs {
		assert.ErrorIs(t, err, e)
	}
	assert.Equal(t, err, context.Cause(gctx), "the context ends with Wait, its error the cause")
}

// TestGroupNestsOnOneWorkerWithNoQueue checks that tasks adding tasks to
// their own group, to any depth and width, finish on one worker with no
// queue: Go holds what finds no room, and never runs it on the caller.
func TestGroupNestsOnOneWorkerWithNoQueue(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithQueueSize(0))

	t.Run("chain of 10000", func(t *testing.T) {
		g, _ := NewGroup(context.Background(), p)
		var depth atomic.Int32
		var link func(int)
		link = func(n int) {
			g.Go(func(ctx context.Context) error {
				if i, ok := WorkerIndex(ctx); !ok || i != 0 {
					return errors.New("not on the pool's worker")
				}
				depth.Add(1)
				if n > 1 {
					link(n - 1)
				}
				return nil
			})
		}
		link(10_000)
		require.NoError(t, waitWithin(t, g))
		assert.Equal(t, int32(10_000), depth.Load())
	})

	t.Run("tree of 2^16", func(t *testing.T) {
		g, _ := NewGroup(context.Background(), p)
		var nodes atomic.Int32
		var walk func(int)
		walk = func(d int) {
			g.Go(func(context.Context) error {
				nodes.Add(1)
				if d < 15 {
					walk(d + 1)
					walk(d + 1)
				}
				return nil
			})
		}
		walk(0)
		require.NoError(t, waitWithin(t, g))
		assert.Equal(t, int32(1<<16-1), nodes.Load())
	})
}

// TestGroupGoNeverRunsOnTheCaller checks that Go from outside the pool,
// with every worker busy and no queue, returns at once and leaves the task to
// a worker.
func TestGroupGoNeverRunsOnTheCaller(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithQueueSize(0))
	_, release := holdWorker(t, p)
	g, _ := NewGroup(context.Background(), p)
	var runs atomic.Int32
	for range 1000 {
		g.Go(func(context.Context) error { runs.Add(1); return nil })
	}
	assert.Zero(t, runs.Load())
	assert.Equal(t, 1000, p.Stats().Queued)
	assert.False(t, g.TryGo(func(context.Context) error { return nil }))
	_, err := TrySubmit(context.Background(), g, trivial)
	assert.ErrorIs(t, err, ErrQueueFull)
	release()
	require.NoError(t, waitWithin(t, g))
	assert.Equal(t, int32(1000), runs.Load())
}

// TestGroupHeldTasksGoFirst checks that the room a group's held tasks take
// beyond the queue's size is made up before a Submit waiting for room gets
// any, so that holding does not let the queue grow past its size for
// others.
func TestGroupHeldTasksGoFirst(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithQueueSize(2))
	_, release := holdWorker(t, p)
	g, _ := NewGroup(context.Background(), p)
	var order []int
	var mu sync.Mutex
	task := func(i int) func(context.Context) error {
		return func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, i)
			return nil
		}
	}
	for i := range 5 {
		g.Go(task(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	f := Submit(ctx, p, trivial)
	assert.ErrorIs(t, f.Err(), context.DeadlineExceeded, "Submit found room beyond the queue's size")
	release()
	require.NoError(t, waitWithin(t, g))
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
}

// TestGroupInATaskIsWaitedForWithHelp checks that a group made in a task is
// waited for by running its tasks in the task's place, and only its own:
// an unrelated task queued ahead, which needs a lock the waiter holds, is
// left alone.
func TestGroupInATaskIsWaitedForWithHelp(t *testing.T) {
	for _, size := range []int{1, 64} { // room for the unrelated task; 1 holds the group's
		p := newPool(t, WithWorkers(1), WithQueueSize(size))
		var mu sync.Mutex
		started := make(chan struct{})
		var unrelated *Future[int]
		f := Submit(context.Background(), p, func(ctx context.Context) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			<-started
			g, _ := NewGroup(ctx, p)
			var n atomic.Int32
			for range 100 {
				g.Go(func(ctx context.Context) error {
					// Run in the waiter's place, on its
					// behalf: the waiter keeps the index.
					if _, ok := WorkerIndex(ctx); ok {
						return errors.New("a task run in the waiter's place reported an index")
					}
					n.Add(1)
					return nil
				})
			}
			if unrelated.State() != Pending {
				return 0, errors.New("the unrelated task ran")
			}
			err := g.Wait()
			return int(n.Load()), err
		})
		unrelated = Submit(context.Background(), p, func(context.Context) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return 1, nil
		})
		close(started)
		n, err := resultWithin(t, f)
		require.NoError(t, err)
		assert.Equal(t, 100, n)
		_, err = resultWithin(t, unrelated)
		require.NoError(t, err)
	}
}

// TestGroupShutdownStopsOnlyTheGroup checks Shutdown's contract.
func TestGroupShutdownStopsOnlyTheGroup(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	g, gctx := NewGroup(context.Background(), p)
	gate := make(chan struct{})
	var runs atomic.Int32
	g.Go(func(context.Context) error { <-gate; runs.Add(1); return nil })
	g.Go(func(context.Context) error { runs.Add(1); return nil })

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, g.Shutdown(ctx), context.Canceled, "a done ctx ends the wait")

	g.Go(func(context.Context) error { runs.Add(1); return nil })
	f := Submit(gctx, g, trivial)
	assert.ErrorIs(t, f.Err(), ErrShutdown)
	assert.False(t, g.TryGo(func(context.Context) error { return nil }))
	close(gate)
	require.NoError(t, g.Shutdown(context.Background()))
	assert.Equal(t, int32(2), runs.Load(), "the tasks added before Shutdown ran, the later ones did not")
	assert.NoError(t, gctx.Err(), "Shutdown cancelled the group's context")

	v, err := resultWithin(t, Submit(context.Background(), p, trivial))
	require.NoError(t, err, "the pool stopped serving")
	assert.Equal(t, 1, v)
	err = g.Wait()
	assert.ErrorIs(t, err, ErrShutdown, "the Go after Shutdown was lost")
	assert.ErrorIs(t, gctx.Err(), context.Canceled)
}

func TestGroupShutdownFromItsTaskReturns(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	g, _ := NewGroup(context.Background(), p)
	errs := make(chan error, 1)
	g.Go(func(ctx context.Context) error {
		//futuresvet:ignore the test checks that this returns at once
		errs <- g.Shutdown(ctx)
		return nil
	})
	assert.ErrorIs(t, receiveWithin(t, errs), errGroupShutdownFromTask)
	require.NoError(t, waitWithin(t, g))
}

// TestGroupGoAfterWait checks that Go after Wait runs nothing, loses
// nothing and does not panic: the next Wait reports it.
func TestGroupGoAfterWait(t *testing.T) {
	p := newPool(t)
	g, _ := NewGroup(context.Background(), p)
	require.NoError(t, g.Wait())
	require.NoError(t, g.Wait(), "Wait again")
	var runs atomic.Int32
	g.Go(func(context.Context) error { runs.Add(1); return nil })
	assert.False(t, g.TryGo(func(context.Context) error { runs.Add(1); return nil }))
	err := g.Wait()
	assert.ErrorIs(t, err, ErrShutdown)
	assert.Zero(t, runs.Load())
}

// TestGroupInvalidCallsAfterWait checks that bad input after Wait is refused
// as any call is then: Go's refusal is reported by the next Wait, while
// Submit and Map tell their caller and leave the group's outcome as it was.
func TestGroupInvalidCallsAfterWait(t *testing.T) {
	p := newPool(t)
	bg := context.Background()
	g, _ := NewGroup(bg, p)
	require.NoError(t, g.Wait())
	assert.ErrorIs(t, Submit[int](bg, g, nil).Err(), ErrInvalidOption)
	_, err := MapSlice[int, int](bg, g, []int{1}, nil)
	assert.ErrorIs(t, err, ErrInvalidOption)
	require.NoError(t, g.Wait(), "an invalid Submit or Map after Wait changed the group's outcome")
	g.Go(nil)
	err = g.Wait()
	assert.ErrorIs(t, err, ErrShutdown)
	assert.NotErrorIs(t, err, ErrInvalidOption, "Go after Wait is refused, whatever its fn")
}

// TestGroupGoRacingWait checks, over many rounds, that a Go racing Wait from
// another goroutine either is waited for or is reported by the next Wait:
// no task slips past Wait, and none is lost.
func TestGroupGoRacingWait(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	for range 2000 {
		g, _ := NewGroup(context.Background(), p)
		var ran, after atomic.Bool
		var done sync.WaitGroup
		done.Add(1)
		go func() {
			defer done.Done()
			g.Go(func(context.Context) error {
				if after.Load() {
					return errors.New("ran after Wait returned")
				}
				ran.Store(true)
				return nil
			})
		}()
		err := g.Wait()
		after.Store(true)
		done.Wait()
		if ran.Load() {
			require.NoError(t, err)
			continue
		}
		// Refused as Wait closed the group: this Wait may report it
		// already, the next one must.
		if err == nil {
			err = g.Wait()
		}
		require.ErrorIs(t, err, ErrShutdown, "the task neither ran nor was reported")
	}
}

// A waiter that read the count before it reached zero, and sees the group's
// context done only after another Wait ended it, takes that end for no
// failure: every Wait returns the same nil. The hook holds the late waiter
// in that gap, which luck finds once in many thousand rounds.
func TestGroupWaitEndingTheContextIsNoFailureToAnotherWaiter(t *testing.T) {
	for _, waiter := range []string{"Wait", "Shutdown"} {
		t.Run(waiter, func(t *testing.T) {
			p := newPool(t, WithWorkers(1))
			g, _ := NewGroup(context.Background(), p)
			release := make(chan struct{})
			g.Go(func(context.Context) error { <-release; return nil })

			hooked, resume := make(chan struct{}), make(chan struct{})
			var first atomic.Bool
			testHookAwait = func() {
				if first.CompareAndSwap(false, true) {
					close(hooked)
					<-resume
				}
			}
			defer func() { testHookAwait = nil }()
			late := make(chan error, 1)
			go func() {
				if waiter == "Wait" {
					late <- g.Wait()
				} else {
					late <- g.Shutdown(context.Background())
				}
			}()
			<-hooked // the late waiter has read a count of 1
			close(release)
			require.NoError(t, g.Wait(), "the first Wait")
			close(resume)
			require.NoError(t, <-late, "the late %s", waiter)
			require.NoError(t, g.Wait(), "a Wait after both")
		})
	}
}

func TestGroupOnAStoppedPool(t *testing.T) {
	t.Run("shut down", func(t *testing.T) {
		p, err := New()
		require.NoError(t, err)
		require.NoError(t, p.Close())
		g, gctx := NewGroup(context.Background(), p)
		var runs atomic.Int32
		g.Go(func(context.Context) error { runs.Add(1); return nil })
		f := Submit(gctx, g, countRuns(&runs))
		assert.ErrorIs(t, waitWithin(t, g), ErrShutdown)
		assert.ErrorIs(t, f.Err(), ErrShutdown)
		assert.Zero(t, runs.Load())
	})
	t.Run("ShutdownNow with tasks queued", func(t *testing.T) {
		p, err := New(WithWorkers(1))
		require.NoError(t, err)
		started, gate := make(chan struct{}), make(chan struct{})
		g, _ := NewGroup(context.Background(), p)
		g.Go(func(context.Context) error { close(started); <-gate; return nil })
		<-started
		var runs atomic.Int32
		g.Go(func(context.Context) error { runs.Add(1); return nil })
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = p.ShutdownNow(ctx)
		close(gate)
		err = waitWithin(t, g)
		assert.ErrorIs(t, err, ErrShutdown)
		assert.ErrorIs(t, err, ErrCancelled)
		assert.Zero(t, runs.Load())
		require.NoError(t, p.Close())
	})
	t.Run("broken", func(t *testing.T) {
		bad := errors.New("no database")
		p, err := New(WithWorkers(1), WithInitializer(func(context.Context) error { return bad }))
		require.NoError(t, err)
		defer p.Close()
		g, _ := NewGroup(context.Background(), p)
		var runs atomic.Int32
		for range 3 {
			g.Go(func(context.Context) error { runs.Add(1); return nil })
		}
		err = waitWithin(t, g)
		assert.ErrorIs(t, err, ErrBroken)
		assert.ErrorIs(t, err, bad)
		assert.Zero(t, runs.Load())
	})
}

func TestGroupBadInput(t *testing.T) {
	p := newPool(t)
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name string
		give func() (*Group, context.Context)
	}{
		{"nil ctx", func() (*Group, context.Context) {
			//lint:ignore SA1012 a nil ctx is what this checks
			return NewGroup(nil, p)
		}},
		{"nil executor", func() (*Group, context.Context) { return NewGroup(context.Background(), nil) }},
		{"nil *Pool", func() (*Group, context.Context) { return NewGroup(context.Background(), (*Pool)(nil)) }},
		{"zero Pool", func() (*Group, context.Context) { return NewGroup(context.Background(), &Pool{}) }},
		{"nil *Group", func() (*Group, context.Context) { return NewGroup(context.Background(), (*Group)(nil)) }},
		{"zero Group", func() (*Group, context.Context) { return NewGroup(context.Background(), &Group{}) }},
		{"nil option", func() (*Group, context.Context) { return NewGroup(context.Background(), p, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ctx := tt.give()
			require.NotNil(t, g)
			require.NotNil(t, ctx)
			assert.ErrorIs(t, context.Cause(ctx), ErrInvalidOption, "the context is not done with the error")
			var runs atomic.Int32
			g.Go(func(context.Context) error { runs.Add(1); return nil })
			assert.False(t, g.TryGo(ok))
			f := Submit(context.Background(), g, countRuns(&runs))
			assert.ErrorIs(t, f.Err(), ErrInvalidOption)
			assert.ErrorIs(t, g.Wait(), ErrInvalidOption)
			assert.ErrorIs(t, g.Shutdown(context.Background()), ErrInvalidOption)
			assert.Zero(t, runs.Load())
		})
	}

	t.Run("nil fn", func(t *testing.T) {
		g, gctx := NewGroup(context.Background(), p)
		g.Go(nil)
		assert.False(t, g.TryGo(nil))
		assert.ErrorIs(t, g.Wait(), ErrInvalidOption)
		assert.ErrorIs(t, context.Cause(gctx), ErrInvalidOption)
	})
	t.Run("zero and nil Group", func(t *testing.T) {
		for _, g := range []*Group{nil, {}} {
			g.Go(ok)
			assert.False(t, g.TryGo(ok))
			assert.ErrorIs(t, g.Wait(), ErrInvalidOption)
			assert.ErrorIs(t, g.Shutdown(context.Background()), ErrInvalidOption)
			_, err := TrySubmit(context.Background(), g, trivial)
			assert.ErrorIs(t, err, ErrInvalidOption)
			for _, err := range Map(context.Background(), g, slices.Values([]int{1}), square) {
				assert.ErrorIs(t, err, ErrInvalidOption)
			}
			_, err = Any(context.Background(), g, trivial)
			assert.ErrorIs(t, err, ErrInvalidOption)
		}
	})
	t.Run("nil Shutdown ctx", func(t *testing.T) {
		g, _ := NewGroup(context.Background(), p)
		//lint:ignore SA1012 a nil ctx is what this checks
		assert.ErrorIs(t, g.Shutdown(nil), ErrInvalidOption)
		g.Go(ok)
		require.NoError(t, g.Wait(), "a nil ctx closed the group")
	})
}

// TestGroupParentCancelled checks that a parent context done, before or
// while tasks are queued, keeps them from running and fails the group.
func TestGroupParentCancelled(t *testing.T) {
	cause := errors.New("user left")
	t.Run("before", func(t *testing.T) {
		p := newPool(t)
		parent, cancel := context.WithCancelCause(context.Background())
		cancel(cause)
		for _, opts := range [][]GroupOption{nil, {WithAllErrors()}} {
			g, gctx := NewGroup(parent, p, opts...)
			var runs atomic.Int32
			for range 10 {
				g.Go(func(context.Context) error { runs.Add(1); return nil })
			}
			f := Submit(gctx, g, countRuns(&runs))
			err := waitWithin(t, g)
			assert.ErrorIs(t, err, cause)
			assert.ErrorIs(t, err, ErrCancelled)
			assert.Equal(t, 1, countMatches(err, cause), "one error per cancelled task")
			assert.Zero(t, runs.Load())
			assert.Equal(t, Cancelled, f.State())
		}
	})
	t.Run("while queued", func(t *testing.T) {
		p := newPool(t, WithWorkers(1))
		_, release := holdWorker(t, p)
		defer release()
		parent, cancel := context.WithCancelCause(context.Background())
		g, _ := NewGroup(parent, p)
		var runs atomic.Int32
		for range 10 {
			g.Go(func(context.Context) error { runs.Add(1); return nil })
		}
		cancel(cause)
		// The worker is still busy: Wait takes the tasks out itself.
		err := waitWithin(t, g)
		assert.ErrorIs(t, err, cause)
		assert.Zero(t, runs.Load())
		assert.Zero(t, p.Stats().Queued)
	})
}

// countMatches counts the errors in err's tree, err included, that are
// target or wrap it directly.
func countMatches(err, target error) int {
	n := 0
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range multi.Unwrap() {
			if errors.Is(e, target) {
				n++
			}
		}
		return n
	}
	if errors.Is(err, target) {
		n++
	}
	return n
}

// TestGroupCancelledFutureIsNotAFailure checks that Future.Cancel on a
// future of the group, or a Map broken out of, does not fail the group.
func TestGroupCancelledFutureIsNotAFailure(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	_, release := holdWorker(t, p)
	g, gctx := NewGroup(context.Background(), p)
	f := Submit(gctx, g, trivial)
	require.True(t, f.Cancel())
	go release()
	for range Map(gctx, g, slices.Values([]int{1, 2, 3, 4}), square) {
		break
	}
	require.NoError(t, waitWithin(t, g))
}

func TestGroupTryGoNeverWaits(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithQueueSize(1))
	g, _ := NewGroup(context.Background(), p)
	gate := make(chan struct{})
	var runs atomic.Int32
	task := func(context.Context) error { <-gate; runs.Add(1); return nil }
	assert.True(t, g.TryGo(task)) // a new worker
	assert.True(t, g.TryGo(task)) // the queue
	assert.False(t, g.TryGo(task))
	assert.Equal(t, uint64(1), p.Stats().Rejected)
	close(gate)
	require.NoError(t, waitWithin(t, g), "a refused TryGo is not a failure")
	assert.Equal(t, int32(2), runs.Load())
}

// TestGroupTasksLeaveNothingBehind checks that nothing of a task of a group
// stays reachable from the pool or the group once it has completed.
func TestGroupTasksLeaveNothingBehind(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	g, _ := NewGroup(context.Background(), p)
	var done <-chan struct{}
	func() {
		x := new(payload)
		done = collected(x)
		g.Go(func(context.Context) error {
			if x[0] != 0 {
				return errors.New("unexpected")
			}
			return nil
		})
	}()
	// The group is still in use, and so is the pool.
	g.Go(func(context.Context) error { return nil })
	requireCollected(t, done, "a completed task's function")
	require.NoError(t, waitWithin(t, g))
}

// TestGroupStartsNoGoroutine makes groups whose contexts derive from a
// task's, as a group made in a task does, and from a group's: the context
// package would start a goroutine per group for a parent it cannot see
// through.
func TestGroupStartsNoGoroutine(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	const n = 1000
	var before, after int
	_, err := Submit(context.Background(), p, func(ctx context.Context) (int, error) {
		before = goroutines()
		deadline, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		gs := make([]*Group, 0, 3*n)
		for range n {
			g1, _ := NewGroup(ctx, p)
			g2, _ := NewGroup(deadline, p)
			//futuresvet:ignore a group made in a task with a foreign context, on purpose
			_, gctx := NewGroup(context.Background(), p)
			//futuresvet:ignore and one made with that group's context
			g3, _ := NewGroup(gctx, g1)
			gs = append(gs, g1, g2, g3)
		}
		after = goroutines()
		for _, g := range gs {
			if err := g.Wait(); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}).Result(context.Background())
	require.NoError(t, err)
	assert.Less(t, after-before, n/10, "goroutines started by %d groups", 3*n)
}

func TestAny(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	ctx := context.Background()
	errA, errB := errors.New("a"), errors.New("b")
	fail := func(err error) func(context.Context) (int, error) {
		return func(context.Context) (int, error) { return 0, err }
	}

	t.Run("first success", func(t *testing.T) {
		p := newPool(t, WithWorkers(3))
		started := make(chan struct{})
		var cause atomic.Value
		v, err := Any(ctx, p, fail(errA), func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			cause.Store(context.Cause(ctx))
			return 0, ctx.Err()
		}, func(context.Context) (int, error) {
			<-started
			return 7, nil
		})
		require.NoError(t, err)
		assert.Equal(t, 7, v)
		require.NoError(t, p.Shutdown(ctx))
		assert.Equal(t, errAnyDone, cause.Load(), "the loser's context was not cancelled")
	})
	t.Run("all fail", func(t *testing.T) {
		_, err := Any(ctx, p, fail(errA), fail(errB), nil)
		assert.ErrorIs(t, err, errA)
		assert.ErrorIs(t, err, errB)
		assert.ErrorIs(t, err, ErrInvalidOption)
	})
	t.Run("none", func(t *testing.T) {
		_, err := Any[int](ctx, p)
		assert.ErrorIs(t, err, ErrInvalidOption)
		//lint:ignore SA1012 a nil ctx is what this checks
		_, err = Any(nil, p, trivial)
		assert.ErrorIs(t, err, ErrInvalidOption)
		_, err = Any(ctx, nil, trivial)
		assert.ErrorIs(t, err, ErrInvalidOption)
	})
	t.Run("ctx done", func(t *testing.T) {
		// Whether Any sees ctx done or the last function fail first, it
		// returns the cause: rounds, for both orders to come up.
		for range 200 {
			cause := errors.New("enough")
			done, cancel := context.WithCancelCause(ctx)
			started := make(chan struct{})
			go func() { <-started; cancel(cause) }()
			_, err := Any(done, p, func(ctx context.Context) (int, error) {
				close(started)
				<-ctx.Done()
				return 0, ctx.Err()
			}, fail(errA), fail(errB))
			require.ErrorIs(t, err, cause)
		}
	})
	t.Run("first in time", func(t *testing.T) {
		// The first function succeeds too, but only once the second
		// has: Any returns the second's value.
		p := newPool(t, WithWorkers(2))
		for range 100 {
			v, err := Any(ctx, p, func(ctx context.Context) (int, error) {
				<-ctx.Done() // the second has succeeded
				return 0, nil
			}, func(context.Context) (int, error) { return 1, nil })
			require.NoError(t, err)
			require.Equal(t, 1, v, "Any returned a later success")
		}
	})
	t.Run("queued losers never run", func(t *testing.T) {
		p := newPool(t, WithWorkers(1))
		var runs atomic.Int32
		fns := []func(context.Context) (int, error){trivial}
		for range 5 {
			fns = append(fns, countRuns(&runs))
		}
		v, err := Any(ctx, p, fns...)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		require.NoError(t, p.Shutdown(ctx))
		assert.Zero(t, runs.Load())
	})
	t.Run("in a task of a full pool", func(t *testing.T) {
		p := newPool(t, WithWorkers(1), WithQueueSize(0))
		err := inTask(t, p, func(ctx context.Context) error {
			v, err := Any(ctx, p, fail(errA), fail(errB), trivial)
			if v != 1 {
				return errors.Join(errors.New("wrong value"), err)
			}
			return err
		})
		require.NoError(t, err)
	})
	t.Run("on a group", func(t *testing.T) {
		g, gctx := NewGroup(ctx, p)
		v, err := Any(gctx, g, fail(errA), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		}, trivial)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		require.NoError(t, waitWithin(t, g), "the losers failed the group")
	})
}

// TestGroupSubmitStopsWaitingForRoomWhenItFails checks that a Submit to a
// group waiting for room in a full queue gives up once the group fails, as
// its task would not run.
func TestGroupSubmitStopsWaitingForRoomWhenItFails(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithQueueSize(0))
	_, release := holdWorker(t, p)
	defer release()
	g, _ := NewGroup(context.Background(), p)
	boom := errors.New("boom")
	futures := make(chan *Future[int], 1)
	go func() { futures <- Submit(context.Background(), g, trivial) }() // not the group's context
	for p.queue.waiters() == 0 {
		runtime.Gosched()
	}
	g.fail(boom)
	f := receiveWithin(t, futures)
	assert.Equal(t, Cancelled, f.State())
	assert.ErrorIs(t, f.Err(), boom)
	assert.Equal(t, boom, waitWithin(t, g))
}
