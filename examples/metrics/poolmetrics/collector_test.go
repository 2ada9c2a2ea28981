package poolmetrics

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/go-futures/futures"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestCollectorOverHTTP runs tasks of every outcome on a pool, scrapes its
// metrics over HTTP as Prometheus would, and checks each value: the gauges
// while the workers are held busy and once the pool is idle, the counters
// exactly, and the histograms' counts against the tasks that ran.
func TestCollectorOverHTTP(t *testing.T) {
	t.Parallel()
	var handled []*futures.PanicError // the callback panics, on this goroutine
	pool, err := futures.New(
		futures.WithWorkers(2),
		futures.WithQueueSize(2),
		futures.WithName("test"),
		futures.WithTiming(),
		futures.WithKeepAlive(0), // so that the workers gauge stays at 2
		futures.WithCallbackPanicHandler(func(pe *futures.PanicError) { handled = append(handled, pe) }),
	)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pool.Close()) })

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(pool, "test"))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	client := srv.Client()
	t.Cleanup(client.CloseIdleConnections)
	scrape := func() map[string]*dto.MetricFamily {
		t.Helper()
		return scrapeURL(t, client, srv.URL+"/metrics")
	}

	ctx := t.Context()
	errNo := errors.New("no")
	var fs []*futures.Future[int]
	for range 5 {
		fs = append(fs, futures.Submit(ctx, pool, func(context.Context) (int, error) { return 1, nil }))
	}
	for range 3 {
		fs = append(fs, futures.Submit(ctx, pool, func(context.Context) (int, error) { return 0, errNo }))
	}
	for range 2 {
		fs = append(fs, futures.Submit(ctx, pool, func(context.Context) (int, error) { panic("boom") }))
	}
	for _, f := range fs {
		_, _ = f.Result(ctx)
	}

	// Hold both workers, fill the queue of 2, and have 2 more refused.
	started, release := make(chan struct{}), make(chan struct{})
	var held []*futures.Future[int]
	for range 2 {
		held = append(held, futures.Submit(ctx, pool, func(context.Context) (int, error) {
			started <- struct{}{}
			<-release
			return 2, nil
		}))
	}
	<-started
	<-started
	var queued []*futures.Future[int]
	for range 2 {
		queued = append(queued, futures.Submit(ctx, pool, func(context.Context) (int, error) { return 3, nil }))
	}
	for range 2 {
		_, err := futures.TrySubmit(ctx, pool, func(context.Context) (int, error) { return 4, nil })
		require.ErrorIs(t, err, futures.ErrQueueFull)
	}

	mfs := scrape()
	assert.Equal(t, 2.0, gaugeValue(t, mfs, "futures_pool_workers"))
	assert.Equal(t, 2.0, gaugeValue(t, mfs, "futures_pool_busy_workers"))
	assert.Equal(t, 2.0, gaugeValue(t, mfs, "futures_pool_queued_tasks"))

	// Cancel the queued tasks, one more whose context is done before it
	// is submitted, and have a callback panic.
	for _, f := range queued {
		require.True(t, f.Cancel())
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	f := futures.Submit(done, pool, func(context.Context) (int, error) { return 5, nil })
	require.ErrorIs(t, f.Err(), futures.ErrCancelled)
	f.OnDone(func(*futures.Future[int]) { panic("callback") }) // f is complete: runs now
	require.Len(t, handled, 1)

	close(release)
	for _, f := range held {
		v, err := f.Result(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, v)
	}

	// Every future is complete: the pool is idle.
	mfs = scrape()
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			assert.Equal(t, "test", labelValue(m, "pool"), "label pool of %s", name)
		}
	}
	assert.Equal(t, 2.0, gaugeValue(t, mfs, "futures_pool_workers"))
	assert.Zero(t, gaugeValue(t, mfs, "futures_pool_busy_workers"))
	assert.Zero(t, gaugeValue(t, mfs, "futures_pool_queued_tasks"))

	const succeeded, failed, panicked, cancelled, rejected = 5 + 2, 3, 2, 2 + 1, 2
	assert.Equal(t, map[string]float64{
		"succeeded": succeeded,
		"failed":    failed,
		"panicked":  panicked,
		"cancelled": cancelled,
		"rejected":  rejected,
	}, counterValues(t, mfs, "futures_pool_completed_tasks_total", "outcome"))
	assert.Equal(t, map[string]float64{"": succeeded + failed + panicked + cancelled + rejected},
		counterValues(t, mfs, "futures_pool_submitted_tasks_total", ""))
	assert.Equal(t, map[string]float64{"": 1}, counterValues(t, mfs, "futures_pool_callback_panics_total", ""))

	// The tasks that ran are the ones the workers timed; the cancelled
	// ones never reached a worker.
	const ran = succeeded + failed + panicked
	for _, name := range []string{"futures_pool_queue_wait_seconds", "futures_pool_run_time_seconds"} {
		h := histogramOf(t, mfs, name)
		assert.Equal(t, uint64(ran), h.GetSampleCount(), name)
		assert.GreaterOrEqual(t, h.GetSampleSum(), 0.0, name)
		checkBuckets(t, name, h)
	}
}

// TestCollectorWithoutTiming checks that a pool without WithTiming gets no
// histograms, rather than empty ones, and that the rest is there.
func TestCollectorWithoutTiming(t *testing.T) {
	t.Parallel()
	pool, err := futures.New(futures.WithWorkers(1))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pool.Close()) })
	_, err = futures.Submit(t.Context(), pool, func(context.Context) (int, error) { return 1, nil }).Result(t.Context())
	require.NoError(t, err)

	c := NewCollector(pool, "plain")
	n, err := testutil.GatherAndCount(registry(t, c))
	require.NoError(t, err)
	assert.Equal(t, 3+1+5+1, n, "gauges, submitted, outcomes, callback panics")
	for _, name := range []string{"futures_pool_queue_wait_seconds", "futures_pool_run_time_seconds"} {
		n, err := testutil.GatherAndCount(registry(t, c), name)
		require.NoError(t, err)
		assert.Zero(t, n, name)
	}
}

// TestCollectorLint checks the metrics' names, types and help against
// Prometheus' conventions, as promtool check metrics does.
func TestCollectorLint(t *testing.T) {
	t.Parallel()
	pool, err := futures.New(futures.WithTiming())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pool.Close()) })
	problems, err := testutil.CollectAndLint(NewCollector(pool, "lint"))
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// TestCollectorPools checks that one registry takes two pools of different
// names, and refuses a second pool of the same name.
func TestCollectorPools(t *testing.T) {
	t.Parallel()
	a, err := futures.New()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	b, err := futures.New()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close()) })

	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(NewCollector(a, "a")))
	require.NoError(t, reg.Register(NewCollector(b, "b")))
	assert.Error(t, reg.Register(NewCollector(b, "a")))
	n, err := testutil.GatherAndCount(reg, "futures_pool_workers")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
}

// TestHistogram checks the conversion of a futures.Histogram, whose buckets
// count the durations between two bounds, to Prometheus' cumulative buckets.
func TestHistogram(t *testing.T) {
	t.Parallel()
	pool, err := futures.New(futures.WithTiming())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pool.Close()) })
	bounds := pool.Stats().RunTime.Buckets // 0, 1.024 µs, 2.048 µs, ..., +Inf
	require.Greater(t, len(bounds), 4)
	require.Zero(t, bounds[0])
	require.True(t, math.IsInf(bounds[len(bounds)-1], 1))

	counts := make([]uint64, len(bounds)-1)
	counts[0] = 1             // below 1.024 µs
	counts[2] = 2             // from 2.048 µs to 4.096 µs
	counts[len(counts)-1] = 3 // beyond the last finite bound
	h := futures.Histogram{Counts: counts, Buckets: bounds, Count: 6, Sum: 1e3}

	var m dto.Metric
	require.NoError(t, histogram(prometheus.NewDesc("h", "help", nil, nil), h).Write(&m))
	got := m.GetHistogram()
	assert.Equal(t, uint64(6), got.GetSampleCount())
	assert.Equal(t, 1e3, got.GetSampleSum())
	buckets := got.GetBucket()
	require.Len(t, buckets, len(bounds)-2, "one per finite bound above 0")
	for i, b := range buckets {
		assert.Equal(t, bounds[i+1], b.GetUpperBound(), "bucket %d", i)
		want := uint64(1)
		if i >= 2 {
			want = 3
		}
		assert.Equal(t, want, b.GetCumulativeCount(), "bucket le=%g", b.GetUpperBound())
	}
}

// registry returns a new registry with c registered.
func registry(t *testing.T, c prometheus.Collector) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	return reg
}

// scrapeURL gets url and parses it in Prometheus' text format.
func scrapeURL(t *testing.T, client *http.Client, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, expfmt.TypeTextPlain, expfmt.ResponseFormat(resp.Header).FormatType())
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return mfs
}

// family returns the metric family called name, of type typ.
func family(t *testing.T, mfs map[string]*dto.MetricFamily, name string, typ dto.MetricType) *dto.MetricFamily {
	t.Helper()
	mf, ok := mfs[name]
	require.True(t, ok, "no metric %s", name)
	require.Equal(t, typ, mf.GetType(), name)
	require.NotEmpty(t, mf.GetHelp(), name)
	return mf
}

// gaugeValue returns the value of the gauge called name, which has one
// series.
func gaugeValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	ms := family(t, mfs, name, dto.MetricType_GAUGE).GetMetric()
	require.Len(t, ms, 1, name)
	return ms[0].GetGauge().GetValue()
}

// counterValues returns the values of the counter called name, by the value
// of its label called label.
func counterValues(t *testing.T, mfs map[string]*dto.MetricFamily, name, label string) map[string]float64 {
	t.Helper()
	values := make(map[string]float64)
	for _, m := range family(t, mfs, name, dto.MetricType_COUNTER).GetMetric() {
		values[labelValue(m, label)] = m.GetCounter().GetValue()
	}
	return values
}

// histogramOf returns the histogram called name, which has one series.
func histogramOf(t *testing.T, mfs map[string]*dto.MetricFamily, name string) *dto.Histogram {
	t.Helper()
	ms := family(t, mfs, name, dto.MetricType_HISTOGRAM).GetMetric()
	require.Len(t, ms, 1, name)
	return ms[0].GetHistogram()
}

// checkBuckets checks that the buckets of h have rising bounds and counts
// that never fall, and end with the bucket +Inf holding the count.
func checkBuckets(t *testing.T, name string, h *dto.Histogram) {
	t.Helper()
	buckets := h.GetBucket()
	require.NotEmpty(t, buckets, name)
	last := buckets[len(buckets)-1]
	assert.True(t, math.IsInf(last.GetUpperBound(), 1), "%s: last bucket le=%g", name, last.GetUpperBound())
	assert.Equal(t, h.GetSampleCount(), last.GetCumulativeCount(), "%s: bucket +Inf", name)
	for i := 1; i < len(buckets); i++ {
		prev, b := buckets[i-1], buckets[i]
		assert.Less(t, prev.GetUpperBound(), b.GetUpperBound(), "%s: bounds of buckets %d and %d", name, i-1, i)
		assert.LessOrEqual(t, prev.GetCumulativeCount(), b.GetCumulativeCount(), "%s: counts of buckets %d and %d", name, i-1, i)
	}
}

// labelValue returns the value of m's label called name, or "".
func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
