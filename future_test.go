package futures

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubmitWaitsForRoomInQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		p := newPool(t, WithWorkers(1), WithQueueSize(1))
		_, release := holdWorker(t, p)
		var runs atomic.Int32
		queued := Submit(bg, p, countRuns(&runs)) // there is room: returns at once
		assert.Equal(t, Pending, queued.State())

		submitted := make(chan *Future[int], 1)
		go func() { submitted <- Submit(bg, p, countRuns(&runs)) }()
		synctest.Wait()
		require.Empty(t, submitted, "Submit returned while the queue was full")

		release()
		waited := <-submitted
		for _, f := range []*Future[int]{queued, waited} {
			v, err := f.Result(bg)
			require.NoError(t, err)
			assert.Equal(t, 1, v)
		}
		assert.Equal(t, int32(2), runs.Load())
	})
}

func TestSubmitContextDoneWhileWaitingForRoom(t *testing.T) {
	for _, size := range []int{0, 1} {
		t.Run(fmt.Sprintf("queue=%d", size), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bg := context.Background()
				p := newPool(t, WithWorkers(1), WithQueueSize(size))
				_, release := holdWorker(t, p)
				var runs, waitingRuns atomic.Int32
				for range size {
					Submit(bg, p, countRuns(&runs))
				}

				ctx, cancel := context.WithCancelCause(bg)
				submitted := make(chan *Future[int], 1)
				go func() { submitted <- Submit(ctx, p, countRuns(&waitingRuns)) }()
				synctest.Wait()
				require.Empty(t, submitted, "Submit returned while the queue was full")

				cause := errors.New("caller gave up")
				cancel(cause)
				f := <-submitted
				assert.True(t, isDone(f))
				assert.Equal(t, Cancelled, f.State())
				assert.ErrorIs(t, f.Err(), ErrCancelled)
				assert.ErrorIs(t, f.Err(), cause)

				release()
				require.NoError(t, p.Close())
				assert.Zero(t, waitingRuns.Load())
				assert.Equal(t, int32(size), runs.Load())
			})
		})
	}
}

func TestTaskGetsSubmitContext(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	type key struct{}
	ctx, cancel := context.WithCancelCause(context.WithValue(context.Background(), key{}, "value"))
	started := make(chan struct{})
	f := Submit(ctx, p, func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done()
		v, _ := ctx.Value(key{}).(string)
		return v, context.Cause(ctx)
	})
	<-started
	cause := errors.New("stop now")
	cancel(cause)
	v, err := f.Result(context.Background())
	assert.Equal(t, "value", v)
	assert.Same(t, cause, err)
}

func TestTaskNotRunWhenContextDoneBeforeStart(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	_, release := holdWorker(t, p)
	ctx, cancel := context.WithCancelCause(context.Background())
	var runs atomic.Int32
	f := Submit(ctx, p, countRuns(&runs))
	cause := errors.New("not needed any more")
	cancel(cause)
	release()

	<-f.Done()
	assert.Equal(t, Cancelled, f.State())
	_, err := f.Result(context.Background())
	assert.ErrorIs(t, err, ErrCancelled)
	assert.ErrorIs(t, err, cause)
	assert.Zero(t, runs.Load())
}

func TestTrySubmitQueueFull(t *testing.T) {
	for _, size := range []int{0, 1} {
		t.Run(fmt.Sprintf("queue=%d", size), func(t *testing.T) {
			bg := context.Background()
			p := newPool(t, WithWorkers(1), WithQueueSize(size))
			_, release := holdWorker(t, p)
			var runs, rejectedRuns atomic.Int32
			queued := make([]*Future[int], size)
			for i := range queued {
				var err error
				queued[i], err = TrySubmit(bg, p, countRuns(&runs))
				require.NoError(t, err)
			}

			f, err := TrySubmit(bg, p, countRuns(&rejectedRuns))
			assert.Nil(t, f)
			assert.ErrorIs(t, err, ErrQueueFull)

			release()
			for _, f := range queued {
				_, err := f.Result(bg)
				assert.NoError(t, err)
			}
			require.NoError(t, p.Close())
			assert.Zero(t, rejectedRuns.Load())
		})
	}
}

func TestTrySubmitAfterShutdown(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	require.NoError(t, p.Close())
	var runs atomic.Int32
	f, err := TrySubmit(context.Background(), p, countRuns(&runs))
	assert.Nil(t, f)
	assert.ErrorIs(t, err, ErrShutdown)
	assert.Zero(t, runs.Load())
}

func TestSubmitAfterShutdown(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	require.NoError(t, p.Close())
	var runs atomic.Int32
	f := Submit(context.Background(), p, countRuns(&runs))
	assert.True(t, isDone(f))
	assert.Equal(t, Finished, f.State())
	_, err := f.Result(context.Background())
	assert.ErrorIs(t, err, ErrShutdown)
	assert.Zero(t, runs.Load())
}

func TestSubmitInvalidArguments(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	var runs atomic.Int32
	fn := countRuns(&runs)
	tests := []struct {
		name string
		ctx  context.Context
		ex   Executor
		fn   func(context.Context) (int, error)
	}{
		{name: "nil function", ctx: bg, ex: p, fn: nil},
		{name: "nil executor", ctx: bg, ex: nil, fn: fn},
		{name: "typed nil executor", ctx: bg, ex: (*Pool)(nil), fn: fn},
		{name: "nil context", ctx: nil, ex: p, fn: fn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *Future[int]
			require.NotPanics(t, func() { f = Submit(tt.ctx, tt.ex, tt.fn) })
			require.NotNil(t, f)
			assert.True(t, isDone(f))
			assert.Equal(t, Finished, f.State())
			_, err := f.Result(bg)
			require.ErrorIs(t, err, ErrInvalidOption)
			assert.True(t, strings.HasPrefix(err.Error(), "futures: "), "message %q", err)

			var tf *Future[int]
			require.NotPanics(t, func() { tf, err = TrySubmit(tt.ctx, tt.ex, tt.fn) })
			assert.Nil(t, tf)
			assert.ErrorIs(t, err, ErrInvalidOption)
		})
	}
	require.NoError(t, p.Close())
	assert.Zero(t, runs.Load())
}

var errPanicValue = errors.New("task panicked on purpose")

// panickingTask panics with errPanicValue. It is a named function so that its
// name can be looked for in the stack of the PanicError.
func panickingTask(context.Context) (int, error) {
	panic(errPanicValue)
}

func TestTaskPanicIsRecovered(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	f := Submit(bg, p, panickingTask)
	_, err := f.Result(bg)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Same(t, errPanicValue, pe.Value)
	assert.Contains(t, string(pe.Stack), "futures.panickingTask")
	assert.ErrorIs(t, err, errPanicValue, "errors.Is sees through the PanicError")
	assert.True(t, strings.HasPrefix(err.Error(), "futures: "), "message %q", err)
	assert.Equal(t, Finished, f.State())

	// The only worker lives on.
	v, err := Submit(bg, p, func(context.Context) (int, error) { return 1, nil }).Result(bg)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
}

func TestPanicErrorUnwrap(t *testing.T) {
	errValue := errors.New("an error value")
	tests := []struct {
		name       string
		give       any
		wantUnwrap error
	}{
		{name: "error", give: errValue, wantUnwrap: errValue},
		{name: "string", give: "boom", wantUnwrap: nil},
		{name: "int", give: 42, wantUnwrap: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(t, WithWorkers(1))
			_, err := Submit(context.Background(), p, func(context.Context) (int, error) { panic(tt.give) }).Result(context.Background())
			var pe *PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.give, pe.Value)
			assert.Equal(t, tt.wantUnwrap, pe.Unwrap())
		})
	}
}

func TestTaskPanicNil(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	_, err := Submit(context.Background(), p, func(context.Context) (int, error) { panic(nil) }).Result(context.Background())
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.IsType(t, &runtime.PanicNilError{}, pe.Value)
	var pne *runtime.PanicNilError
	assert.ErrorAs(t, err, &pne)
}

func TestTaskGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 2
		bg := context.Background()
		p := newPool(t, WithWorkers(workers))

		var arrived sync.WaitGroup
		arrived.Add(workers)
		exits := make([]*Future[int], workers)
		for i := range exits {
			exits[i] = Submit(bg, p, func(context.Context) (int, error) {
				// Both tasks run at once, so each ends a different worker.
				arrived.Done()
				arrived.Wait()
				runtime.Goexit()
				return 1, nil
			})
		}
		for _, f := range exits {
			_, err := f.Result(bg)
			assert.ErrorIs(t, err, ErrGoexit)
			assert.Equal(t, Finished, f.State())
		}
		assert.Equal(t, workers, p.Stats().Workers)

		// Both workers were replaced: two tasks still run at once.
		var again sync.WaitGroup
		again.Add(workers)
		fs := make([]*Future[int], workers)
		for i := range fs {
			fs[i] = Submit(bg, p, func(context.Context) (int, error) {
				again.Done()
				again.Wait()
				return 1, nil
			})
		}
		for _, f := range fs {
			v, err := f.Result(bg)
			require.NoError(t, err)
			assert.Equal(t, 1, v)
		}
		assert.Equal(t, workers, p.Stats().Workers)
	})
}

func TestCancelPendingFuture(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	_, release := holdWorker(t, p)
	var runs, calls atomic.Int32
	f := Submit(bg, p, countRuns(&runs))
	f.OnDone(func(*Future[int]) { calls.Add(1) })
	require.Equal(t, Pending, f.State())

	require.True(t, f.Cancel())
	assert.True(t, isDone(f))
	assert.Equal(t, Cancelled, f.State())
	_, err := f.Result(bg)
	assert.ErrorIs(t, err, ErrCancelled)
	assert.Equal(t, int32(1), calls.Load(), "callbacks run by the time Cancel returns")
	assert.True(t, f.Cancel(), "Cancel of a cancelled future")

	release()
	require.NoError(t, p.Close())
	assert.Zero(t, runs.Load())
	assert.Equal(t, Cancelled, f.State())
	assert.Equal(t, int32(1), calls.Load())
}

func TestCancelRunningFuture(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	held, release := holdWorker(t, p)
	assert.False(t, held.Cancel())
	assert.Equal(t, Running, held.State())
	assert.False(t, isDone(held))
	assert.NoError(t, held.Err())

	release()
	v, err := held.Result(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	assert.Equal(t, Finished, held.State())
}

func TestCancelFinishedFuture(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	failure := errors.New("failed")
	f := Submit(bg, p, func(context.Context) (int, error) { return 3, failure })
	<-f.Done()
	assert.False(t, f.Cancel())
	assert.Equal(t, Finished, f.State())
	v, err := f.Result(bg)
	assert.Equal(t, 3, v)
	assert.Same(t, failure, err)
}

func TestResultContextEndsFirst(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	held, release := holdWorker(t, p)
	var runs atomic.Int32
	pending := Submit(bg, p, countRuns(&runs))

	ctx, cancel := context.WithCancelCause(bg)
	cause := errors.New("impatient")
	cancel(cause)
	for _, f := range []*Future[int]{held, pending} {
		v, err := f.Result(ctx)
		assert.Zero(t, v)
		assert.Same(t, cause, err)
		assert.NoError(t, f.Err())
	}
	assert.Equal(t, Running, held.State())
	assert.Equal(t, Pending, pending.State())

	release()
	for _, f := range []*Future[int]{held, pending} {
		v, err := f.Result(bg)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		assert.Equal(t, Finished, f.State())
	}
	assert.Equal(t, int32(1), runs.Load())
}

func TestResultNilContext(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	held, release := holdWorker(t, p)
	pending := Submit(context.Background(), p, func(context.Context) (int, error) { return 1, nil })
	for _, f := range []*Future[int]{held, pending} {
		//lint:ignore SA1012 a nil Context is what this test is about
		_, err := f.Result(nil)
		assert.ErrorIs(t, err, ErrInvalidOption)
	}
	assert.Equal(t, Running, held.State())
	assert.Equal(t, Pending, pending.State())

	// Complete, the future still rejects a nil Context: the answer must not
	// depend on timing.
	release()
	for _, f := range []*Future[int]{held, pending} {
		<-f.Done()
		//lint:ignore SA1012 a nil Context is what this test is about
		_, err := f.Result(nil)
		assert.ErrorIs(t, err, ErrInvalidOption)
	}
}

func TestErrIsNilUntilComplete(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	_, release := holdWorker(t, p)
	failure := errors.New("failed")
	started := make(chan struct{})
	gate := make(chan struct{})
	f := Submit(context.Background(), p, func(context.Context) (int, error) {
		close(started)
		<-gate
		return 0, failure
	})
	assert.NoError(t, f.Err(), "pending")
	release()
	<-started
	assert.NoError(t, f.Err(), "running")
	close(gate)
	<-f.Done()
	assert.Same(t, failure, f.Err())
	_, err := f.Result(context.Background())
	assert.Same(t, f.Err(), err)
}

func TestStateString(t *testing.T) {
	tests := []struct {
		give State
		want string
	}{
		{give: Pending, want: "pending"},
		{give: Running, want: "running"},
		{give: Cancelled, want: "cancelled"},
		{give: Finished, want: "finished"},
		{give: State(9), want: "State(9)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.give.String())
	}
}

func TestOnDoneRunsCallbacksInOrderAfterCompletion(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	gate := make(chan struct{})
	f := Submit(context.Background(), p, func(context.Context) (int, error) {
		<-gate
		return 7, nil
	})
	const n = 5
	var calls [n]atomic.Int32
	var order []int // appended to by the callbacks, which run one after another
	lastRan := make(chan struct{})
	for i := range n {
		f.OnDone(func(g *Future[int]) {
			assert.Same(t, f, g)
			assert.True(t, isDone(g), "callback %d ran before completion", i)
			v, err := g.Result(context.Background())
			assert.NoError(t, err)
			assert.Equal(t, 7, v)
			calls[i].Add(1)
			order = append(order, i)
			if i == n-1 {
				close(lastRan)
			}
		})
	}
	close(gate)
	<-lastRan
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)

	require.NoError(t, p.Close())
	for i := range calls {
		assert.Equal(t, int32(1), calls[i].Load(), "callback %d", i)
	}
}

func TestOnDoneAfterCompletionRunsInCaller(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	ran := Submit(bg, p, func(context.Context) (int, error) { return 1, nil })
	_, release := holdWorker(t, p)
	cancelled := Submit(bg, p, func(context.Context) (int, error) { return 1, nil })
	require.True(t, cancelled.Cancel())
	release()
	// Once the workers have exited, completing ran, callbacks included, is over.
	require.NoError(t, p.Close())
	rejected := Submit(bg, p, func(context.Context) (int, error) { return 1, nil })
	invalid := Submit[int](bg, p, nil)

	for name, f := range map[string]*Future[int]{"ran": ran, "cancelled": cancelled, "rejected": rejected, "invalid": invalid} {
		calls := 0 // not atomic: the race detector objects if the callback runs elsewhere
		f.OnDone(func(*Future[int]) { calls++ })
		assert.Equal(t, 1, calls, name)
	}
}

// OnDone on a future that has just completed must run fn before it returns,
// even while the worker is still inside finish. The window is a few
// instructions wide: a race here shows up in some of many futures (about 1
// in 50 under -race when finish appended such a callback instead).
func TestOnDoneOnJustCompletedFutureRunsInCaller(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1))
	for i := range 20_000 {
		f := Submit(bg, p, func(context.Context) (int, error) { return 1, nil })
		_ = f.Done() // gives finish a channel to close, which widens the window
		_, err := f.Result(bg)
		var ran atomic.Bool
		f.OnDone(func(*Future[int]) { ran.Store(true) })
		require.NoError(t, err)
		require.True(t, ran.Load(), "future %d: OnDone on a complete future returned before running fn", i)
	}
}

func TestOnDonePanickingCallback(t *testing.T) {
	bg := context.Background()
	panics := make(chan *PanicError, 2)
	p := newPool(t, WithWorkers(1), WithCallbackPanicHandler(func(e *PanicError) { panics <- e }))
	gate := make(chan struct{})
	f := Submit(bg, p, func(context.Context) (int, error) {
		<-gate
		return 1, nil
	})
	var ran [3]atomic.Int32
	lastRan := make(chan struct{})
	f.OnDone(func(*Future[int]) { ran[0].Add(1) })
	f.OnDone(func(*Future[int]) { ran[1].Add(1); panic("callback boom") })
	f.OnDone(func(*Future[int]) { ran[2].Add(1); close(lastRan) })
	close(gate)
	<-lastRan
	e := <-panics
	assert.Equal(t, "callback boom", e.Value)
	assert.Equal(t, uint64(1), p.Stats().CallbackPanics)

	// The only worker lives on; once it has run another task, f's
	// completion is over.
	v, err := Submit(bg, p, func(context.Context) (int, error) { return 2, nil }).Result(bg)
	require.NoError(t, err)
	assert.Equal(t, 2, v)

	// A callback added after completion runs in the caller; its panic is
	// handled the same way.
	require.NotPanics(t, func() { f.OnDone(func(*Future[int]) { panic("late boom") }) })
	require.Len(t, panics, 1)
	e = <-panics
	assert.Equal(t, "late boom", e.Value)
	assert.Equal(t, uint64(2), p.Stats().CallbackPanics)

	require.NoError(t, p.Close())
	for i := range ran {
		assert.Equal(t, int32(1), ran[i].Load(), "callback %d", i)
	}
}

func TestOnDoneIgnoresNil(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	_, release := holdWorker(t, p)
	f := Submit(context.Background(), p, func(context.Context) (int, error) { return 1, nil })
	var calls atomic.Int32
	require.NotPanics(t, func() { f.OnDone(nil) })
	f.OnDone(func(*Future[int]) { calls.Add(1) })
	release()
	require.NoError(t, p.Close())
	assert.Equal(t, int32(1), calls.Load())
	require.NotPanics(t, func() { f.OnDone(nil) })
}

// outcome is a future that completed in one particular way.
type outcome struct {
	name      string
	f         *Future[int]
	wantState State
	wantErr   bool
	calls     *atomic.Int32 // runs of an OnDone callback added right after Submit
}

// everyOutcome returns futures completed in every way a future can complete.
// Those submitted to a working pool are submitted behind a held worker, so
// that their callbacks are added before they complete. The pools are closed
// on return, so every completion, callbacks included, is over.
func everyOutcome(t *testing.T) []outcome {
	t.Helper()
	bg := context.Background()
	ok := func(context.Context) (int, error) { return 1, nil }
	var outs []outcome
	add := func(name string, f *Future[int], want State) {
		calls := new(atomic.Int32)
		f.OnDone(func(*Future[int]) { calls.Add(1) })
		outs = append(outs, outcome{name: name, f: f, wantState: want, wantErr: true, calls: calls})
	}

	p := newPool(t, WithWorkers(1), WithQueueSize(8))
	held, release := holdWorker(t, p)
	add("running, then succeeded", held, Finished)
	add("succeeded", Submit(bg, p, ok), Finished)
	outs[0].wantErr, outs[1].wantErr = false, false
	add("failed", Submit(bg, p, func(context.Context) (int, error) { return 0, errors.New("failed") }), Finished)
	add("panicked", Submit(bg, p, func(context.Context) (int, error) { panic("boom") }), Finished)
	add("called Goexit", Submit(bg, p, func(context.Context) (int, error) { runtime.Goexit(); return 1, nil }), Finished)
	cancelled := Submit(bg, p, ok)
	add("cancelled by Cancel", cancelled, Cancelled)
	ctx, cancel := context.WithCancelCause(bg)
	add("context done before start", Submit(ctx, p, ok), Cancelled)
	cancel(errors.New("too late"))
	require.True(t, cancelled.Cancel())
	release()
	require.NoError(t, p.Close())
	add("submitted after shutdown", Submit(bg, p, ok), Finished)

	p = newPool(t, WithWorkers(1), WithQueueSize(0))
	_, release = holdWorker(t, p)
	ctx, cancel = context.WithCancelCause(bg)
	cancel(errors.New("gave up"))
	add("context done while waiting for room", Submit(ctx, p, ok), Cancelled)
	release()
	require.NoError(t, p.Close())

	p = newPool(t, WithWorkers(1))
	_, release = holdWorker(t, p)
	f := Submit(bg, p, ok)
	add("cancelled by ShutdownNow", f, Cancelled)
	errc := make(chan error, 1)
	go func() { errc <- p.ShutdownNow(bg) }()
	<-f.Done()
	release()
	require.NoError(t, <-errc)

	gate := make(chan struct{})
	p = newPool(t, WithWorkers(1), WithInitializer(func(context.Context) error {
		<-gate
		return errors.New("init failed")
	}))
	add("queued when the pool broke", Submit(bg, p, ok), Finished)
	close(gate)
	require.NoError(t, p.Close())
	add("submitted to a broken pool", Submit(bg, p, ok), Finished)

	add("invalid", Submit[int](bg, nil, ok), Finished)
	return outs
}

func TestFutureCompletesExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, o := range everyOutcome(t) {
			assert.True(t, isDone(o.f), o.name)
			assert.Equal(t, o.wantState, o.f.State(), o.name)
			assert.Equal(t, int32(1), o.calls.Load(), "%s: callbacks", o.name)
			late := 0
			o.f.OnDone(func(*Future[int]) { late++ })
			assert.Equal(t, 1, late, "%s: callback added after completion", o.name)
			assert.Equal(t, o.wantState == Cancelled, o.f.Cancel(), "%s: Cancel of a complete future", o.name)
			assert.Equal(t, o.wantState, o.f.State(), "%s: after Cancel", o.name)
			assert.Equal(t, int32(1), o.calls.Load(), "%s: callbacks after Cancel", o.name)
		}
	})
}

func TestResultReturnsSameOutcomeEveryTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		for _, o := range everyOutcome(t) {
			v1, err1 := o.f.Result(bg)
			v2, err2 := o.f.Result(bg)
			assert.Equal(t, v1, v2, o.name)
			assert.True(t, err1 == err2, "%s: %v, then %v", o.name, err1, err2)
			assert.True(t, err1 == o.f.Err(), "%s: Result gave %v, Err %v", o.name, err1, o.f.Err())
			assert.Equal(t, o.wantErr, err1 != nil, "%s: error %v", o.name, err1)
		}
	})
}

func TestNestedSubmitCannotDeadlock(t *testing.T) {
	tests := []struct {
		name string
		give []Option
	}{
		{name: "one worker", give: []Option{WithWorkers(1)}},
		{name: "one worker, unbuffered queue", give: []Option{WithWorkers(1), WithQueueSize(0)}},
		{name: "two workers", give: []Option{WithWorkers(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In a bubble, a deadlock fails the test at once instead of hanging.
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, tt.give...)
				// fib submits both of its halves to p and waits for them, from
				// inside a task of p.
				var fib func(ctx context.Context, n int) (int, error)
				fib = func(ctx context.Context, n int) (int, error) {
					if n < 2 {
						return n, nil
					}
					a := Submit(ctx, p, func(ctx context.Context) (int, error) { return fib(ctx, n-1) })
					b := Submit(ctx, p, func(ctx context.Context) (int, error) { return fib(ctx, n-2) })
					x, err := a.Result(ctx)
					if err != nil {
						return 0, err
					}
					y, err := b.Result(ctx)
					if err != nil {
						return 0, err
					}
					return x + y, nil
				}
				v, err := Submit(context.Background(), p, func(ctx context.Context) (int, error) { return fib(ctx, 20) }).Result(context.Background())
				require.NoError(t, err)
				assert.Equal(t, 6765, v)
			})
		})
	}
}

// A task may return the zero value with a nil error: that is a success like
// any other, not a missing result.
func TestZeroValueWithNilErrorIsASuccess(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	f := Submit(context.Background(), p, func(context.Context) (*int, error) { return nil, nil })
	v, err := f.Result(context.Background())
	assert.NoError(t, err)
	assert.Nil(t, v)
	assert.Equal(t, Finished, f.State())
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, uint64(1), p.Stats().Succeeded)
}

// TestBlockingWaitersAllWake has many goroutines wait, with a context that
// never ends, for one future that completes as they arrive: before, during
// and after the first of them blocks. Each must return with its result.
// Result then waits on the future's gate, which each waiter passes on to
// the next.
func TestBlockingWaitersAllWake(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	const waiters = 16
	for round := range 500 {
		gate := make(chan struct{})
		f := Submit(context.Background(), p, func(context.Context) (int, error) {
			<-gate
			return round, nil
		})
		var wg sync.WaitGroup
		wait := func() {
			wg.Go(func() {
				v, err := f.Result(context.Background())
				assert.NoError(t, err)
				assert.Equal(t, round, v)
			})
		}
		early := round % waiters
		for range early {
			wait()
		}
		if early > 0 {
			// The first has armed the gate: it blocks, or is about to.
			for f.flags.Load()&armed == 0 {
				runtime.Gosched()
			}
		}
		close(gate)
		for range waiters - early {
			wait()
		}
		wg.Wait()
	}
}

// TestResultBlocksDurablyInABubble checks that a goroutine blocked in Result
// with a context that never ends lets a testing/synctest bubble's clock
// advance: the task it waits for sleeps, and only the fake clock can wake it.
func TestResultBlocksDurablyInABubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, WithWorkers(1))
		f := Submit(context.Background(), p, func(context.Context) (int, error) {
			time.Sleep(time.Hour)
			return 1, nil
		})
		v, err := f.Result(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 1, v)
	})
}

// TestFutureBetweenReturnAndCompletion checks a future in the moment between
// its task's return and its completion, held open here by holding the
// queue's lock, which the worker takes for its next task before it
// completes the future: the future is still Running and not done, and the
// task's context, its task having returned, is no longer the pool's own.
func TestFutureBetweenReturnAndCompletion(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	returning := make(chan context.Context)
	f := Submit(context.Background(), p, func(ctx context.Context) (int, error) {
		p.queue.mu.Lock() // unlocked by the test
		returning <- ctx
		return 1, nil
	})
	ctx := <-returning
	for State(f.ctx.state.Load()) != finishing {
		runtime.Gosched()
	}
	assert.Equal(t, Running, f.State())
	assert.False(t, isDone(f))
	_, ok := WorkerIndex(ctx)
	assert.False(t, ok, "WorkerIndex of a task that has returned")
	p.queue.mu.Unlock()
	v, err := f.Result(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	assert.Equal(t, Finished, f.State())
}
