package futures_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-futures/futures"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Workers idle for longer than the keep-alive exit, and come back, with the
// initializer run again and an index in range, when tasks call for them.
func TestKeepAliveIdleWorkersExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 100
		var inits atomic.Int64
		p := futures.NewTestPool(t, futures.WithWorkers(workers), futures.WithKeepAlive(time.Second),
			futures.WithInitializer(func(context.Context) error { inits.Add(1); return nil }))
		futures.SettleGoroutines(t, 0) // New starts none
		baseline := futures.Goroutines()
		fs := make([]*futures.Future[int], workers)
		for i := range fs {
			fs[i] = futures.Submit(gcBG, p, func(context.Context) (int, error) {
				time.Sleep(10 * time.Millisecond)
				return 0, nil
			})
		}
		_, _, err := futures.Wait(gcBG, fs, futures.AllCompleted)
		require.NoError(t, err)
		assert.Equal(t, workers, p.Stats().Workers)
		assert.Equal(t, int64(workers), inits.Load())
		assert.Equal(t, baseline+workers, futures.Goroutines(), "worker goroutines during the burst")

		time.Sleep(900 * time.Millisecond) // idle for less than a keep-alive: all stay
		synctest.Wait()
		assert.Equal(t, workers, p.Stats().Workers, "workers idle for less than the keep-alive exited")
		time.Sleep(1100 * time.Millisecond) // idle for two keep-alives: all go
		synctest.Wait()
		s := p.Stats()
		assert.Zero(t, s.Workers, "workers left")
		assert.LessOrEqual(t, futures.Goroutines(), baseline, "worker goroutines left")
		assert.Equal(t, uint64(workers), s.Succeeded, "the counts of the workers that exited")

		index := -1
		_, err = futures.Submit(gcBG, p, func(ctx context.Context) (int, error) {
			index, _ = futures.WorkerIndex(ctx)
			return 0, nil
		}).Result(gcBG)
		require.NoError(t, err)
		assert.Equal(t, int64(workers+1), inits.Load(), "the initializer of a worker that came back")
		assert.GreaterOrEqual(t, index, 0)
		assert.Less(t, index, workers)
	})
}

// A worker that keeps getting tasks, more often than the keep-alive, never
// exits; nor does one of a pool whose keep-alive is 0.
func TestKeepAliveSteadyLoadKeepsItsWorker(t *testing.T) {
	for _, keepAlive := range []time.Duration{time.Second, 0} {
		synctest.Test(t, func(t *testing.T) {
			var inits atomic.Int64
			p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithKeepAlive(keepAlive),
				futures.WithInitializer(func(context.Context) error { inits.Add(1); return nil }))
			for range 100 {
				_, err := futures.Submit(gcBG, p, func(context.Context) (int, error) { return 0, nil }).Result(gcBG)
				require.NoError(t, err)
				gap := 900 * time.Millisecond
				if keepAlive == 0 {
					gap = time.Hour
				}
				time.Sleep(gap)
			}
			assert.Equal(t, int64(1), inits.Load(), "keep-alive %v: the worker came back", keepAlive)
			assert.Equal(t, 1, p.Stats().Workers)
		})
	}
}

// After a burst on a pool of many workers, and a keep-alive, the pool gives
// back its goroutines and their stacks.
func TestKeepAliveGivesBackABurstsMemory(t *testing.T) {
	workers := 100_000
	if testing.Short() || raceEnabledHint() {
		workers = 10_000
	}
	const keepAlive = 50 * time.Millisecond
	p := futures.NewTestPool(t, futures.WithWorkers(workers), futures.WithKeepAlive(keepAlive))
	stacks := func() uint64 {
		// Twice: stack spans freed by one collection go back at the next.
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.StackInuse
	}
	goroutines, before := futures.Goroutines(), stacks()

	gate := make(chan struct{})
	fs := make([]*futures.Future[int], workers)
	for i := range fs {
		fs[i] = futures.Submit(gcBG, p, func(context.Context) (int, error) { <-gate; return 0, nil })
	}
	require.Equal(t, workers, p.Stats().Workers)
	during := stacks()
	close(gate)
	_, _, err := futures.Wait(gcBG, fs, futures.AllCompleted)
	require.NoError(t, err)
	clear(fs)

	// Two keep-alives, and the time for that many goroutines to exit.
	deadline := time.Now().Add(30 * time.Second)
	for p.Stats().Workers > 0 && time.Now().Before(deadline) {
		time.Sleep(keepAlive)
	}
	require.Zero(t, p.Stats().Workers, "workers left")
	for futures.Goroutines() > goroutines && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, futures.Goroutines(), goroutines, "worker goroutines left")
	after := stacks()
	t.Logf("stacks: %d KiB before, %d KiB with %d workers, %d KiB after", before>>10, during>>10, workers, after>>10)
	// The runtime keeps the stacks of a few exited goroutines per P for
	// the next ones: a few MiB at most, against hundreds for the workers.
	assert.Less(t, after, before+4<<20, "the workers' stacks stayed")
}
