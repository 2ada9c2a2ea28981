package main

import (
	"fmt"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun runs the demo and reads what it prints as Prometheus would: the
// outcomes account for every task of the workload, dropped ones included,
// and the histograms count each task that ran.
func TestRun(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(t.Context(), &out, "127.0.0.1:0", false))

	var header []string
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "# HELP") && !strings.HasPrefix(line, "# TYPE") {
			header = append(header, line)
		}
	}
	require.Len(t, header, 2, "the demo's own lines")
	var n, dropped, cancelled int
	_, err := fmt.Sscanf(header[0], summary, &n, &dropped, &cancelled)
	require.NoError(t, err, "first line: %q", header[0])
	assert.Equal(t, tasks, n)

	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(out.String()))
	require.NoError(t, err)

	outcomes := make(map[string]float64)
	for _, m := range mfs["futures_pool_completed_tasks_total"].GetMetric() {
		require.Equal(t, "demo", label(m, "pool"))
		outcomes[label(m, "outcome")] = m.GetCounter().GetValue()
	}
	ran := outcomes["succeeded"] + outcomes["failed"] + outcomes["panicked"]
	assert.Equal(t, float64(cancelled), outcomes["cancelled"])
	assert.Equal(t, float64(dropped), outcomes["rejected"])
	assert.Equal(t, float64(tasks), ran+outcomes["cancelled"]+outcomes["rejected"], "every task of the workload, once")
	for _, o := range []string{"succeeded", "failed", "panicked"} {
		assert.Positive(t, outcomes[o], o)
	}
	submitted := mfs["futures_pool_submitted_tasks_total"].GetMetric()
	require.Len(t, submitted, 1)
	assert.Equal(t, float64(tasks), submitted[0].GetCounter().GetValue())

	for _, name := range []string{"futures_pool_queue_wait_seconds", "futures_pool_run_time_seconds"} {
		ms := mfs[name].GetMetric()
		require.Len(t, ms, 1, name)
		assert.Equal(t, uint64(ran), ms[0].GetHistogram().GetSampleCount(), name)
	}
	busy := mfs["futures_pool_busy_workers"].GetMetric()
	require.Len(t, busy, 1)
	assert.Zero(t, busy[0].GetGauge().GetValue(), "busy workers once the workload is done")
}

// label returns the value of m's label called name, or "".
func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
