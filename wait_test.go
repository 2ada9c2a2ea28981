package futures

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitFirstCompleted(t *testing.T) {
	p := newPool(t, WithWorkers(3))
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	fs := []*Future[int]{gated(t, p, 0, gates[0]), gated(t, p, 1, gates[1]), gated(t, p, 2, gates[2])}
	close(gates[1])
	done, pending, err := Wait(context.Background(), fs, FirstCompleted)
	require.NoError(t, err)
	assert.Equal(t, []*Future[int]{fs[1]}, done)
	assert.Equal(t, []*Future[int]{fs[0], fs[2]}, pending)
	close(gates[0])
	close(gates[2])
}

// Wait returns with callbacks on the futures still pending, but with no
// goroutine left to deliver them.
func TestWaitLeavesNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, WithWorkers(3))
		gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
		fs := []*Future[int]{gated(t, p, 0, gates[0]), gated(t, p, 1, gates[1]), gated(t, p, 2, gates[2])}
		synctest.Wait()        // every task has started
		settleGoroutines(t, 3) // the workers
		before := goroutines()
		go func() {
			time.Sleep(time.Second) // after Wait has blocked
			close(gates[1])
		}()
		_, pending, err := Wait(context.Background(), fs, FirstCompleted)
		require.NoError(t, err)
		assert.Equal(t, []*Future[int]{fs[0], fs[2]}, pending)
		synctest.Wait() // the goroutine above has exited
		assert.Equal(t, before, goroutines())
		close(gates[0])
		close(gates[2])
	})
}

func TestWaitFirstError(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	boom := errors.New("boom")
	gate := make(chan struct{})
	defer close(gate)
	slow := gated(t, p, 0, gate)
	okf := Submit(context.Background(), p, func(context.Context) (int, error) { return 1, nil })
	<-okf.Done()
	release := make(chan struct{})
	bad := Submit(context.Background(), p, func(context.Context) (int, error) {
		<-release
		return 0, boom
	})
	go close(release)
	done, pending, err := Wait(context.Background(), []*Future[int]{slow, okf, bad}, FirstError)
	require.NoError(t, err)
	assert.Equal(t, []*Future[int]{okf, bad}, done)
	assert.Equal(t, []*Future[int]{slow}, pending)
}

func TestWaitFirstErrorIgnoresCancelled(t *testing.T) {
	p := newPool(t, WithWorkers(1))
	gate := make(chan struct{})
	defer close(gate)
	slow := gated(t, p, 0, gate) // keeps the only worker busy
	cancelled := gated(t, p, 1, gate)
	require.True(t, cancelled.Cancel())
	failed := Submit(context.Background(), nil, func(context.Context) (int, error) { return 0, nil })
	require.Error(t, failed.Err())

	// With ctx already done, Wait returns nil only if the condition holds
	// without waiting.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Wait(ctx, []*Future[int]{slow, cancelled}, FirstError)
	assert.ErrorIs(t, err, context.Canceled, "a cancelled future was taken for an error")
	done, pending, err := Wait(ctx, []*Future[int]{slow, cancelled, failed}, FirstError)
	assert.NoError(t, err)
	assert.Equal(t, []*Future[int]{cancelled, failed}, done)
	assert.Equal(t, []*Future[int]{slow}, pending)
}

func TestWaitFirstErrorWithoutErrorsWaitsForAll(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	gate := make(chan struct{})
	fs := []*Future[int]{gated(t, p, 0, gate), gated(t, p, 1, gate)}
	fs[1].Cancel()
	go close(gate)
	done, pending, err := Wait(context.Background(), fs, FirstError)
	require.NoError(t, err)
	assert.Equal(t, fs, done)
	assert.Empty(t, pending)
}

func TestWaitAllCompleted(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	gate := make(chan struct{})
	fs := []*Future[int]{gated(t, p, 0, gate), gated(t, p, 1, gate), gated(t, p, 2, gate)}
	go close(gate)
	done, pending, err := Wait(context.Background(), append(fs, fs[0], nil), AllCompleted)
	require.NoError(t, err)
	assert.Equal(t, fs, done)
	assert.Empty(t, pending)
	for i, f := range fs {
		assert.Equal(t, i, value(t, f))
	}
}

// A task that waits for the tasks it submitted to its own pool, with its own
// context, has them run on its worker rather than deadlocking a pool whose
// only worker it occupies, whatever the condition.
func TestWaitFromATaskCannotDeadlock(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		until    Condition
		wantDone int // futures complete when Wait returns
	}{
		// The worker runs the pending tasks in order until the condition
		// holds: the first completes at once, the third fails.
		{until: FirstCompleted, wantDone: 1},
		{until: FirstError, wantDone: 3},
		{until: AllCompleted, wantDone: 5},
	}
	for _, tt := range tests {
		t.Run(tt.until.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, WithWorkers(1))
				outer := Submit(context.Background(), p, func(ctx context.Context) (int, error) {
					fs := make([]*Future[int], 5)
					for i := range fs {
						fs[i] = Submit(ctx, p, func(context.Context) (int, error) {
							if i == 2 {
								return 0, boom
							}
							return i, nil
						})
					}
					done, pending, err := Wait(ctx, fs, tt.until)
					if err != nil {
						return 0, err
					}
					if len(done)+len(pending) != len(fs) {
						return 0, fmt.Errorf("Wait: %d done, %d pending", len(done), len(pending))
					}
					return len(done), nil
				})
				n, err := outer.Result(context.Background())
				require.NoError(t, err)
				assert.Equal(t, tt.wantDone, n)
			})
		})
	}
}

func TestWaitContextEnds(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	gate := make(chan struct{})
	defer close(gate)
	quick := Submit(context.Background(), p, func(context.Context) (int, error) { return 1, nil })
	<-quick.Done()
	slow := gated(t, p, 0, gate)
	cause := errors.New("gave up")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	done, pending, err := Wait(ctx, []*Future[int]{slow, quick}, AllCompleted)
	assert.Same(t, cause, err)
	assert.Equal(t, []*Future[int]{quick}, done)
	assert.Equal(t, []*Future[int]{slow}, pending)
}

func TestWaitBadInput(t *testing.T) {
	done, pending, err := Wait[int](context.Background(), nil, FirstCompleted)
	assert.NoError(t, err)
	assert.Empty(t, done)
	assert.Empty(t, pending)

	//lint:ignore SA1012 a nil ctx is what this checks
	_, _, err = Wait[int](nil, nil, AllCompleted)
	assert.ErrorIs(t, err, ErrInvalidOption)

	_, _, err = Wait[int](context.Background(), nil, Condition(7))
	assert.ErrorIs(t, err, ErrInvalidOption)
	assert.Equal(t, "Condition(7)", Condition(7).String())
	assert.Equal(t, "FirstError", FirstError.String())
}

func TestSplitKeepsOrder(t *testing.T) {
	complete := func() *Future[int] {
		f := new(Future[int])
		f.Cancel()
		return f
	}
	c1, c2, c3 := complete(), complete(), complete()
	p1, p2 := new(Future[int]), new(Future[int])
	tests := []struct {
		name                string
		give, done, pending []*Future[int]
	}{
		{name: "none", give: []*Future[int]{}},
		{name: "all complete", give: []*Future[int]{c1, c2}, done: []*Future[int]{c1, c2}},
		{name: "none complete", give: []*Future[int]{p1, p2}, pending: []*Future[int]{p1, p2}},
		{
			name:    "mixed",
			give:    []*Future[int]{c1, p1, c2, p2, c3},
			done:    []*Future[int]{c1, c2, c3},
			pending: []*Future[int]{p1, p2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := slices.Clone(tt.give)
			done, pending := split(give)
			assert.Equal(t, tt.done, done)
			assert.Equal(t, tt.pending, pending)
			assert.Equal(t, tt.give, give, "split changed its input")
		})
	}
}

func TestDistinct(t *testing.T) {
	for _, n := range []int{3, 16, 17, 1000} {
		fs := make([]*Future[int], n)
		for i := range fs {
			fs[i] = new(Future[int])
		}
		// Every future twice, with nils between, in an order that is not
		// the first appearance's.
		give := append(slices.Clone(fs), nil)
		for i := range fs {
			give = append(give, fs[len(fs)-1-i], nil)
		}
		assert.Equal(t, fs, distinct(give), "n=%d", n)
	}
}
