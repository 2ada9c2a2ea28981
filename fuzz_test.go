package futures

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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
// reports truly, and that the counts reconcile. Bytes from 0xf0 submit tasks
// that wait for tasks of their own (see help.go), which must never run more
// tasks at once than the pool has workers, nor two at once with the same
// WorkerIndex. Bytes from 0xe0 to 0xef add to a group by every way in (Go,
// TryGo, Submit, TrySubmit, Map, Any, with a ctx that ends, nil), fail it,
// and run tasks whose goroutines wait for tasks of the pool while the task
// runs on.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 3, 0, 4, 0})
	f.Add([]byte{0, 5, 0, 0, 6, 1, 1, 0, 3})
	f.Add([]byte{4, 0, 0, 2, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 5, 1, 1, 1, 1, 2, 3})
	f.Add([]byte{0xf0, 0xf1, 0, 0xf2, 0xf3, 4, 0xf0, 0xf0, 1, 0xf2, 3})
	f.Add([]byte{0xf2, 0xf2, 0xf0, 0xf3, 0, 0, 2, 4})
	f.Add([]byte{0xf1})
	f.Add([]byte{0xe0, 0xe0, 0xe0, 0xe2, 0xe3, 0, 4, 0xe0})
	f.Add([]byte{0xe0, 0xe2, 0xe1, 0xe0, 0xe3, 4, 0xe2})
	f.Add([]byte{0xe0, 0xe0, 0xe2, 0xe2, 3, 0xe0, 0xe3, 4})
	f.Add([]byte{0xe2, 0xe0, 2, 0xe0, 0xe1})
	f.Add([]byte{0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe3, 0xe0, 4, 0xe1, 0xe4, 0xe5, 0xe6, 0xe7, 0xe3})
	f.Add([]byte{0xe0, 0xe6, 0xe9, 0xe5, 0xe3, 0xe7, 0xe4, 4})
	f.Add([]byte{0xea, 0xeb, 0xea, 0, 0xf2, 4, 0xeb})
	f.Add([]byte{0, 0xea, 0xe0, 0xeb, 0xe6, 4, 3, 0xe5, 0xe7})
	f.Add([]byte{0xec, 0xe0, 0xe0, 0xe3, 0xe5, 0xe6, 0xe7, 4, 0xe4, 0xe0, 0xe1, 0xe0, 4})
	f.Add([]byte{0xec, 0xe0, 0xe5, 0xe6, 0xe8, 0xec, 0xe0, 0xec, 0xe3, 2, 0xe5, 4})
	f.Add([]byte{0xec, 0xe0, 0xe0, 0xe5, 3, 0xe7, 4})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const workers = 2
		p, err := New(WithWorkers(workers), WithQueueSize(2))
		require.NoError(t, err)
		release := make(chan struct{})
		// leaf counts the tasks running that wait for no other, and
		// holds, as per-worker state, the slot of its WorkerIndex.
		var running, most atomic.Int32
		var inUse [workers]atomic.Int32
		var shared atomic.Bool
		holdIndex := func(ctx context.Context) func() {
			i, ok := WorkerIndex(ctx)
			if !ok {
				return func() {}
			}
			if inUse[i].Add(1) > 1 {
				shared.Store(true)
			}
			return func() { inUse[i].Add(-1) }
		}
		leaf := func(gate <-chan struct{}, v int) func(context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				n := running.Add(1)
				defer running.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				defer holdIndex(ctx)()
				<-gate
				return v, nil
			}
		}
		// calls are the calls that wait (Map, Any) made on goroutines of
		// their own, which must all return once the gates are open.
		var calls sync.WaitGroup
		type entry struct {
			f         *Future[int]
			cancelled bool
			calls     int
		}
		var entries []*entry
		ctx := context.Background()
		submit := func(fn func(context.Context) (int, error)) {
			fut, err := TrySubmit(ctx, p, fn)
			if err != nil {
				require.True(t, errors.Is(err, ErrQueueFull) || errors.Is(err, ErrShutdown), "%v", err)
				return
			}
			e := &entry{f: fut}
			fut.OnDone(func(*Future[int]) { e.calls++ })
			entries = append(entries, e)
		}
		// Two groups on the pool, which the ops in 0xe0 to 0xeb use: g,
		// and lg, limited to one task at a time, which op 0xec switches
		// to and from. Each fails, if at all, with errOp.
		g, _ := NewGroup(ctx, p)
		lg, _ := NewGroup(ctx, p, WithLimit(1))
		onLimited := false
		// lrunning counts the leaves of lg running, which its limit bounds.
		var lrunning, lmost atomic.Int32
		errOp := errors.New("op failed")
		for i, op := range ops {
			if op == 0xec {
				onLimited = !onLimited
				continue
			}
			if op >= 0xe0 && op < 0xf0 {
				gate := release
				g := g
				// gleaf is leaf for the tasks of the group.
				gleaf := leaf
				if onLimited {
					g = lg
					gleaf = func(gate <-chan struct{}, v int) func(context.Context) (int, error) {
						inner := leaf(gate, v)
						return func(ctx context.Context) (int, error) {
							n := lrunning.Add(1)
							defer lrunning.Add(-1)
							for m := lmost.Load(); n > m && !lmost.CompareAndSwap(m, n); m = lmost.Load() {
							}
							return inner(ctx)
						}
					}
				}
				switch op & 15 {
				case 0: // a task of the group, held if need be
					g.Go(func(ctx context.Context) error {
						_, err := gleaf(gate, i)(ctx)
						return err
					})
				case 1: // a task that fails the group
					g.Go(func(context.Context) error { return errOp })
				case 2: // a group made in a task, waited for with help
					submit(func(ctx context.Context) (int, error) {
						inner, _ := NewGroup(ctx, p)
						for range 3 {
							inner.Go(func(ctx context.Context) error {
								_, err := leaf(gate, i)(ctx)
								return err
							})
						}
						return i, inner.Wait()
					})
				case 3: // a future of the group
					if fut, err := TrySubmit(ctx, g, gleaf(gate, i)); err == nil {
						e := &entry{f: fut}
						fut.OnDone(func(*Future[int]) { e.calls++ })
						entries = append(entries, e)
					}
				case 4:
					g.TryGo(func(ctx context.Context) error {
						_, err := gleaf(gate, i)(ctx)
						return err
					})
				case 5: // a future of the group that waits for room
					calls.Go(func() {
						fut := Submit(ctx, g, gleaf(gate, i))
						_, err := fut.Result(ctx)
						if err != nil && !errors.Is(err, ErrCancelled) && !errors.Is(err, ErrShutdown) {
							// Not the group's failure, nor the pool's stop.
							t.Errorf("a future of the group: %v", err)
						}
					})
				case 6:
					calls.Go(func() {
						for range Map(ctx, g, slices.Values([]int{i, i}), func(ctx context.Context, v int) (int, error) {
							return gleaf(gate, v)(ctx)
						}) {
						}
					})
				case 7:
					calls.Go(func() {
						_, _ = Any(ctx, g, gleaf(gate, i), func(context.Context) (int, error) { return 0, errOp })
					})
				case 8: // a future whose own ctx ends: never the group's failure
					sctx, cancel := context.WithCancel(ctx)
					fut, err := TrySubmit(sctx, g, gleaf(gate, i))
					cancel()
					if err == nil {
						e := &entry{f: fut}
						fut.OnDone(func(*Future[int]) { e.calls++ })
						entries = append(entries, e)
					}
				case 9: // fails the group as an invalid task
					g.Go(nil)
				case 10, 11: // a task whose goroutines wait while it runs on
					submit(func(ctx context.Context) (int, error) {
						defer holdIndex(ctx)()
						var wg sync.WaitGroup
						errs := make([]error, 2)
						for j := range errs {
							wg.Go(func() { _, errs[j] = Submit(ctx, p, leaf(closedchan, i)).Result(ctx) })
						}
						if op&1 == 0 {
							done := make(chan struct{})
							go func() { wg.Wait(); close(done) }()
							for spin := true; spin; {
								select {
								case <-done:
									spin = false
								default:
									runtime.Gosched()
								}
							}
						}
						wg.Wait()
						return i, errors.Join(errs...)
					})
				}
				continue
			}
			if op >= 0xf0 {
				gate := release
				switch op & 3 {
				case 0: // wait for a child, running it if still queued
					submit(func(ctx context.Context) (int, error) {
						return Submit(ctx, p, leaf(gate, i)).Result(ctx)
					})
				case 1: // wait with a done context: it must not run the child
					submit(func(ctx context.Context) (int, error) {
						mine, _ := WorkerIndex(ctx)
						var waiting, helped atomic.Bool
						child := Submit(ctx, p, func(ctx context.Context) (int, error) {
							// Another worker may run it, but not
							// this one on the waiter's behalf.
							if w, _ := WorkerIndex(ctx); w == mine && waiting.Load() {
								helped.Store(true)
							}
							return i, nil
						})
						done, cancel := context.WithCancel(ctx)
						cancel()
						waiting.Store(true)
						_, err := child.Result(done)
						waiting.Store(false)
						if helped.Load() || !errors.Is(err, context.Canceled) && err != child.Err() {
							// Not the cause, nor the outcome of a
							// child complete already.
							return -1, fmt.Errorf("Result with a done context: %v, helped %v", err, helped.Load())
						}
						return i, nil
					})
				case 2: // fan out to goroutines that share the place
					submit(func(ctx context.Context) (int, error) {
						var wg sync.WaitGroup
						errs := make([]error, 3)
						for j := range errs {
							wg.Go(func() { _, errs[j] = Submit(ctx, p, leaf(closedchan, i)).Result(ctx) })
						}
						wg.Wait()
						return i, errors.Join(errs...)
					})
				case 3: // wait for the first of two children
					submit(func(ctx context.Context) (int, error) {
						fs := []*Future[int]{Submit(ctx, p, leaf(gate, i)), Submit(ctx, p, leaf(closedchan, i))}
						_, _, err := Wait(ctx, fs, FirstCompleted)
						return i, err
					})
				}
				continue
			}
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
		calls.Wait()
		for _, g := range []*Group{g, lg} {
			if err := g.Wait(); err != nil && !errors.Is(err, errOp) && !errors.Is(err, ErrInvalidOption) {
				// Tasks held when the pool was shut down.
				require.ErrorIs(t, err, ErrShutdown)
			}
		}
		require.LessOrEqual(t, lmost.Load(), int32(1), "tasks of a group limited to 1 run at once")
		require.NoError(t, p.Close())
		require.LessOrEqual(t, most.Load(), int32(workers), "tasks run at once")
		require.False(t, shared.Load(), "two tasks ran at once with the same WorkerIndex")
		for _, e := range entries {
			v, err := e.f.Result(ctx)
			if e.cancelled {
				require.Equal(t, Cancelled, e.f.State())
				require.ErrorIs(t, err, ErrCancelled)
			} else if err == nil {
				require.Equal(t, Finished, e.f.State())
				require.GreaterOrEqual(t, v, 0)
			} else if !errors.Is(err, ErrCancelled) { // by ShutdownNow
				// A task whose own submissions came after a shutdown.
				require.ErrorIs(t, err, ErrShutdown)
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
