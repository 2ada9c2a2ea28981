package futures_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-futures/futures"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bucketOf returns the index of the bucket of h that holds d.
func bucketOf(h futures.Histogram, d time.Duration) int {
	for i := range h.Counts {
		if d.Seconds() >= h.Buckets[i] && d.Seconds() < h.Buckets[i+1] {
			return i
		}
	}
	return -1
}

// With WithTiming, Stats reports how long tasks waited in the queue and how
// long they ran, and keeps the counts of workers that exit idle.
func TestTimingHistograms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithTiming(), futures.WithKeepAlive(time.Second))
		sleep := func(d time.Duration) func(context.Context) (int, error) {
			return func(context.Context) (int, error) { time.Sleep(d); return 0, nil }
		}
		a := futures.Submit(gcBG, p, sleep(10*time.Millisecond))
		time.Sleep(4 * time.Millisecond)
		b := futures.Submit(gcBG, p, sleep(3*time.Millisecond)) // waits 6 ms behind a
		_, _, err := futures.Wait(gcBG, []*futures.Future[int]{a, b}, futures.AllCompleted)
		require.NoError(t, err)

		check := func(s futures.Stats) {
			t.Helper()
			run, wait := s.RunTime, s.QueueWait
			require.Len(t, run.Buckets, len(run.Counts)+1)
			assert.Zero(t, run.Buckets[0])
			assert.True(t, math.IsInf(run.Buckets[len(run.Buckets)-1], 1))
			assert.Equal(t, uint64(2), run.Count)
			assert.InDelta(t, 0.013, run.Sum, 1e-9, "the time run: 10 ms and 3 ms")
			assert.Equal(t, uint64(1), run.Counts[bucketOf(run, 10*time.Millisecond)])
			assert.Equal(t, uint64(1), run.Counts[bucketOf(run, 3*time.Millisecond)])
			assert.Equal(t, uint64(2), wait.Count)
			assert.InDelta(t, 0.006, wait.Sum, 1e-9, "the time waited: none, and 6 ms")
			assert.Equal(t, uint64(1), wait.Counts[bucketOf(wait, 6*time.Millisecond)])
			assert.Equal(t, uint64(1), wait.Counts[0])
		}
		check(p.Stats())
		time.Sleep(3 * time.Second) // the worker exits idle
		synctest.Wait()
		require.Zero(t, p.Stats().Workers)
		check(p.Stats())
	})
}

// Without WithTiming, the histograms are empty.
func TestTimingOffByDefault(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1))
	_, err := futures.Submit(gcBG, p, func(context.Context) (int, error) { return 0, nil }).Result(gcBG)
	require.NoError(t, err)
	s := p.Stats()
	assert.Zero(t, s.RunTime.Count)
	assert.Nil(t, s.RunTime.Counts)
	assert.Nil(t, s.QueueWait.Counts)
}

// A caller that changes the buckets of one Stats changes no other.
func TestTimingBucketsAreTheCallers(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithTiming())
	_, err := futures.Submit(gcBG, p, func(context.Context) (int, error) { return 0, nil }).Result(gcBG)
	require.NoError(t, err)
	s := p.Stats()
	want := slices.Clone(s.RunTime.Buckets)
	clear(s.RunTime.Buckets)
	clear(s.QueueWait.Buckets)
	assert.Equal(t, want, p.Stats().RunTime.Buckets)
	assert.Equal(t, want, p.Stats().QueueWait.Buckets)
}

// Stats taken while tasks come and go agree with themselves: each
// histogram's Count is the sum of its Counts, and no snapshot has more tasks
// run than waited, nor than returned.
func TestTimingSnapshotsAgree(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(4), futures.WithTiming(), futures.WithKeepAlive(time.Millisecond))
	stop := watchStats(t, p, func(s futures.Stats) bool {
		for _, h := range []futures.Histogram{s.QueueWait, s.RunTime} {
			var sum uint64
			for _, c := range h.Counts {
				sum += c
			}
			if !assert.Equal(t, h.Count, sum, "Count against the sum of Counts") {
				return false
			}
		}
		return assert.LessOrEqual(t, s.RunTime.Count, s.QueueWait.Count, "run against waited") &&
			assert.LessOrEqual(t, s.RunTime.Count, s.Succeeded+s.Failed+s.Panicked, "run against returned")
	})
	for i := range 20_000 {
		f := futures.Submit(gcBG, p, func(context.Context) (int, error) { return 0, nil })
		if i%1000 == 0 {
			// Let some workers retire, for the retired counts too.
			_, err := f.Result(gcBG)
			require.NoError(t, err)
			time.Sleep(3 * time.Millisecond)
		}
	}
	assert.Positive(t, stop())
	require.NoError(t, p.Close())
	s := p.Stats()
	assert.Equal(t, uint64(20_000), s.Succeeded)
	assert.Equal(t, s.Succeeded, s.RunTime.Count)
	assert.Equal(t, s.Succeeded, s.QueueWait.Count)
}

// watchStats takes snapshots of p's Stats on a goroutine of its own, and
// checks each with check, until check fails or stop is called; stop returns
// the number of snapshots checked. A test that ends before it calls stop
// stops the goroutine as it is cleaned up.
func watchStats(t *testing.T, p *futures.Pool, check func(futures.Stats) bool) (stop func() int) {
	t.Helper()
	done := make(chan struct{})
	checked := make(chan int, 1)
	go func() {
		n := 0
		defer func() { checked <- n }()
		for {
			select {
			case <-done:
				return
			default:
			}
			n++
			if !check(p.Stats()) {
				<-done
				return
			}
		}
	}()
	stop = sync.OnceValue(func() int {
		close(done)
		return <-checked
	})
	t.Cleanup(func() { stop() })
	return stop
}

// A task that a worker takes and finds cancelled counts in QueueWait, though
// it never runs, and not in RunTime.
func TestTimingCountsACancelledTaskInWaitOnly(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithTiming())
	gate := make(chan struct{})
	started := make(chan struct{})
	futures.Submit(gcBG, p, func(context.Context) (int, error) { close(started); <-gate; return 0, nil })
	<-started
	ctx, cancel := context.WithCancel(gcBG)
	f := futures.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil })
	cancel() // the task is queued: the worker finds its ctx done as it takes it
	close(gate)
	_, err := f.Result(gcBG)
	require.ErrorIs(t, err, futures.ErrCancelled)
	require.NoError(t, p.Close())
	s := p.Stats()
	assert.Equal(t, uint64(1), s.Cancelled)
	assert.Equal(t, uint64(2), s.QueueWait.Count)
	assert.Equal(t, uint64(1), s.RunTime.Count)
}
