package futures

import (
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
	"time"
)

// Timing. With WithTiming, the queue stamps each task as it enters the
// queue or is handed to a worker (reading the clock before taking its lock),
// and the worker reads the clock as the task starts and as it returns: three
// readings of a monotonic clock a task, and four uncontended atomic
// additions to counters of the worker's own, which Stats sums. Without it,
// nothing is read or counted. A reading takes about 30 ns on the machines
// measured (kvm-clock), so the exact definition of the two times, submit to
// start and start to return, costs at least 90 ns a task there.

// timingBuckets is the number of buckets of a Histogram: below 1 µs, then
// one per doubling up to about 18 minutes, then the rest.
const timingBuckets = 32

// clockBase is the origin of now: a monotonic clock, read in one call.
var clockBase = time.Now()

// now returns the nanoseconds since clockBase.
func now() int64 { return int64(time.Since(clockBase)) }

// A Histogram counts durations in buckets with fixed bounds that double from
// one to the next, as runtime/metrics' Float64Histogram does, and with their
// count and sum, as Prometheus' and OpenTelemetry's histograms have: it
// exports to either as it is.
type Histogram struct {
	// Counts[i] is the number of durations d with
	// Buckets[i] <= d < Buckets[i+1].
	Counts []uint64
	// Buckets are the bounds of the buckets in seconds, len(Counts)+1 of
	// them: 0, then 2^i × 1.024 µs for i from 0, then +Inf. They have the
	// same values in every Histogram, each its own copy.
	Buckets []float64
	Count   uint64  // the number of durations, the sum of Counts
	Sum     float64 // their sum, in seconds
}

// histogramBuckets are the bounds of every Histogram.
var histogramBuckets = func() []float64 {
	b := make([]float64, timingBuckets+1)
	for i := 1; i < timingBuckets; i++ {
		b[i] = float64(int64(1)<<(10+i-1)) / 1e9
	}
	b[timingBuckets] = math.Inf(1)
	return b
}()

// bucket returns the index of the bucket of a duration of ns nanoseconds.
func bucket(ns int64) int {
	if ns < 0 {
		ns = 0
	}
	return min(bits.Len64(uint64(ns)>>10), timingBuckets-1)
}

// histogramCounts is a histogram as a worker counts it.
type histogramCounts struct {
	counts [timingBuckets]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

func (h *histogramCounts) record(ns int64) {
	h.counts[bucket(ns)].Add(1)
	h.sum.Add(ns)
}

// addTo adds the counts of h to hist.
func (h *histogramCounts) addTo(hist *Histogram) {
	if hist.Counts == nil {
		hist.Counts = make([]uint64, timingBuckets)
		// A copy: the caller may change it.
		hist.Buckets = slices.Clone(histogramBuckets)
	}
	for i := range h.counts {
		n := h.counts[i].Load()
		hist.Counts[i] += n
		hist.Count += n
	}
	hist.Sum += float64(h.sum.Load()) / 1e9
}

// workerTiming is what a worker counts with WithTiming.
type workerTiming struct {
	wait, run histogramCounts
	// ran is the time of the last task the worker ran, not yet counted
	// in run, or -1. Only the worker's goroutine uses it.
	ran int64
}

// report adds the counts of t to the histograms of s.
func (t *workerTiming) report(s *Stats) {
	t.wait.addTo(&s.QueueWait)
	t.run.addTo(&s.RunTime)
}

// addTo adds the counts of t to sum.
func (t *workerTiming) addTo(sum *workerTiming) {
	t.wait.addCounts(&sum.wait)
	t.run.addCounts(&sum.run)
}

func (h *histogramCounts) addCounts(sum *histogramCounts) {
	for i := range h.counts {
		sum.counts[i].Add(h.counts[i].Load())
	}
	sum.sum.Add(h.sum.Load())
}

// timedStart runs t on w as startTask does, and counts its time in the
// queue, since the stamp it got there. It keeps its time running, if it ran
// and returned, for recordRun.
func (w *worker) timedStart(t task) bool {
	start := now()
	w.timing.wait.record(start - w.stamp)
	ran := startTask(w, t)
	if ran {
		w.timing.ran = now() - start
	}
	return ran
}

// recordRun counts the time of the task that the worker last ran, if any, as
// kept by timedStart (see queue.tallyLocked).
func (t *workerTiming) recordRun() {
	if t.ran >= 0 {
		t.run.record(t.ran)
		t.ran = -1
	}
}
