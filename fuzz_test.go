package futures

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzMap runs Map over random inputs, with random buffer sizes, failures,
// panics and early breaks, and checks it yields what a plain loop would.
func FuzzMap(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5}, uint8(1), uint8(1), -1)
	f.Add([]byte{7, 11, 22, 14, 0, 9, 77, 3}, uint8(3), uint8(2), 5)
	f.Add([]byte{}, uint8(8), uint8(4), -1)
	f.Add([]byte{11, 11, 11, 7, 7}, uint8(2), uint8(1), 0)
	f.Add(make([]byte, 300), uint8(16), uint8(3), 250)
	f.Fuzz(func(t *testing.T, inputs []byte, buffer, workers uint8, breakAt int) {
		p, err := New(WithWorkers(int(workers%4) + 1))
		require.NoError(t, err)
		defer p.Close()
		errSeven := errors.New("multiple of 7")
		fn := func(_ context.Context, b byte) (int, error) {
			switch {
			case b%11 == 0 && b != 0:
				panic(b)
			case b%7 == 0 && b != 0:
				return 0, fmt.Errorf("%d: %w", b, errSeven)
			}
			return int(b) * 3, nil
		}
		type result struct {
			v     int
			err   string
			panic any
		}
		var want []result
		for _, b := range inputs {
			if len(want) == breakAt+1 && breakAt >= 0 {
				break
			}
			r := result{v: int(b) * 3}
			switch {
			case b%11 == 0 && b != 0:
				r = result{panic: b}
			case b%7 == 0 && b != 0:
				r = result{err: fmt.Sprintf("%d: %v", b, errSeven)}
			}
			want = append(want, r)
		}
		var got []result
		for v, err := range Map(context.Background(), p, slices.Values(inputs), fn, WithBuffer(int(buffer%16)+1)) {
			r := result{v: v}
			var pe *PanicError
			switch {
			case errors.As(err, &pe):
				r = result{v: v, panic: pe.Value}
			case err != nil:
				require.ErrorIs(t, err, errSeven)
				r.err = err.Error()
			}
			got = append(got, r)
			if len(got) == breakAt+1 {
				break
			}
		}
		require.Equal(t, want, got)
		require.NoError(t, p.Shutdown(context.Background()))
		s := p.Stats()
		require.Equal(t, s.Submitted, s.Succeeded+s.Failed+s.Panicked+s.Cancelled+s.Rejected)
	})
}

// FuzzOps interleaves submissions, cancellations and shutdowns as the input
// says, and checks that every future completes exactly once, that Cancel
// reports truly, and that the counts reconcile.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 3, 0, 4, 0})
	f.Add([]byte{0, 5, 0, 0, 6, 1, 1, 0, 3})
	f.Add([]byte{4, 0, 0, 2, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 5, 1, 1, 1, 1, 2, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		p, err := New(WithWorkers(2), WithQueueSize(2))
		require.NoError(t, err)
		release := make(chan struct{})
		type entry struct {
			f         *Future[int]
			cancelled bool
			calls     int
		}
		var entries []*entry
		ctx := context.Background()
		for i, op := range ops {
			switch op % 7 {
			case 0, 5: // submit a task that waits for release, or a quick one
				e := &entry{}
				var gate <-chan struct{}
				if op%7 == 0 {
					gate = release
				} else {
					gate = closedchan
				}
				fut, err := TrySubmit(ctx, p, func(context.Context) (int, error) {
					<-gate
					return i, nil
				})
				if err != nil {
					require.True(t, errors.Is(err, ErrQueueFull) || errors.Is(err, ErrShutdown), "%v", err)
					continue
				}
				e.f = fut
				fut.OnDone(func(*Future[int]) { e.calls++ })
				entries = append(entries, e)
			case 1, 6: // cancel the newest future not yet cancelled
				for j := len(entries) - 1; j >= 0; j-- {
					if e := entries[j]; !e.cancelled {
						e.cancelled = e.f.Cancel()
						break
					}
				}
			case 2:
				sctx, cancel := context.WithCancel(ctx)
				cancel()
				if err := p.Shutdown(sctx); err != nil {
					require.ErrorIs(t, err, context.Canceled)
				}
			case 3:
				sctx, cancel := context.WithCancel(ctx)
				cancel()
				if err := p.ShutdownNow(sctx); err != nil {
					require.ErrorIs(t, err, context.Canceled)
				}
			case 4:
				close(release)
				release = make(chan struct{})
			}
		}
		close(release)
		require.NoError(t, p.Close())
		for _, e := range entries {
			v, err := e.f.Result(ctx)
			if e.cancelled {
				require.Equal(t, Cancelled, e.f.State())
				require.ErrorIs(t, err, ErrCancelled)
			} else if err == nil {
				require.Equal(t, Finished, e.f.State())
				require.GreaterOrEqual(t, v, 0)
			} else {
				require.ErrorIs(t, err, ErrCancelled) // by ShutdownNow
			}
		}
		// Callbacks run on the completing goroutine before Close's
		// workers exit, or at once: all have run by now.
		for _, e := range entries {
			require.Equal(t, 1, e.calls)
		}
		s := p.Stats()
		require.Equal(t, s.Submitted, s.Succeeded+s.Failed+s.Panicked+s.Cancelled+s.Rejected)
	})
}
