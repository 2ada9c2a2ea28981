package futures

import (
	"bytes"
	"context"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// labelsAt returns the pprof labels of the goroutine blocked in
// blockForLabels, as the goroutine profile shows them.
func labelsAt(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, pprof.Lookup("goroutine").WriteTo(&buf, 1))
	for _, record := range strings.Split(buf.String(), "\n\n") {
		if !strings.Contains(record, "blockForLabels") {
			continue
		}
		for _, line := range strings.Split(record, "\n") {
			if labels, ok := strings.CutPrefix(line, "# labels: "); ok {
				return labels
			}
		}
		return "none"
	}
	require.FailNow(t, "no goroutine blocked in blockForLabels")
	return ""
}

// blockForLabels reports that it has started, then waits for release.
func blockForLabels(started chan<- struct{}, release <-chan struct{}) {
	started <- struct{}{}
	<-release
}

// probeLabels runs fn as a task of p that blocks in blockForLabels, and
// returns the labels of the goroutine while it is blocked there.
func probeLabels(t *testing.T, p *Pool, fn func(ctx context.Context, block func())) string {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	f := Submit(context.Background(), p, func(ctx context.Context) (int, error) {
		fn(ctx, func() { blockForLabels(started, release) })
		return 1, nil
	})
	<-started
	labels := labelsAt(t)
	close(release)
	_, err := f.Result(context.Background())
	require.NoError(t, err)
	return labels
}

const workerLabels = `{"pool":"lbl", "worker":"0"}`

// TestTasksStartWithTheWorkersLabels checks that every task starts with
// exactly its worker's pprof labels, whatever the task before it did to its
// goroutine's labels, and that a task's context carries them, so that
// pprof.Do in a task adds to them.
func TestTasksStartWithTheWorkersLabels(t *testing.T) {
	p := newPool(t, WithWorkers(1), WithName("lbl"))
	plain := func(_ context.Context, block func()) { block() }
	assert.Equal(t, workerLabels, probeLabels(t, p, plain))

	_, err := Submit(context.Background(), p, func(ctx context.Context) (int, error) {
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("user", "alice")))
		return 1, nil
	}).Result(context.Background())
	require.NoError(t, err)
	assert.Equal(t, workerLabels, probeLabels(t, p, plain), "after a task set its goroutine's labels")

	doing := func(ctx context.Context, block func()) {
		pprof.Do(ctx, pprof.Labels("user", "bob"), func(context.Context) { block() })
	}
	assert.Equal(t, `{"pool":"lbl", "user":"bob", "worker":"0"}`, probeLabels(t, p, doing),
		"pprof.Do in a task")
	assert.Equal(t, workerLabels, probeLabels(t, p, plain), "after a task's pprof.Do")

	var name string
	probeLabels(t, p, func(ctx context.Context, block func()) {
		name, _ = pprof.Label(ctx, "pool")
		block()
	})
	assert.Equal(t, "lbl", name, "the pool's label in the task's context")

	// A task run by a task that waits for it, in its place, on a goroutine
	// that starts with the waiter's labels.
	helped := func(ctx context.Context, block func()) {
		pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("user", "carol")))
		Submit(ctx, p, func(context.Context) (int, error) {
			block()
			return 1, nil
		}).Result(ctx)
	}
	assert.Equal(t, workerLabels, probeLabels(t, p, helped), "a task run by its waiter")
}
