package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun runs the demo on fewer pages and checks that the pool reports each
// page once, with the status the server gives it, and that both summaries
// agree.
func TestRun(t *testing.T) {
	const n = 20
	pages := makePages(n)
	want := make(map[string]string, n)
	var ok, notFound int
	for _, p := range pages {
		want[p.path] = fmt.Sprintf("%d %s", p.status, http.StatusText(p.status))
		switch p.status {
		case http.StatusOK:
			ok++
		case http.StatusNotFound:
			notFound++
		}
	}
	require.Positive(t, ok, "the test needs pages that answer 200")
	require.Positive(t, notFound, "the test needs pages that answer 404")

	var out strings.Builder
	require.NoError(t, run(t.Context(), &out, n))

	got := make(map[string]string, n)
	var summaries []string
	for line := range strings.Lines(out.String()) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "/page/"):
			path, status, _ := strings.Cut(line, " ")
			assert.NotContains(t, got, path, "page reported twice")
			got[path] = strings.TrimSpace(status)
		case strings.HasPrefix(line, "one by one:"), strings.HasPrefix(line, "with the pool:"):
			summaries = append(summaries, line)
		}
	}
	assert.Equal(t, want, got)

	tally := fmt.Sprintf("(%d OK, %d not found, 0 failed)", ok, notFound)
	require.Len(t, summaries, 2)
	for _, s := range summaries {
		assert.True(t, strings.HasSuffix(s, tally), "%q should end with %q", s, tally)
	}
	assert.Contains(t, out.String(), "speedup: ")
}
