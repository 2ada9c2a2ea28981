package futures

import (
	"bytes"
	"context"
	"errors"
	"log"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resultWithin returns f's result, or fails the test if f does not complete
// within stuck: a lost task shows up as a failure rather than a hung test.
func resultWithin[T any](t *testing.T, f *Future[T]) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stuck)
	defer cancel()
	v, err := f.Result(ctx)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "the future did not complete")
	return v, err
}

// receiveWithin receives from ch, or fails the test if nothing comes within
// stuck.
func receiveWithin[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(stuck):
		require.FailNow(t, "nothing received")
		panic("unreachable")
	}
}

// goexitOnDone adds to f a callback that closes exited and calls
// runtime.Goexit.
func goexitOnDone[T any](f *Future[T], exited chan<- struct{}) {
	f.OnDone(func(*Future[T]) {
		close(exited)
		runtime.Goexit()
	})
}

func TestOnDoneGoexitRunsLaterCallbacks(t *testing.T) {
	tests := []struct {
		name string
		// complete completes f, which is queued behind a held worker
		// that release lets go, and whose task waits for gate.
		complete func(t *testing.T, f *Future[int], release func(), gate chan struct{})
	}{
		{"on a worker", func(t *testing.T, f *Future[int], release func(), gate chan struct{}) {
			release()
			close(gate)
		}},
		{"in Cancel", func(t *testing.T, f *Future[int], release func(), gate chan struct{}) {
			// The goroutine that cancels ends in the callback.
			cancelled := make(chan bool)
			go func() {
				defer close(cancelled)
				cancelled <- f.Cancel()
			}()
			_, ok := <-cancelled
			assert.False(t, ok, "Cancel returned: the goroutine did not end")
			release()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(t, WithWorkers(1), WithQueueSize(1))
			gate := make(chan struct{})
			_, release := holdWorker(t, p)
			// Queued behind the held worker, so that Cancel finds it
			// pending.
			f := Submit(context.Background(), p, func(context.Context) (int, error) {
				<-gate
				return 1, nil
			})
			var before, after atomic.Int32
			f.OnDone(func(*Future[int]) { before.Add(1) })
			exited := make(chan struct{})
			goexitOnDone(f, exited)
			f.OnDone(func(*Future[int]) { after.Add(1) })
			ch := AsCompleted(f)

			tt.complete(t, f, release, gate)
			assert.Same(t, f, receiveWithin(t, ch), "AsCompleted did not deliver")
			_, open := <-ch
			assert.False(t, open)
			<-exited
			assert.Equal(t, int32(1), before.Load())
			assert.Equal(t, int32(1), after.Load(), "the callback after the one that called Goexit")
		})
	}
}

// TestOnDoneGoexitKeepsQueuedTasks ends the only worker in a callback while
// it has taken its next task from the queue: the worker that replaces it
// must run that task and the rest.
func TestOnDoneGoexitKeepsQueuedTasks(t *testing.T) {
	const queued = 4
	p := newPool(t, WithWorkers(1), WithQueueSize(queued))
	gate := make(chan struct{})
	first := Submit(context.Background(), p, func(context.Context) (int, error) {
		<-gate
		return 1, nil
	})
	exited := make(chan struct{})
	goexitOnDone(first, exited)
	var runs atomic.Int32
	fs := make([]*Future[int], queued)
	for i := range fs {
		fs[i] = Submit(context.Background(), p, countRuns(&runs))
	}
	close(gate)
	<-exited
	for i, f := range fs {
		_, err := resultWithin(t, f)
		require.NoError(t, err, "task %d", i)
	}
	assert.Equal(t, int32(queued), runs.Load())
	assert.Equal(t, 1, p.Stats().Workers)
	assertRunsTwoInTurn(t, p)
}

// TestOnDoneGoexitOnIdleWorker ends the only worker in a callback after it
// found the queue empty and made itself idle: the worker that replaces it
// must be idle once, not twice, or a task handed to the stale entry is lost.
func TestOnDoneGoexitOnIdleWorker(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithQueueSize(1))
	gate := make(chan struct{})
	f := Submit(context.Background(), p, func(context.Context) (int, error) {
		<-gate
		return 1, nil
	})
	exited := make(chan struct{})
	goexitOnDone(f, exited)
	close(gate)
	<-exited
	assertRunsTwoInTurn(t, p)
	assert.Equal(t, 1, p.Stats().Workers)
}

// assertRunsTwoInTurn submits a task that holds p's only worker, then one
// more, and checks that both run.
func assertRunsTwoInTurn(t *testing.T, p *Pool) {
	t.Helper()
	started := make(chan struct{})
	unblock := make(chan struct{})
	held := Submit(context.Background(), p, func(context.Context) (int, error) {
		close(started)
		<-unblock
		return 1, nil
	})
	receiveWithin(t, started)
	var runs atomic.Int32
	next := Submit(context.Background(), p, countRuns(&runs))
	close(unblock)
	_, err := resultWithin(t, held)
	require.NoError(t, err)
	_, err = resultWithin(t, next)
	require.NoError(t, err)
	assert.Equal(t, int32(1), runs.Load())
}

// TestInitializerGoexitCompletesFirstTask ends a worker in its initializer,
// which it runs on starting for its first task: the worker that replaces it
// must complete that task, with the broken pool's error.
func TestInitializerGoexitCompletesFirstTask(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithInitializer(func(context.Context) error {
		runtime.Goexit()
		return nil
	}))
	var runs atomic.Int32
	_, err := resultWithin(t, Submit(context.Background(), p, countRuns(&runs)))
	assert.ErrorIs(t, err, ErrBroken)
	assert.ErrorIs(t, err, ErrGoexit)
	require.NoError(t, p.Close())
	assert.Zero(t, runs.Load())
}

// TestPanicNilUnderGODEBUG checks that panic(nil) is a panic, not Goexit,
// when GODEBUG=panicnil=1 (or a godebug line in the main module's go.mod)
// makes recover return nil for it. A //go:debug line in a test file would
// apply to the whole test binary, so the test runs itself in a process of
// its own with the setting in its environment, as the standard library's
// tests do.
func TestPanicNilUnderGODEBUG(t *testing.T) {
	if os.Getenv("FUTURES_TEST_PANICNIL") != "1" {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPanicNilUnderGODEBUG$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "GODEBUG=panicnil=1", "FUTURES_TEST_PANICNIL=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "--- PASS: TestPanicNilUnderGODEBUG", "%s", out)
		return
	}
	require.Nil(t, recoverNilPanic(), "GODEBUG=panicnil=1 is not in effect")
	bg := context.Background()

	t.Run("task", func(t *testing.T) {
		p := newPool(t, WithWorkers(1))
		_, err := Submit(bg, p, func(context.Context) (int, error) { panic(nil) }).Result(bg)
		require.NotErrorIs(t, err, ErrGoexit)
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		assert.Nil(t, pe.Value)
		require.NoError(t, p.Close())
		st := p.Stats()
		assert.Equal(t, uint64(1), st.Panicked)
		assert.Zero(t, st.Failed)
	})

	t.Run("callback", func(t *testing.T) {
		panics := make(chan *PanicError, 1)
		p := newPool(t, WithWorkers(1), WithCallbackPanicHandler(func(e *PanicError) { panics <- e }))
		gate := make(chan struct{})
		f := Submit(bg, p, func(context.Context) (int, error) {
			<-gate
			return 1, nil
		})
		f.OnDone(func(*Future[int]) { panic(nil) })
		ran := make(chan struct{})
		f.OnDone(func(*Future[int]) { close(ran) })
		close(gate)
		<-ran
		e := receiveWithin(t, panics)
		assert.Nil(t, e.Value)
		// Added to the complete future, on this goroutine.
		f.OnDone(func(*Future[int]) { panic(nil) })
		require.Len(t, panics, 1)
		assert.Nil(t, (<-panics).Value)
		require.NoError(t, p.Close())
		assert.Equal(t, uint64(2), p.Stats().CallbackPanics)
	})

	t.Run("initializer", func(t *testing.T) {
		p := newPool(t, WithWorkers(1), WithInitializer(func(context.Context) error { panic(nil) }))
		var runs atomic.Int32
		_, err := resultWithin(t, Submit(bg, p, countRuns(&runs)))
		assert.ErrorIs(t, err, ErrBroken)
		assert.NotErrorIs(t, err, ErrGoexit)
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		assert.Nil(t, pe.Value)
		assert.Zero(t, runs.Load())
	})

	t.Run("Goexit is still Goexit", func(t *testing.T) {
		p := newPool(t, WithWorkers(1))
		_, err := Submit(bg, p, func(context.Context) (int, error) { runtime.Goexit(); return 1, nil }).Result(bg)
		assert.ErrorIs(t, err, ErrGoexit)
	})
}

// recoverNilPanic panics with nil and returns what recover returns.
func recoverNilPanic() (r any) {
	defer func() { r = recover() }()
	panic(nil)
}

// TestInvalidSubmissionCallbackPanicGoesToHandler checks that a future
// refused for a nil ctx or fn, whose pool is known, hands a callback's panic
// to that pool's handler, and still counts in no submission count.
func TestInvalidSubmissionCallbackPanicGoesToHandler(t *testing.T) {
	panics := make(chan *PanicError, 1)
	p := newPool(t, WithWorkers(1), WithCallbackPanicHandler(func(e *PanicError) { panics <- e }))
	//lint:ignore SA1012 a nil Context is what this test is about
	nilCtx := Submit(nil, p, trivial)
	tests := []struct {
		name string
		give *Future[int]
	}{
		{"nil fn", Submit[int](context.Background(), p, nil)},
		{"nil ctx", nilCtx},
	}
	for _, tt := range tests {
		require.ErrorIs(t, tt.give.Err(), ErrInvalidOption, tt.name)
		tt.give.OnDone(func(*Future[int]) { panic(tt.name) })
		require.Len(t, panics, 1, "%s: the handler did not get the panic", tt.name)
		assert.Equal(t, tt.name, (<-panics).Value)
	}
	assert.Equal(t, Stats{CallbackPanics: 2}, p.Stats())
}

// TestUnusablePool uses a nil *Pool (what New returns with an error) and the
// zero Pool: every function and method reports an error matching
// ErrInvalidOption, and none panics.
func TestUnusablePool(t *testing.T) {
	bg := context.Background()
	tests := []struct {
		name string
		give *Pool
	}{
		{"nil", nil},
		{"zero", &Pool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.give
			var runs atomic.Int32
			assertInvalid := func(err error, what string) {
				t.Helper()
				assert.ErrorIs(t, err, ErrInvalidOption, what)
				if err != nil {
					assert.True(t, strings.HasPrefix(err.Error(), "futures: "), "%s: message %q", what, err)
				}
			}
			require.NotPanics(t, func() {
				f := Submit(bg, p, countRuns(&runs))
				require.NotNil(t, f)
				assert.Equal(t, Finished, f.State())
				assertInvalid(f.Err(), "Submit")

				f, err := TrySubmit(bg, p, countRuns(&runs))
				assert.Nil(t, f)
				assertInvalid(err, "TrySubmit")

				var errs []error
				for _, err := range Map(bg, p, slices.Values([]int{1, 2}), square) {
					errs = append(errs, err)
				}
				require.Len(t, errs, 1, "Map")
				assertInvalid(errs[0], "Map")
				_, err = MapSlice(bg, p, []int{1, 2}, square)
				assertInvalid(err, "MapSlice")

				assertInvalid(p.Shutdown(bg), "Shutdown")
				assertInvalid(p.ShutdownNow(bg), "ShutdownNow")
				assertInvalid(p.Close(), "Close")
				var ex Executor = p
				assertInvalid(ex.Shutdown(bg), "Executor.Shutdown")
				assert.Equal(t, Stats{}, p.Stats())
			})
			assert.Zero(t, runs.Load())
		})
	}
}

// TestNilFuture uses the nil *Future that a failed TrySubmit returns: it
// behaves as a future complete with an error matching ErrInvalidOption.
func TestNilFuture(t *testing.T) {
	bg := context.Background()
	var f *Future[int]
	require.NotPanics(t, func() {
		v, err := f.Result(bg)
		assert.Zero(t, v)
		assert.ErrorIs(t, err, ErrInvalidOption)
		assert.ErrorIs(t, f.Err(), ErrInvalidOption)
		assert.Equal(t, Finished, f.State())
		assert.False(t, f.Cancel())
		select {
		case <-f.Done():
		default:
			assert.Fail(t, "Done is not closed")
		}
		calls := 0 // not atomic: the race detector objects if fn runs elsewhere
		f.OnDone(func(g *Future[int]) {
			assert.Nil(t, g)
			calls++
		})
		assert.Equal(t, 1, calls)
		f.OnDone(nil)
	})

	// Wait and AsCompleted leave nil futures out.
	done, pending, err := Wait(bg, []*Future[int]{f}, AllCompleted)
	require.NoError(t, err)
	assert.Empty(t, done)
	assert.Empty(t, pending)
	_, open := <-AsCompleted(f)
	assert.False(t, open)
}

// TestNilFutureCallbackPanicIsLogged checks that a callback's panic on a nil
// future, which has no pool, goes to the standard logger.
func TestNilFutureCallbackPanicIsLogged(t *testing.T) {
	var buf bytes.Buffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&buf)
	var f *Future[int]
	require.NotPanics(t, func() {
		f.OnDone(func(*Future[int]) { panic("callback on a nil future") })
	})
	assert.Contains(t, buf.String(), "callback on a nil future")
}

func TestNilPanicError(t *testing.T) {
	var e *PanicError
	require.NotPanics(t, func() {
		assert.Equal(t, "futures: nil *PanicError", e.Error())
		assert.Nil(t, e.Unwrap())
	})
	var err error = e
	assert.NotPanics(t, func() { assert.False(t, errors.Is(err, ErrCancelled)) })
}

// TestShutdownNilContext checks that Shutdown and ShutdownNow with a nil ctx
// report it and leave the pool as it was.
func TestShutdownNilContext(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1), WithQueueSize(1))
	held, release := holdWorker(t, p)
	var runs atomic.Int32
	queued := Submit(bg, p, countRuns(&runs))
	//lint:ignore SA1012 a nil Context is what this test is about
	assert.ErrorIs(t, p.Shutdown(nil), ErrInvalidOption)
	//lint:ignore SA1012 a nil Context is what this test is about
	assert.ErrorIs(t, p.ShutdownNow(nil), ErrInvalidOption)

	// Still open, and the queued task was not cancelled.
	assert.Equal(t, Pending, queued.State())
	release()
	_, err := held.Result(bg)
	require.NoError(t, err)
	_, err = queued.Result(bg)
	require.NoError(t, err)
	_, err = Submit(bg, p, countRuns(&runs)).Result(bg)
	require.NoError(t, err)
	assert.Equal(t, int32(2), runs.Load())
}

// TestInitializerFailingAfterShutdownNowDoesNotBreakPool checks that an
// initializer that fails because ShutdownNow cancelled its context leaves
// the pool shut down, not broken.
func TestInitializerFailingAfterShutdownNowDoesNotBreakPool(t *testing.T) {
	tests := []struct {
		name string
		fail func(ctx context.Context) error
	}{
		{"returns ctx.Err", func(ctx context.Context) error { return ctx.Err() }},
		{"panics", func(ctx context.Context) error { panic(ctx.Err()) }},
		{"calls Goexit", func(ctx context.Context) error { runtime.Goexit(); return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bg := context.Background()
			started := make(chan struct{})
			p := newPool(t, WithWorkers(1), WithInitializer(func(ctx context.Context) error {
				close(started)
				<-ctx.Done()
				return tt.fail(ctx)
			}))
			// Workers start on demand: this task starts the one worker,
			// which runs the initializer first.
			var runs atomic.Int32
			first := Submit(bg, p, countRuns(&runs))
			<-started
			require.NoError(t, p.ShutdownNow(bg))

			_, err := first.Result(bg)
			assert.ErrorIs(t, err, ErrCancelled)
			assert.ErrorIs(t, err, ErrShutdown)
			assert.NotErrorIs(t, err, ErrBroken)
			assert.Equal(t, Cancelled, first.State())

			later := Submit(bg, p, countRuns(&runs))
			assert.ErrorIs(t, later.Err(), ErrShutdown)
			assert.NotErrorIs(t, later.Err(), ErrBroken)
			_, err = TrySubmit(bg, p, countRuns(&runs))
			assert.ErrorIs(t, err, ErrShutdown)
			assert.NotErrorIs(t, err, ErrBroken)
			for _, err := range Map(bg, p, slices.Values([]int{1}), square) {
				assert.NotErrorIs(t, err, ErrBroken)
			}
			assert.Zero(t, runs.Load())
		})
	}
}

// TestMapOnShutDownPool checks that Map refuses only what it submits: an
// empty input on a shut-down or broken pool yields nothing, a non-empty one
// the refusal once.
func TestMapOnShutDownPool(t *testing.T) {
	bg := context.Background()
	shutDown, err := New(WithWorkers(1))
	require.NoError(t, err)
	require.NoError(t, shutDown.Close())
	errInit := errors.New("no database")
	broken := newPool(t, WithWorkers(1), WithInitializer(func(context.Context) error { return errInit }))
	_, err = Submit(bg, broken, trivial).Result(bg)
	require.ErrorIs(t, err, ErrBroken)

	tests := []struct {
		name    string
		give    *Pool
		wantErr error
	}{
		{"shut down", shutDown, ErrShutdown},
		{"broken", broken, ErrBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for v, err := range Map(bg, tt.give, slices.Values([]int(nil)), square) {
				assert.Fail(t, "Map yielded for an empty input", "%v, %v", v, err)
			}
			out, err := MapSlice(bg, tt.give, []int{}, square)
			assert.NoError(t, err, "MapSlice of an empty slice")
			assert.Empty(t, out)

			var read atomic.Int64
			var errs []error
			for v, err := range Map(bg, tt.give, naturals(&read), square) {
				assert.Zero(t, v)
				errs = append(errs, err)
			}
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], tt.wantErr)
			assert.Equal(t, int64(1), read.Load(), "inputs read")

			out, err = MapSlice(bg, tt.give, []int{1, 2}, square)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, []int{0, 0}, out)
		})
	}
}

// TestWaitLeavesNothingBehind polls one pending future with Wait many times,
// as a loop with a timeout does, and checks that the heap stays flat: each
// Wait removes what it registered on the future before it returns.
func TestWaitLeavesNothingBehind(t *testing.T) {
	const polls = 20_000
	for _, until := range []Condition{FirstCompleted, FirstError} {
		t.Run(until.String(), func(t *testing.T) {
			p := newPool(t, WithWorkers(1))
			f, release := holdWorker(t, p)
			fs := []*Future[int]{f}
			// Done already, as the context of a poll that timed out:
			// Wait registers on f, finds ctx done and returns.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			poll := func() {
				done, pending, err := Wait(ctx, fs, until)
				if !errors.Is(err, context.Canceled) || len(done) != 0 || len(pending) != 1 {
					require.Fail(t, "unexpected Wait", "done %v, pending %v, err %v", done, pending, err)
				}
			}
			// The first poll may make what the others reuse.
			poll()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range polls {
				poll()
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			assert.Less(t, grown, int64(256<<10), "the heap grew by %d bytes, %d per Wait", grown, grown/polls)

			release()
			_, err := f.Result(context.Background())
			require.NoError(t, err)
		})
	}
}
