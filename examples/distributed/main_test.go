package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun runs the demo in one process and checks what it prints: the
// results of each way of calling, and the workers' counts, which account
// for the calls the client made and never exceed its bound in flight.
func TestRun(t *testing.T) {
	t.Parallel()
	const workers, inFlight = 3, 4
	var out strings.Builder
	require.NoError(t, run(t.Context(), &out, config{role: "all", workers: workers, inFlight: inFlight}))
	text := out.String()

	checkClient(t, text)
	made := atoi(t, find(t, text, `after making (\d+) calls`))
	var ran int
	for i := range workers {
		ran += atoi(t, find(t, text, fmt.Sprintf(`worker %d ran (\d+) handlers`, i)))
	}
	checkRan(t, ran, made)
	most := atoi(t, find(t, text, `at most (\d+) handlers ran at once`))
	assert.LessOrEqual(t, most, inFlight)
	assert.Positive(t, most)
}

// TestRoles runs a worker and a client as the separate processes of
// -role worker and -role client would, against a server of the test's:
// the client gets its results from the worker, and the worker stops when
// its context is done, as on Ctrl-C.
func TestRoles(t *testing.T) {
	t.Parallel()
	ns, err := startServer()
	require.NoError(t, err)
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	url := ns.ClientURL()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	workerOut := &firstWrite{ready: make(chan struct{})}
	served := make(chan error, 1)
	go func() { served <- run(ctx, workerOut, config{url: url, role: "worker"}) }()
	<-workerOut.ready // the worker says it serves once it has subscribed

	var out strings.Builder
	require.NoError(t, run(t.Context(), &out, config{url: url, role: "client", inFlight: 4}))
	checkClient(t, out.String())

	cancel()
	require.NoError(t, <-served)
	assert.Contains(t, workerOut.String(), "serving demo.square in queue group squarers at "+url)
	made := atoi(t, find(t, out.String(), `after making (\d+) calls`))
	checkRan(t, atoi(t, find(t, workerOut.String(), `stopped after (\d+) calls, \d+ cancelled by their callers`)), made)
}

// A firstWrite keeps what is written to it, and closes ready at the first
// write.
type firstWrite struct {
	mu    sync.Mutex
	b     strings.Builder
	ready chan struct{}
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.b.Len() == 0 {
		close(w.ready)
	}
	return w.b.Write(p)
}

func (w *firstWrite) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestRunErrors checks the flags that run refuses.
func TestRunErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give config
		want string
	}{
		{config{role: "boss"}, `unknown role "boss"`},
		{config{role: "worker"}, "-role worker needs -url"},
		{config{role: "client"}, "-role client needs -url"},
	}
	for _, tt := range tests {
		err := run(t.Context(), io.Discard, tt.give)
		assert.EqualError(t, err, tt.want)
	}
}

// checkClient checks the lines the client prints.
func checkClient(t *testing.T, text string) {
	t.Helper()
	assert.Contains(t, text, "Submit: square(12) = 144\n")
	assert.Contains(t, text, "Map over 1..10: 1 4 9 16 25 36 49 64 81 100\n")
	assert.Contains(t, text, "the sum of all 40 is 22140\n")
	assert.Contains(t, text, `failed fast with "remote: demo.square: negative input -3"`)
}

// checkRan checks the number of handlers that ran, given the calls that the
// client's group made: every call before the group's ran, and those of the
// group at most once each, as the group's failure may stop a call before it
// is sent or before its handler starts.
func checkRan(t *testing.T, ran, made int) {
	t.Helper()
	assert.GreaterOrEqual(t, ran, 1+10+40+1, "handlers run: the calls before the group's, and the one that failed")
	assert.LessOrEqual(t, ran, 1+10+40+made, "handlers run: at most the calls made")
}

// find returns the first submatch of the regular expression expr in text.
func find(t *testing.T, text, expr string) string {
	t.Helper()
	m := regexp.MustCompile(expr).FindStringSubmatch(text)
	require.NotNil(t, m, "no %s in:\n%s", expr, text)
	return m[1]
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}
