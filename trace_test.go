package futures_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/trace"
	"slices"
	"strings"
	"testing"

	"github.com/go-futures/futures"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTraceShowsThePoolsWork records an execution trace of a group and a Map
// and reads it back with go tool trace: each task ran in a region named
// after its pool, within the trace task of its group or Map, and each
// submission logged an event there.
func TestTraceShowsThePoolsWork(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("a trace is being recorded already (go test -trace?): %v", err)
	}
	p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithName("tracedpool"))
	g, ctx := futures.NewGroup(context.Background(), p)
	for range 3 {
		g.Go(func(context.Context) error { return nil })
	}
	futures.Submit(ctx, g, func(context.Context) (int, error) { return 1, nil })
	require.NoError(t, g.Wait())
	for _, err := range futures.Map(context.Background(), p, slices.Values([]int{1, 2, 3}),
		func(_ context.Context, v int) (int, error) { return v, nil }) {
		require.NoError(t, err)
	}
	trace.Stop()

	file := filepath.Join(t.TempDir(), "trace.out")
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o600))
	goCmd, err := exec.LookPath("go")
	require.NoError(t, err, "go tool trace reads the trace back")
	out, err := exec.Command(goCmd, "tool", "trace", "-d=parsed", file).CombinedOutput()
	require.NoError(t, err, "%s", out)
	// The trace tasks by type, and the regions and submission events in
	// each, from lines such as
	//	M=1 P=1 G=21 TaskBegin Time=1 ID=1 Parent=18446744073709551615 Type="futures.Group"
	//	M=1 P=1 G=26 RegionBegin Time=2 Task=1 Type="tracedpool"
	//	M=1 P=1 G=21 Log Time=3 Task=1 Category="futures" Message="tracedpool"
	ids := map[string]string{}
	regions, logs := map[string]int{}, map[string]int{}
	taskBegin := regexp.MustCompile(`TaskBegin .* ID=(\d+) .*Type="([^"]*)"`)
	region := regexp.MustCompile(`RegionBegin .* Task=(\d+) Type="tracedpool"`)
	logged := regexp.MustCompile(`Log .* Task=(\d+) Category="futures" Message="tracedpool"`)
	for line := range strings.Lines(string(out)) {
		if m := taskBegin.FindStringSubmatch(line); m != nil {
			ids[m[2]] = m[1]
		} else if m := region.FindStringSubmatch(line); m != nil {
			regions[m[1]]++
		} else if m := logged.FindStringSubmatch(line); m != nil {
			logs[m[1]]++
		}
	}
	require.Contains(t, ids, "futures.Group")
	require.Contains(t, ids, "futures.Map")
	assert.Equal(t, 4, regions[ids["futures.Group"]], "the group's tasks' regions")
	assert.Equal(t, 4, logs[ids["futures.Group"]], "the group's submissions")
	assert.Equal(t, 3, regions[ids["futures.Map"]], "the Map's tasks' regions")
	assert.Equal(t, 3, logs[ids["futures.Map"]], "the Map's submissions")
}
