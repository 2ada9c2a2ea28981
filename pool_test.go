package futures

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newPool(t *testing.T, opts ...Option) *Pool {
	t.Helper()
	p, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

// holdWorker occupies one worker of ex's pool with a task of ex that returns 1
// once release is called, and returns when that task has started. release
// may be called more than once. It is also called at cleanup, before the
// pool made by newPool is closed, so that a test that fails early does not
// hang.
func holdWorker(t *testing.T, ex Executor) (f *Future[int], release func()) {
	t.Helper()
	started := make(chan struct{})
	unblock := make(chan struct{})
	f = Submit(context.Background(), ex, func(context.Context) (int, error) {
		close(started)
		<-unblock
		return 1, nil
	})
	release = sync.OnceFunc(func() { close(unblock) })
	t.Cleanup(release)
	select {
	case <-started:
	case <-f.Done():
		require.FailNow(t, "the task meant to hold a worker did not run", "error: %v", f.Err())
	}
	return f, release
}

// countRuns returns a task that adds one to runs and returns 1.
func countRuns(runs *atomic.Int32) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		runs.Add(1)
		return 1, nil
	}
}

// isDone reports whether f is complete, without waiting.
func isDone[T any](f *Future[T]) bool {
	select {
	case <-f.Done():
		return true
	default:
		return false
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		name    string
		give    []Option
		wantMsg string // names the option at fault
	}{
		{name: "zero workers", give: []Option{WithWorkers(0)}, wantMsg: "WithWorkers(0)"},
		{name: "negative workers", give: []Option{WithWorkers(-1)}, wantMsg: "WithWorkers(-1)"},
		{name: "negative queue size", give: []Option{WithQueueSize(-1)}, wantMsg: "WithQueueSize(-1)"},
		{name: "nil initializer", give: []Option{WithInitializer(nil)}, wantMsg: "WithInitializer(nil)"},
		{name: "nil option", give: []Option{nil}, wantMsg: "nil Option"},
		{name: "nil option after valid ones", give: []Option{WithWorkers(2), WithName("x"), nil}, wantMsg: "nil Option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.give...)
			assert.Nil(t, p)
			require.ErrorIs(t, err, ErrInvalidOption)
			assert.True(t, strings.HasPrefix(err.Error(), "futures: "), "message %q", err)
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

func TestNewAcceptsValidOptions(t *testing.T) {
	tests := []struct {
		name        string
		give        []Option
		wantWorkers int
	}{
		{name: "defaults", give: nil, wantWorkers: runtime.GOMAXPROCS(0)},
		{name: "one worker", give: []Option{WithWorkers(1)}, wantWorkers: 1},
		{name: "unbuffered queue", give: []Option{WithWorkers(3), WithQueueSize(0)}, wantWorkers: 3},
		{name: "empty name", give: []Option{WithWorkers(2), WithName("")}, wantWorkers: 2},
		{name: "default callback panic handler", give: []Option{WithWorkers(1), WithCallbackPanicHandler(nil)}, wantWorkers: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(t, tt.give...)
			assert.Equal(t, tt.wantWorkers, p.queue.max)
			assert.Zero(t, p.Stats().Workers, "a worker started before any task")
			v, err := Submit(context.Background(), p, func(context.Context) (int, error) { return 1, nil }).Result(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 1, v)
			assert.Equal(t, 1, p.Stats().Workers, "one task started one worker")
		})
	}
}

func TestPoolRunsAtMostNTasksAtOnce(t *testing.T) {
	const workers, tasks = 4, 200
	p := newPool(t, WithWorkers(workers))
	var running, peak atomic.Int32
	fs := make([]*Future[int], tasks)
	for i := range fs {
		fs[i] = Submit(context.Background(), p, func(context.Context) (int, error) {
			n := running.Add(1)
			for m := peak.Load(); n > m && !peak.CompareAndSwap(m, n); m = peak.Load() {
			}
			runtime.Gosched()
			running.Add(-1)
			return 0, nil
		})
	}
	for _, f := range fs {
		_, err := f.Result(context.Background())
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, peak.Load(), int32(workers))
	assert.Positive(t, peak.Load())
}

func TestPoolRunsNTasksAtOnceWhenTheyBlock(t *testing.T) {
	const workers, extra = 3, 2
	p := newPool(t, WithWorkers(workers))
	var running, peak atomic.Int32
	allIn := make(chan struct{})
	closeAllIn := sync.OnceFunc(func() { close(allIn) })
	release := make(chan struct{})
	fs := make([]*Future[int], workers+extra)
	for i := range fs {
		fs[i] = Submit(context.Background(), p, func(context.Context) (int, error) {
			n := running.Add(1)
			for m := peak.Load(); n > m && !peak.CompareAndSwap(m, n); m = peak.Load() {
			}
			if n == workers {
				closeAllIn()
			}
			// With fewer than workers tasks running at once, this waits forever.
			<-allIn
			<-release
			running.Add(-1)
			return 0, nil
		})
	}
	<-allIn
	st := p.Stats()
	assert.Equal(t, workers, st.Busy)
	assert.Equal(t, extra, st.Queued)
	close(release)
	for _, f := range fs {
		_, err := f.Result(context.Background())
		require.NoError(t, err)
	}
	assert.Equal(t, int32(workers), peak.Load())
}

func TestShutdownRunsQueuedTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		p := newPool(t, WithWorkers(1), WithQueueSize(2))
		held, release := holdWorker(t, p)
		var runs atomic.Int32
		queued := []*Future[int]{Submit(bg, p, countRuns(&runs)), Submit(bg, p, countRuns(&runs))}

		ctx, cancel := context.WithCancelCause(bg)
		errc := make(chan error, 1)
		go func() { errc <- p.Shutdown(ctx) }()
		synctest.Wait()
		require.Empty(t, errc, "Shutdown returned while a task was running")

		cause := errors.New("gave up waiting for the pool")
		cancel(cause)
		assert.Same(t, cause, <-errc)

		// The shutdown goes on: new submissions fail, submitted tasks wait.
		late := Submit(bg, p, countRuns(&runs))
		assert.True(t, isDone(late))
		assert.ErrorIs(t, late.Err(), ErrShutdown)
		_, err := TrySubmit(bg, p, countRuns(&runs))
		assert.ErrorIs(t, err, ErrShutdown)
		assert.Equal(t, Running, held.State())
		for _, f := range queued {
			assert.Equal(t, Pending, f.State())
		}
		assert.Equal(t, 1, p.Stats().Workers)

		release()
		require.NoError(t, p.Shutdown(bg))
		assert.Equal(t, 0, p.Stats().Workers)
		for _, f := range append(queued, held) {
			v, err := f.Result(bg)
			require.NoError(t, err)
			assert.Equal(t, 1, v)
		}
		assert.Equal(t, int32(2), runs.Load())
	})
}

func TestShutdownFromManyGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, WithWorkers(2))
		held, release := holdWorker(t, p)
		errs := make([]error, 10)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = p.Shutdown(context.Background()) })
		}
		synctest.Wait() // every call is waiting for the held task
		release()
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "call %d", i)
		}
		assert.Equal(t, 0, p.Stats().Workers)
		v, err := held.Result(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 1, v)
	})
}

func TestCloseTwice(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	assert.NoError(t, p.Close())
	assert.NoError(t, p.Close())
	assert.Equal(t, 0, p.Stats().Workers)
}

func TestShutdownFromTaskReturnsError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, WithWorkers(1))
		f := Submit(context.Background(), p, func(ctx context.Context) ([2]error, error) {
			derived, cancel := context.WithCancel(ctx)
			defer cancel()
			// Waiting here would wait for this very task to return.
			//futuresvet:ignore the test checks that these return at once
			return [2]error{p.Shutdown(ctx), p.Shutdown(derived)}, nil
		})
		errs, err := f.Result(context.Background())
		require.NoError(t, err)
		assert.Error(t, errs[0], "Shutdown with the task's context")
		assert.Error(t, errs[1], "Shutdown with a context derived from the task's")
	})
}

func TestShutdownWakesBlockedSubmitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		p := newPool(t, WithWorkers(1), WithQueueSize(1))
		_, release := holdWorker(t, p)
		var runs, blockedRuns atomic.Int32
		queued := Submit(bg, p, countRuns(&runs))
		submitted := make(chan *Future[int], 1)
		go func() { submitted <- Submit(bg, p, countRuns(&blockedRuns)) }()
		synctest.Wait()
		require.Empty(t, submitted, "Submit returned while the queue was full")

		// Begin the shutdown without waiting for it.
		ctx, cancel := context.WithCancel(bg)
		cancel()
		assert.ErrorIs(t, p.Shutdown(ctx), context.Canceled)

		f := <-submitted
		assert.True(t, isDone(f))
		assert.Equal(t, Finished, f.State())
		assert.ErrorIs(t, f.Err(), ErrShutdown)

		release()
		require.NoError(t, p.Shutdown(bg))
		_, err := queued.Result(bg)
		assert.NoError(t, err, "a task queued before the shutdown still runs")
		assert.Equal(t, int32(1), runs.Load())
		assert.Zero(t, blockedRuns.Load())
	})
}

func TestShutdownNowCancelsQueuedTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		p := newPool(t, WithWorkers(1), WithQueueSize(3))
		held, release := holdWorker(t, p)
		var runs atomic.Int32
		queued := []*Future[int]{Submit(bg, p, countRuns(&runs)), Submit(bg, p, countRuns(&runs)), Submit(bg, p, countRuns(&runs))}

		errc := make(chan error, 1)
		go func() { errc <- p.ShutdownNow(bg) }()
		// The queued futures complete while the held task still runs.
		for _, f := range queued {
			<-f.Done()
			assert.Equal(t, Cancelled, f.State())
			_, err := f.Result(bg)
			assert.ErrorIs(t, err, ErrCancelled)
			assert.ErrorIs(t, err, ErrShutdown)
		}
		assert.Equal(t, Running, held.State())
		assert.ErrorIs(t, Submit(bg, p, countRuns(&runs)).Err(), ErrShutdown)

		release()
		require.NoError(t, <-errc)
		v, err := held.Result(bg)
		require.NoError(t, err, "the running task finishes normally")
		assert.Equal(t, 1, v)
		assert.Equal(t, Finished, held.State())
		assert.Zero(t, runs.Load())
		assert.Equal(t, 0, p.Stats().Workers)
	})
}

func TestInitializerRunsOncePerWorker(t *testing.T) {
	const workers = 3
	var calls atomic.Int32
	var mu sync.Mutex
	pools := make(map[string]string) // worker label -> pool label, as the initializer saw them
	p := newPool(t, WithWorkers(workers), WithName("init-test"), WithInitializer(func(ctx context.Context) error {
		calls.Add(1)
		worker, _ := pprof.Label(ctx, "worker")
		pool, _ := pprof.Label(ctx, "pool")
		mu.Lock()
		pools[worker] = pool
		mu.Unlock()
		return nil
	}))
	bg := context.Background()

	// Keep every worker busy at once, and replace one of them: the
	// replacement must not run the initializer again.
	var arrived sync.WaitGroup
	arrived.Add(workers)
	fs := make([]*Future[int], workers)
	for i := range fs {
		fs[i] = Submit(bg, p, func(context.Context) (int, error) {
			arrived.Done()
			arrived.Wait()
			return 1, nil
		})
	}
	_, err := Submit(bg, p, func(context.Context) (int, error) { runtime.Goexit(); return 0, nil }).Result(bg)
	require.ErrorIs(t, err, ErrGoexit)
	var runs atomic.Int32
	for range 2 * workers {
		_, err := Submit(bg, p, countRuns(&runs)).Result(bg)
		require.NoError(t, err)
	}
	require.NoError(t, p.Close())

	assert.Equal(t, int32(workers), calls.Load())
	assert.Equal(t, map[string]string{"0": "init-test", "1": "init-test", "2": "init-test"}, pools)
}

func TestInitializerRunsBeforeFirstTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		release := sync.OnceFunc(func() { close(gate) })
		var initialized atomic.Bool
		p := newPool(t, WithWorkers(1), WithInitializer(func(context.Context) error {
			<-gate
			initialized.Store(true)
			return nil
		}))
		t.Cleanup(release)
		var runs atomic.Int32
		f := Submit(context.Background(), p, func(context.Context) (bool, error) {
			runs.Add(1)
			return initialized.Load(), nil
		})
		synctest.Wait()
		assert.Zero(t, runs.Load(), "a task ran while the initializer had not returned")
		assert.Equal(t, Pending, f.State())

		release()
		sawInit, err := f.Result(context.Background())
		require.NoError(t, err)
		assert.True(t, sawInit)
	})
}

func TestInitializerContextCancelledByShutdownNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 2
		var started sync.WaitGroup
		started.Add(workers)
		var cancelled atomic.Int32
		p := newPool(t, WithWorkers(workers), WithInitializer(func(ctx context.Context) error {
			started.Done()
			<-ctx.Done()
			cancelled.Add(1)
			return nil
		}))
		// A worker starts for each task while none is idle.
		var runs atomic.Int32
		for range workers {
			Submit(context.Background(), p, countRuns(&runs))
		}
		started.Wait()
		assert.Zero(t, cancelled.Load())
		require.NoError(t, p.ShutdownNow(context.Background()))
		assert.Equal(t, int32(workers), cancelled.Load())
		assert.Zero(t, runs.Load())
	})
}

// assertBroken asserts that err is the error of a pool broken by its
// initializer failing with cause.
func assertBroken(t *testing.T, err, cause error) {
	t.Helper()
	assert.ErrorIs(t, err, ErrBroken)
	assert.ErrorIs(t, err, cause)
}

func TestInitializerErrorBreaksPool(t *testing.T) {
	bg := context.Background()
	errInit := errors.New("no database")
	gate := make(chan struct{})
	p := newPool(t, WithWorkers(1), WithInitializer(func(context.Context) error {
		<-gate
		return errInit
	}))
	var runs atomic.Int32
	queued := []*Future[int]{Submit(bg, p, countRuns(&runs)), Submit(bg, p, countRuns(&runs))}
	close(gate)
	for _, f := range queued {
		_, err := f.Result(bg)
		assertBroken(t, err, errInit)
		assert.Equal(t, Finished, f.State())
	}

	later := Submit(bg, p, countRuns(&runs))
	assert.True(t, isDone(later))
	assert.Equal(t, Finished, later.State())
	assertBroken(t, later.Err(), errInit)

	f, err := TrySubmit(bg, p, countRuns(&runs))
	assert.Nil(t, f)
	assertBroken(t, err, errInit)

	require.NoError(t, p.Close())
	assert.Zero(t, runs.Load())
}

func TestInitializerErrorInOneWorkerBreaksPool(t *testing.T) {
	bg := context.Background()
	errInit := errors.New("no database")
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	var calls atomic.Int32
	p := newPool(t, WithWorkers(3), WithInitializer(func(context.Context) error {
		if calls.Add(1) == 1 {
			return errInit
		}
		<-gate
		return nil
	}))
	t.Cleanup(release)

	var runs atomic.Int32
	f := Submit(bg, p, countRuns(&runs))
	// The other workers are still in their initializer: only the pool
	// breaking can complete f.
	<-f.Done()
	assertBroken(t, f.Err(), errInit)

	release()
	assertBroken(t, Submit(bg, p, countRuns(&runs)).Err(), errInit)
	_, err := TrySubmit(bg, p, countRuns(&runs))
	assertBroken(t, err, errInit)
	require.NoError(t, p.Close())
	assert.Zero(t, runs.Load())
}

// TestInitializersFailingTogetherRunNoTask forces the order in which two
// workers' initializers fail together: the second finds the pool broken by
// the first, which has not yet set the reason its tasks stop with. The
// second must not serve its task all the same.
func TestInitializersFailingTogetherRunNoTask(t *testing.T) {
	bg := context.Background()
	errInit := errors.New("no database")
	p := newPool(t, WithWorkers(2), WithInitializer(func(context.Context) error { return errInit }))
	var runs atomic.Int32
	var fs [2]*Future[int]
	submitted := make(chan struct{})
	testHookBroken = func() {
		// The first to break the pool waits here until the other
		// worker has dealt with its own task.
		<-submitted
		select {
		case <-fs[0].Done():
		case <-fs[1].Done():
		}
	}
	defer func() { testHookBroken = nil }()
	fs[0] = Submit(bg, p, countRuns(&runs)) // starts a worker
	fs[1] = Submit(bg, p, countRuns(&runs)) // starts the other
	close(submitted)
	for _, f := range fs {
		<-f.Done()
		assertBroken(t, f.Err(), errInit)
	}
	require.NoError(t, p.Close())
	assert.Zero(t, runs.Load(), "a worker whose initializer failed ran a task")
}

func TestInitializerPanicBreaksPool(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1), WithInitializer(func(context.Context) error { panic("init boom") }))
	var runs atomic.Int32
	_, err := Submit(bg, p, countRuns(&runs)).Result(bg)
	require.ErrorIs(t, err, ErrBroken)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "init boom", pe.Value)

	_, err = TrySubmit(bg, p, countRuns(&runs))
	assert.ErrorIs(t, err, ErrBroken)
	require.NoError(t, p.Close())
	assert.Zero(t, runs.Load())
}

func TestStatsCountEveryOutcome(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1), WithQueueSize(1))
	ok := func(context.Context) (int, error) { return 1, nil }

	// Two succeed, one fails, one calls Goexit (a failure too), one panics.
	for _, fn := range []func(context.Context) (int, error){
		ok,
		ok,
		func(context.Context) (int, error) { return 0, errors.New("failed") },
		func(context.Context) (int, error) { runtime.Goexit(); return 0, nil },
		func(context.Context) (int, error) { panic("boom") },
	} {
		<-Submit(bg, p, fn).Done()
	}

	// With the worker held (a success), one is cancelled by Cancel and
	// gives its room back, one has its context done already, and with
	// the queue full again (a success), TrySubmit is rejected.
	held, release := holdWorker(t, p)
	pending := Submit(bg, p, ok)
	require.True(t, pending.Cancel())
	done, cancel := context.WithCancel(bg)
	cancel()
	require.Equal(t, Cancelled, Submit(done, p, ok).State(), "a task submitted with a done context")
	queued, err := TrySubmit(bg, p, ok)
	require.NoError(t, err, "the cancelled task's room")
	_, err = TrySubmit(bg, p, ok)
	require.ErrorIs(t, err, ErrQueueFull)
	release()
	<-held.Done()
	<-queued.Done()

	// One is cancelled because its context ends before a worker takes it.
	held, release = holdWorker(t, p)
	ctx, cancel := context.WithCancel(bg)
	late := Submit(ctx, p, ok)
	cancel()
	release()
	<-held.Done()
	<-late.Done()
	require.Equal(t, Cancelled, late.State())

	require.NoError(t, p.Shutdown(bg))
	// Two are rejected after the shutdown; an invalid one never reaches
	// the pool and counts nowhere.
	require.ErrorIs(t, Submit(bg, p, ok).Err(), ErrShutdown)
	_, err = TrySubmit(bg, p, ok)
	require.ErrorIs(t, err, ErrShutdown)
	require.ErrorIs(t, Submit[int](bg, p, nil).Err(), ErrInvalidOption)

	st := p.Stats()
	assert.Equal(t, Stats{
		Workers:   0,
		Busy:      0,
		Queued:    0,
		Submitted: 14,
		Succeeded: 5,
		Failed:    2,
		Panicked:  1,
		Cancelled: 3,
		Rejected:  3,
	}, st)
	assert.Equal(t, st.Submitted, st.Succeeded+st.Failed+st.Panicked+st.Cancelled+st.Rejected)
}

func TestStatsBusyAndQueued(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(2), WithQueueSize(4))
	_, release1 := holdWorker(t, p)
	_, release2 := holdWorker(t, p)
	var runs atomic.Int32
	queued := []*Future[int]{Submit(bg, p, countRuns(&runs)), Submit(bg, p, countRuns(&runs)), Submit(bg, p, countRuns(&runs))}

	st := p.Stats()
	assert.Equal(t, 2, st.Workers)
	assert.Equal(t, 2, st.Busy)
	assert.Equal(t, 3, st.Queued)

	release1()
	release2()
	for _, f := range queued {
		<-f.Done()
	}
	require.NoError(t, p.Close())
	st = p.Stats()
	assert.Equal(t, 0, st.Workers)
	assert.Equal(t, 0, st.Busy)
	assert.Equal(t, 0, st.Queued)
	assert.Equal(t, int32(3), runs.Load())
}

// Busy counts the workers running a task: not one that runs the initializer
// before its first task, nor one completing a task it took that will not run,
// but one running a task in the place of another that waits for it, the
// initializer included.
func TestStatsBusyCountsWorkersRunningATask(t *testing.T) {
	bg := context.Background()
	t.Run("initializer", func(t *testing.T) {
		entered, gate := make(chan struct{}), make(chan struct{})
		p := newPool(t, WithWorkers(1), WithInitializer(func(context.Context) error {
			close(entered)
			<-gate
			return nil
		}))
		f := Submit(bg, p, func(context.Context) (int, error) { return p.Stats().Busy, nil })
		<-entered
		st := p.Stats()
		assert.Equal(t, 1, st.Workers)
		assert.Zero(t, st.Busy, "busy while the initializer runs")
		close(gate)
		busy, err := f.Result(bg)
		require.NoError(t, err)
		assert.Equal(t, 1, busy, "busy as the first task runs")
		assert.Zero(t, p.Stats().Busy, "busy once the task is complete")
	})
	t.Run("cancelled as taken", func(t *testing.T) {
		p := newPool(t, WithWorkers(1))
		_, release := holdWorker(t, p)
		ctx, cancel := context.WithCancel(bg)
		f := Submit(ctx, p, func(context.Context) (int, error) { return 0, nil })
		busy := make(chan int, 1)
		// The worker finds f's context done as it takes f, and
		// completes it, running this, without starting it.
		f.OnDone(func(*Future[int]) { busy <- p.Stats().Busy })
		cancel()
		release()
		assert.Zero(t, <-busy)
		assert.ErrorIs(t, f.Err(), ErrCancelled)
	})
	t.Run("in a waiting task's place", func(t *testing.T) {
		p := newPool(t, WithWorkers(1))
		f := Submit(bg, p, func(ctx context.Context) (int, error) {
			inner := Submit(ctx, p, func(context.Context) (int, error) { return p.Stats().Busy, nil })
			return inner.Result(ctx)
		})
		busy, err := f.Result(bg)
		require.NoError(t, err)
		assert.Equal(t, 1, busy)
	})
	t.Run("in the initializer's place", func(t *testing.T) {
		var p *Pool
		busy := make(chan int, 1)
		p = newPool(t, WithWorkers(1), WithInitializer(func(ctx context.Context) error {
			n, err := Submit(ctx, p, func(context.Context) (int, error) { return p.Stats().Busy, nil }).Result(ctx)
			busy <- n
			return err
		}))
		_, err := Submit(bg, p, func(context.Context) (int, error) { return 0, nil }).Result(bg)
		require.NoError(t, err)
		assert.Equal(t, 1, <-busy)
	})
}

// The outcomes of tasks run in the place of a task that waits for them count
// as those of the tasks the workers run, and are kept when a worker retires.
func TestStatsCountsTasksRunInAnothersPlace(t *testing.T) {
	bg := context.Background()
	p := newPool(t, WithWorkers(1), WithKeepAlive(time.Millisecond))
	outer := Submit(bg, p, func(ctx context.Context) (int, error) {
		fns := []func(context.Context) (int, error){
			func(context.Context) (int, error) { return 0, nil },
			func(context.Context) (int, error) { return 0, errors.New("failed") },
			func(context.Context) (int, error) { panic("panicked") },
			func(context.Context) (int, error) { runtime.Goexit(); return 0, nil },
		}
		for _, fn := range fns {
			_, _ = Submit(ctx, p, fn).Result(ctx)
		}
		return 0, nil
	})
	_, err := outer.Result(bg)
	require.NoError(t, err)
	want := Stats{Submitted: 5, Succeeded: 2, Failed: 2, Panicked: 1}
	for _, retired := range []bool{false, true} {
		if retired {
			for p.Stats().Workers > 0 {
				time.Sleep(time.Millisecond)
			}
		}
		st := p.Stats()
		assert.Equal(t, want.Submitted, st.Submitted, "retired %v", retired)
		assert.Equal(t, want.Succeeded, st.Succeeded, "retired %v", retired)
		assert.Equal(t, want.Failed, st.Failed, "retired %v", retired)
		assert.Equal(t, want.Panicked, st.Panicked, "retired %v", retired)
		assert.Zero(t, st.Busy, "retired %v", retired)
	}
}

func TestWorkerProfileLabels(t *testing.T) {
	tests := []struct {
		name     string
		give     []Option
		wantPool string
	}{
		{name: "default name", give: nil, wantPool: "futures"},
		{name: "WithName", give: []Option{WithName("myname")}, wantPool: "myname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(t, append(tt.give, WithWorkers(2))...)
			holdWorker(t, p)
			holdWorker(t, p)
			var buf bytes.Buffer
			require.NoError(t, pprof.Lookup("goroutine").WriteTo(&buf, 1))
			for _, worker := range []string{"0", "1"} {
				assert.Contains(t, buf.String(), `# labels: {"pool":"`+tt.wantPool+`", "worker":"`+worker+`"}`)
			}
		})
	}
}

func TestWorkerIndex(t *testing.T) {
	const workers = 3
	var inits [workers]atomic.Int32
	p := newPool(t, WithWorkers(workers), WithInitializer(func(ctx context.Context) error {
		i, ok := WorkerIndex(ctx)
		if !ok || i < 0 || i >= workers {
			return fmt.Errorf("initializer: WorkerIndex = %d, %v", i, ok)
		}
		inits[i].Add(1)
		return nil
	}))
	// Block every worker so that each index shows up once.
	release := make(chan struct{})
	seen := make(chan int, workers)
	var fs []*Future[int]
	for range workers {
		fs = append(fs, Submit(context.Background(), p, func(ctx context.Context) (int, error) {
			i, ok := WorkerIndex(ctx)
			if !ok {
				return 0, errors.New("task: no worker index")
			}
			seen <- i
			<-release
			return i, nil
		}))
	}
	got := map[int]bool{}
	for range workers {
		got[<-seen] = true
	}
	close(release)
	assert.Equal(t, map[int]bool{0: true, 1: true, 2: true}, got)
	for _, f := range fs {
		_, err := f.Result(context.Background())
		require.NoError(t, err)
	}
	for i := range inits {
		assert.Equal(t, int32(1), inits[i].Load(), "initializer runs for worker %d", i)
	}

	_, ok := WorkerIndex(context.Background())
	assert.False(t, ok)
	//lint:ignore SA1012 a nil ctx is what this checks
	_, ok = WorkerIndex(nil)
	assert.False(t, ok)
}

// goroutines counts the goroutines that this package started, directly or
// through the context package: the workers, and any other it would start by
// mistake. runtime.NumGoroutine counts more: the runtime and the testing
// package start goroutines of their own, and a cleanup running counts as
// one, at times no test controls.
func goroutines() int {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		panic(err)
	}
	count := 0
	for g := range bytes.SplitSeq(buf.Bytes(), []byte("\n\n")) {
		if bytes.Contains(g, []byte("\ncreated by github.com/go-futures/futures.")) ||
			bytes.Contains(g, []byte("\ncreated by context.")) {
			count++
		}
	}
	return count
}

// settleGoroutines waits until this package's goroutines number want, and
// fails t if they never do. Close returns once every worker has signalled
// its exit, a moment before its goroutine ends: a test that counts exactly
// waits out the last workers of the pools that earlier tests closed. It
// yields rather than sleeps, so that it also serves in a synctest bubble,
// where the goroutines it waits for run outside the bubble's time.
func settleGoroutines(t testing.TB, want int) {
	t.Helper()
	for i := 0; ; i++ {
		n := goroutines()
		if n == want {
			return
		}
		if i == 100_000 {
			t.Fatalf("%d goroutines of this package, want %d", n, want)
		}
		runtime.Gosched()
	}
}
