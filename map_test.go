package futures

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naturals yields 0, 1, 2, ... forever, counting what was read.
func naturals(read *atomic.Int64) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; ; i++ {
			read.Add(1)
			if !yield(i) {
				return
			}
		}
	}
}

func square(_ context.Context, n int) (int, error) { return n * n, nil }

func TestMapOrderUnderRandomDurations(t *testing.T) {
	p := newPool(t, WithWorkers(8))
	durations := make([]time.Duration, 300)
	for i := range durations {
		durations[i] = time.Duration(rand.IntN(500)) * time.Microsecond
	}
	var got []int
	for v, err := range Map(context.Background(), p, slices.Values(durations),
		func(_ context.Context, d time.Duration) (time.Duration, error) {
			time.Sleep(d) // shuffles completion order; correctness does not depend on it
			return d, nil
		}) {
		require.NoError(t, err)
		got = append(got, int(v))
	}
	want := make([]int, len(durations))
	for i, d := range durations {
		want[i] = int(d)
	}
	assert.Equal(t, want, got)
}

func TestMapIsLazy(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	var read atomic.Int64
	seq := Map(context.Background(), p, naturals(&read), square)
	assert.Zero(t, read.Load(), "input read before ranging")
	assert.Zero(t, p.Stats().Submitted, "tasks submitted before ranging")
	for range seq {
		break
	}
}

func TestMapEndlessInputBoundedByBuffer(t *testing.T) {
	const buffer = 3
	p := newPool(t, WithWorkers(2))
	var read, running, maxRunning atomic.Int64
	var yielded int64
	fn := func(_ context.Context, n int) (int, error) {
		r := running.Add(1)
		for {
			m := maxRunning.Load()
			if r <= m || maxRunning.CompareAndSwap(m, r) {
				break
			}
		}
		running.Add(-1)
		return n * n, nil
	}
	for v, err := range Map(context.Background(), p, naturals(&read), fn, WithBuffer(buffer)) {
		require.NoError(t, err)
		require.Equal(t, yielded*yielded, int64(v))
		yielded++
		// Submitted and not yet yielded: read - yielded, counting this one
		// as not yet yielded.
		require.LessOrEqual(t, read.Load()-(yielded-1), int64(buffer))
		if yielded == 2000 {
			break
		}
	}
	assert.LessOrEqual(t, read.Load(), int64(2000+buffer))
	assert.LessOrEqual(t, maxRunning.Load(), int64(2))
}

func TestMapBufferOneIsSequential(t *testing.T) {
	p := newPool(t, WithWorkers(4))
	var running atomic.Int32
	var overlap atomic.Bool
	fn := func(_ context.Context, n int) (int, error) {
		if running.Add(1) > 1 {
			overlap.Store(true)
		}
		defer running.Add(-1)
		return n, nil
	}
	var got []int
	for v, err := range Map(context.Background(), p, slices.Values([]int{1, 2, 3, 4, 5, 6}), fn, WithBuffer(1)) {
		require.NoError(t, err)
		got = append(got, v)
	}
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6}, got)
	assert.False(t, overlap.Load(), "two tasks ran at once with WithBuffer(1)")
}

func TestMapErrorAndPanicAtTheirPosition(t *testing.T) {
	p := newPool(t, WithWorkers(3))
	errOdd := errors.New("odd")
	fn := func(_ context.Context, n int) (string, error) {
		switch {
		case n == 4:
			panic("four")
		case n%2 == 1:
			return "", fmt.Errorf("%d: %w", n, errOdd)
		}
		return fmt.Sprint(n), nil
	}
	var vals []string
	var errs []error
	for v, err := range Map(context.Background(), p, slices.Values([]int{0, 1, 2, 3, 4, 6}), fn) {
		vals = append(vals, v)
		errs = append(errs, err)
	}
	require.Len(t, errs, 6)
	assert.Equal(t, []string{"0", "", "2", "", "", "6"}, vals)
	assert.NoError(t, errs[0])
	assert.ErrorIs(t, errs[1], errOdd)
	assert.NoError(t, errs[2])
	assert.ErrorIs(t, errs[3], errOdd)
	var pe *PanicError
	require.ErrorAs(t, errs[4], &pe)
	assert.Equal(t, "four", pe.Value)
	assert.NoError(t, errs[5])
}

func TestMapBreakCancelsWhatHasNotStarted(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	release := make(chan struct{})
	started := make(chan struct{})
	var ran atomic.Int32
	fn := func(_ context.Context, n int) (int, error) {
		ran.Add(1)
		if n == 1 {
			close(started)
			<-release
		}
		return n, nil
	}
	for v, err := range Map(context.Background(), p, slices.Values([]int{0, 1, 2, 3, 4, 5, 6, 7}), fn, WithBuffer(8)) {
		require.NoError(t, err)
		require.Equal(t, 0, v)
		<-started // task 1 is running, 2..7 are queued
		break
	}
	close(release)
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, int32(2), ran.Load(), "tasks queued when the loop broke still ran")
	s := p.Stats()
	assert.Equal(t, uint64(6), s.Cancelled)
	assert.Equal(t, uint64(2), s.Succeeded)
}

func TestMapContextEndsYieldsCauseOnce(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	cause := errors.New("enough")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var read atomic.Int64
	fn := func(ctx context.Context, n int) (int, error) {
		if n == 0 {
			return 0, nil
		}
		<-ctx.Done() // every task after the first waits for the end
		return n, nil
	}
	var errs []error
	for v, err := range Map(ctx, p, naturals(&read), fn, WithBuffer(4)) {
		errs = append(errs, err)
		if err == nil {
			require.Equal(t, 0, v)
			cancel(cause)
		}
	}
	require.Len(t, errs, 2, "want the first value, then the cause once")
	assert.NoError(t, errs[0])
	assert.Same(t, cause, errs[1])
	assert.LessOrEqual(t, read.Load(), int64(5), "input read after ctx ended")
}

// Once ctx is done, the cause comes next even if the next task has already
// finished.
func TestMapContextEndsBeforeAFinishedResult(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	cause := errors.New("enough")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var read atomic.Int64
	var errs []error
	for _, err := range Map(ctx, p, naturals(&read), square, WithBuffer(4)) {
		errs = append(errs, err)
		if err == nil {
			// Let the tasks behind the first finish, then end ctx.
			for p.Stats().Succeeded < 2 {
				runtime.Gosched()
			}
			cancel(cause)
		}
	}
	require.Len(t, errs, 2, "want the first value, then the cause once")
	assert.NoError(t, errs[0])
	assert.Same(t, cause, errs[1])
}

func TestMapContextDoneBeforeStart(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var read atomic.Int64
	var errs []error
	for _, err := range Map(ctx, p, naturals(&read), square) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
	assert.Zero(t, read.Load())
}

func TestMapBadInput(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	closed, err := New(WithWorkers(1))
	require.NoError(t, err)
	require.NoError(t, closed.Close())
	ints := slices.Values([]int{1, 2, 3})
	tests := []struct {
		name    string
		ctx     context.Context
		ex      Executor
		inputs  iter.Seq[int]
		fn      func(context.Context, int) (int, error)
		opts    []MapOption
		wantErr error
	}{
		{"buffer 0", context.Background(), p, ints, square, []MapOption{WithBuffer(0)}, ErrInvalidOption},
		{"buffer -1", context.Background(), p, ints, square, []MapOption{WithBuffer(-1)}, ErrInvalidOption},
		{"nil option", context.Background(), p, ints, square, []MapOption{nil}, ErrInvalidOption},
		{"nil executor", context.Background(), nil, ints, square, nil, ErrInvalidOption},
		{"typed nil executor", context.Background(), (*Pool)(nil), ints, square, nil, ErrInvalidOption},
		{"nil ctx", nil, p, ints, square, nil, ErrInvalidOption},
		{"nil inputs", context.Background(), p, nil, square, nil, ErrInvalidOption},
		{"nil fn", context.Background(), p, ints, nil, nil, ErrInvalidOption},
		{"shut down", context.Background(), closed, ints, square, nil, ErrShutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []error
			for v, err := range Map(tt.ctx, tt.ex, tt.inputs, tt.fn, tt.opts...) {
				assert.Zero(t, v)
				errs = append(errs, err)
			}
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], tt.wantErr)
			assert.Contains(t, errs[0].Error(), "futures: ")
		})
	}
}

func TestMapShutdownNowWhileIterating(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	var read atomic.Int64
	var errs []error
	for _, err := range Map(context.Background(), p, naturals(&read), square, WithBuffer(4)) {
		errs = append(errs, err)
		if len(errs) == 10 {
			require.NoError(t, p.ShutdownNow(context.Background()))
		}
		require.Less(t, len(errs), 100, "Map did not end after ShutdownNow")
	}
	last := errs[len(errs)-1]
	assert.ErrorIs(t, last, ErrShutdown)
	for _, err := range errs[:10] {
		assert.NoError(t, err)
	}
}

func TestMapNestedInOneWorker(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithQueueSize(0))
	outer := func(ctx context.Context, n int) (int, error) {
		sum := 0
		for v, err := range Map(ctx, p, slices.Values([]int{n, n, n}), square, WithBuffer(2)) {
			if err != nil {
				return 0, err
			}
			sum += v
		}
		return sum, nil
	}
	got, err := MapSlice(context.Background(), p, []int{1, 2, 3}, outer)
	require.NoError(t, err)
	assert.Equal(t, []int{3, 12, 27}, got)
}

func TestMapSlice(t *testing.T) {
	p := newPool(t, WithWorkers(3))
	errNeg := errors.New("negative")
	fn := func(_ context.Context, n int) (int, error) {
		if n < 0 {
			return -1, errNeg
		}
		return n * 10, nil
	}
	got, err := MapSlice(context.Background(), p, []int{1, -2, 3, -4}, fn)
	assert.Equal(t, []int{10, -1, 30, -1}, got)
	require.ErrorIs(t, err, errNeg)
	assert.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 2)

	got, err = MapSlice(context.Background(), p, []int{1, 2}, fn)
	assert.NoError(t, err)
	assert.Equal(t, []int{10, 20}, got)

	got, err = MapSlice(context.Background(), p, nil, fn)
	assert.NoError(t, err)
	assert.Empty(t, got)

	_, err = MapSlice(context.Background(), nil, []int{1}, fn)
	assert.ErrorIs(t, err, ErrInvalidOption)
}
