// Package poolmetrics exports the activity of a futures.Pool to Prometheus.
//
// A Collector reads Pool.Stats once a scrape and reports it as these metrics,
// each with the constant label pool, the name given to NewCollector:
//
//	futures_pool_workers                   gauge      worker goroutines started and not exited
//	futures_pool_busy_workers              gauge      workers running a task
//	futures_pool_queued_tasks              gauge      tasks waiting in the queue for a worker
//	futures_pool_submitted_tasks_total     counter    tasks submitted
//	futures_pool_completed_tasks_total     counter    tasks complete, by outcome
//	futures_pool_callback_panics_total     counter    OnDone callbacks that panicked
//	futures_pool_queue_wait_seconds        histogram  time from submission to start
//	futures_pool_run_time_seconds          histogram  time from start to return
//
// The label outcome of futures_pool_completed_tasks_total is one of
// succeeded, failed, panicked, cancelled and rejected, the counts of
// futures.Stats of those names: once the pool is idle, the sum over outcomes
// is futures_pool_submitted_tasks_total. The two histograms are reported
// only for a pool made with futures.WithTiming.
package poolmetrics

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/go-futures/futures"
)

// A Collector is a prometheus.Collector for one pool. Register it with a
// prometheus.Registerer; it reads the pool's Stats once for each Collect, so
// that the metrics of a scrape come from a single snapshot. A Collector is
// safe for use by multiple goroutines at once, as Prometheus requires.
type Collector struct {
	pool *futures.Pool

	workers, busy, queued *prometheus.Desc
	submitted, completed  *prometheus.Desc
	callbackPanics        *prometheus.Desc
	queueWait, runTime    *prometheus.Desc
}

// NewCollector returns a Collector for pool whose metrics carry the label
// pool="name". Give each pool registered with the same registry its own
// name: the registry refuses a second collector with the same labels.
// The name of the pool's pprof labels (futures.WithName) is a good choice.
func NewCollector(pool *futures.Pool, name string) *Collector {
	labels := prometheus.Labels{"pool": name}
	desc := func(metric, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName("futures", "pool", metric), help, variable, labels)
	}
	return &Collector{
		pool:           pool,
		workers:        desc("workers", "Worker goroutines started and not exited."),
		busy:           desc("busy_workers", "Workers running a task."),
		queued:         desc("queued_tasks", "Tasks waiting in the queue for a worker."),
		submitted:      desc("submitted_tasks_total", "Tasks submitted to the pool, refused ones included."),
		completed:      desc("completed_tasks_total", "Tasks complete, by outcome: succeeded, failed (an error or runtime.Goexit), panicked, cancelled before they ran, or rejected by the pool.", "outcome"),
		callbackPanics: desc("callback_panics_total", "OnDone callbacks that panicked."),
		queueWait:      desc("queue_wait_seconds", "Time tasks waited for a worker, from submission to start."),
		runTime:        desc("run_time_seconds", "Time tasks ran, from start to return."),
	}
}

// Describe sends the descriptions of every metric the Collector may report.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.workers, c.busy, c.queued,
		c.submitted, c.completed, c.callbackPanics,
		c.queueWait, c.runTime,
	} {
		ch <- d
	}
}

// Collect reads the pool's Stats and sends them as metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stats()
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.workers, s.Workers)
	gauge(c.busy, s.Busy)
	gauge(c.queued, s.Queued)
	counter(c.submitted, s.Submitted)
	counter(c.completed, s.Succeeded, "succeeded")
	counter(c.completed, s.Failed, "failed")
	counter(c.completed, s.Panicked, "panicked")
	counter(c.completed, s.Cancelled, "cancelled")
	counter(c.completed, s.Rejected, "rejected")
	counter(c.callbackPanics, s.CallbackPanics)
	// Without WithTiming the histograms are empty, with no buckets: a
	// histogram of zeros would claim that nothing ran.
	if s.RunTime.Buckets != nil {
		ch <- histogram(c.queueWait, s.QueueWait)
		ch <- histogram(c.runTime, s.RunTime)
	}
}

// histogram converts h to a Prometheus histogram. A bucket of h counts the
// durations from one bound up to the next, a bucket of Prometheus all those
// up to its bound, le: so the bucket le="b" is the sum of the counts of h's
// buckets below b. The bound +Inf is left out, as Prometheus adds it with
// the count of h. A duration of exactly a bound, 1.024 µs say, is in the
// bucket above it in h, and so it is here too, where a Prometheus histogram
// of its own would put it in the bucket le of that bound: a difference of
// one nanosecond.
func histogram(d *prometheus.Desc, h futures.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Counts))
	var cum uint64
	for i, n := range h.Counts {
		cum += n
		if le := h.Buckets[i+1]; !math.IsInf(le, 1) {
			buckets[le] = cum
		}
	}
	return prometheus.MustNewConstHistogram(d, h.Count, h.Sum, buckets)
}
