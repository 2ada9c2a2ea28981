package futures

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var stormTasks = flag.Int("storm.tasks", 100_000, "tasks submitted by TestStressStorm")

// kind is what a storm task does.
type kind int

const (
	kindSucceed kind = iota
	kindFail
	kindPanic
	kindGoexit
	kindBlock    // blocks until its ctx is cancelled by the producer
	kindCancel   // Cancel()ed by the producer right after Submit
	kindDeadline // blocks until its ctx expires
	kinds
)

type stormTask struct {
	kind      kind
	i         int
	f         *Future[int]
	cancelled bool // Cancel returned true
	ran       atomic.Bool
	completed atomic.Int32 // OnDone calls
	cancel    context.CancelFunc
}

var errStorm = errors.New("storm failure")

func (st *stormTask) fn(ctx context.Context) (int, error) {
	st.ran.Store(true)
	switch st.kind {
	case kindFail:
		return 0, fmt.Errorf("task %d: %w", st.i, errStorm)
	case kindPanic:
		panic(st.i)
	case kindGoexit:
		runtime.Goexit()
	case kindBlock, kindDeadline:
		<-ctx.Done()
		return 0, context.Cause(ctx)
	}
	return st.i, nil
}

// TestStressStorm submits many tasks of every kind from several producers
// while a shutdown arrives midway, and checks that every future completes
// exactly once with the outcome its task calls for, and that the pool's
// counts reconcile.
func TestStressStorm(t *testing.T) {
	for _, now := range []bool{false, true} {
		t.Run(fmt.Sprintf("shutdownNow=%v", now), func(t *testing.T) {
			storm(t, *stormTasks, now)
		})
	}
}

func storm(t *testing.T, total int, now bool) {
	const producers = 4
	p, err := New(WithWorkers(4), WithQueueSize(16))
	require.NoError(t, err)

	tasks := make([]*stormTask, total)
	var submitted atomic.Int64
	shutdownAt := int64(total / 2)
	shutdownDone := make(chan error, 1)
	var once sync.Once
	shutdown := func() {
		once.Do(func() {
			go func() {
				if now {
					shutdownDone <- p.ShutdownNow(context.Background())
				} else {
					shutdownDone <- p.Shutdown(context.Background())
				}
			}()
		})
	}

	var wg sync.WaitGroup
	for g := range producers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			for i := g; i < total; i += producers {
				st := &stormTask{kind: kind(rng.IntN(int(kinds))), i: i}
				tasks[i] = st
				ctx, cancel := stormContext(st.kind, rng)
				st.f = Submit(ctx, p, st.fn)
				st.f.OnDone(func(*Future[int]) { st.completed.Add(1) })
				if st.kind == kindCancel {
					st.cancelled = st.f.Cancel()
				}
				if st.kind == kindBlock {
					cancel()
				} else {
					// Not before the task is done, or a deadline
					// task would see Canceled instead of its expiry.
					st.cancel = cancel
				}
				if submitted.Add(1) == shutdownAt {
					shutdown()
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, <-shutdownDone)
	require.NoError(t, p.Close())
	for _, st := range tasks {
		if st.cancel != nil {
			st.cancel()
		}
	}

	var want Stats
	for _, st := range tasks {
		require.NotNil(t, st)
		checkStormTask(t, st, &want)
		if t.Failed() {
			return
		}
	}
	got := p.Stats()
	assert.Equal(t, uint64(total), got.Submitted)
	assert.Equal(t, got.Submitted, got.Succeeded+got.Failed+got.Panicked+got.Cancelled+got.Rejected)
	assert.Equal(t, want.Succeeded, got.Succeeded, "succeeded")
	assert.Equal(t, want.Failed, got.Failed, "failed")
	assert.Equal(t, want.Panicked, got.Panicked, "panicked")
	assert.Equal(t, want.Cancelled, got.Cancelled, "cancelled")
	assert.Equal(t, want.Rejected, got.Rejected, "rejected")
	assert.Zero(t, got.Workers)
	t.Logf("%+v", got)
}

// stormContext returns the context a task of kind k is submitted with.
func stormContext(k kind, rng *rand.Rand) (context.Context, context.CancelFunc) {
	switch k {
	case kindBlock:
		return context.WithCancel(context.Background())
	case kindDeadline:
		return context.WithTimeout(context.Background(), time.Duration(rng.IntN(50))*time.Microsecond)
	}
	return context.Background(), func() {}
}

// checkStormTask checks the outcome of st and counts it in want.
func checkStormTask(t *testing.T, st *stormTask, want *Stats) {
	t.Helper()
	f := st.f
	require.Equal(t, int32(1), st.completed.Load(), "task %d: OnDone calls", st.i)
	v, err := f.Result(context.Background())
	state := f.State()
	if !st.ran.Load() {
		switch {
		case state == Cancelled:
			want.Cancelled++
			require.ErrorIs(t, err, ErrCancelled, "task %d", st.i)
		case state == Finished:
			want.Rejected++
			require.ErrorIs(t, err, ErrShutdown, "task %d", st.i)
		default:
			t.Fatalf("task %d never ran and is %v", st.i, state)
		}
		return
	}
	require.Equal(t, Finished, state, "task %d ran", st.i)
	require.False(t, st.cancelled, "task %d ran after Cancel returned true", st.i)
	switch st.kind {
	case kindSucceed, kindCancel:
		want.Succeeded++
		require.NoError(t, err, "task %d", st.i)
		require.Equal(t, st.i, v)
	case kindFail:
		want.Failed++
		require.ErrorIs(t, err, errStorm, "task %d", st.i)
		require.Contains(t, err.Error(), fmt.Sprintf("task %d:", st.i))
	case kindPanic:
		want.Panicked++
		var pe *PanicError
		require.ErrorAs(t, err, &pe, "task %d", st.i)
		require.Equal(t, st.i, pe.Value)
	case kindGoexit:
		want.Failed++
		require.ErrorIs(t, err, ErrGoexit, "task %d", st.i)
	case kindBlock:
		want.Failed++
		require.ErrorIs(t, err, context.Canceled, "task %d", st.i)
	case kindDeadline:
		want.Failed++
		require.ErrorIs(t, err, context.DeadlineExceeded, "task %d", st.i)
	}
}

// TestStressShutdownRacesSubmit shuts the pool down while many goroutines
// submit: every future completes, either run or refused.
func TestStressShutdownRacesSubmit(t *testing.T) {
	for range 20 {
		p, err := New(WithWorkers(2), WithQueueSize(1))
		require.NoError(t, err)
		var wg sync.WaitGroup
		start := make(chan struct{})
		futs := make([][]*Future[int], 8)
		for g := range futs {
			wg.Go(func() {
				<-start
				for i := range 50 {
					futs[g] = append(futs[g], Submit(context.Background(), p, func(context.Context) (int, error) { return i, nil }))
				}
			})
		}
		wg.Go(func() {
			<-start
			assert.NoError(t, p.Shutdown(context.Background()))
		})
		close(start)
		wg.Wait()
		for _, fs := range futs {
			for i, f := range fs {
				v, err := f.Result(context.Background())
				if err != nil {
					require.ErrorIs(t, err, ErrShutdown)
					continue
				}
				require.Equal(t, i, v)
			}
		}
		s := p.Stats()
		require.Equal(t, uint64(400), s.Submitted)
		require.Equal(t, s.Submitted, s.Succeeded+s.Rejected)
	}
}

// TestStressShutdownNowWhileMapping ends a pool while Map iterates over it
// from several goroutines: every Map ends, with ErrShutdown last.
func TestStressShutdownNowWhileMapping(t *testing.T) {
	p, err := New(WithWorkers(2))
	require.NoError(t, err)
	var wg sync.WaitGroup
	started := make(chan struct{}, 4)
	for range 4 {
		wg.Go(func() {
			var read atomic.Int64
			var last error
			n := 0
			for _, err := range Map(context.Background(), p, naturals(&read), square, WithBuffer(8)) {
				if n++; n == 100 {
					started <- struct{}{}
				}
				last = err
			}
			assert.ErrorIs(t, last, ErrShutdown)
		})
	}
	for range 4 {
		<-started
	}
	require.NoError(t, p.ShutdownNow(context.Background()))
	wg.Wait()
}
