package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-futures/futures"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun checks that both pools report a sorted result of the right length
// and the number of tasks the split makes.
func TestRun(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(t.Context(), &out, 20_000))

	// 20,000 ints split in halves down to 2048 or fewer: 16 leaves, 15
	// inner tasks.
	line := regexp.MustCompile(`^(.+): sorted 20000 ints in \S+, 31 tasks, sorted: true$`)
	var names []string
	for l := range strings.Lines(out.String()) {
		m := line.FindStringSubmatch(strings.TrimSuffix(l, "\n"))
		require.NotNil(t, m, "unexpected line %q", l)
		names = append(names, m[1])
	}
	assert.Equal(t, []string{"2 workers", "1 worker, queue of 0"}, names)
}

// TestSortOn compares sortOn with slices.Sort on pools of several shapes,
// the smallest ones included.
func TestSortOn(t *testing.T) {
	tests := []struct {
		workers, queue int
	}{
		{1, 0},
		{1, 1},
		{2, 0},
		{2, 64},
		{4, 0},
	}
	for _, tt := range tests {
		for _, n := range []int{0, 1, cutoff, cutoff + 1, 10 * cutoff} {
			t.Run(fmt.Sprintf("workers=%d/queue=%d/n=%d", tt.workers, tt.queue, n), func(t *testing.T) {
				pool, err := futures.New(futures.WithWorkers(tt.workers), futures.WithQueueSize(tt.queue))
				require.NoError(t, err)
				defer pool.Close()

				r := rand.New(rand.NewPCG(uint64(n), 1))
				xs := make([]int, n)
				for i := range xs {
					xs[i] = r.IntN(100) // many equal values
				}
				orig := slices.Clone(xs)

				got, err := sortOn(t.Context(), pool, xs)
				require.NoError(t, err)
				assert.Equal(t, slices.Sorted(slices.Values(orig)), got)
				assert.Equal(t, orig, xs, "the input should be left as it was")
			})
		}
	}
}
