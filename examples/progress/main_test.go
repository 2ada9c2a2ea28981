package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRun runs the work over 100,000 items, of which one in a thousand
// fails, and checks that every item is counted once and that the bar
// reaches 100%.
func TestRun(t *testing.T) {
	t.Parallel()
	const n = 100_000
	errOdd := errors.New("odd one out")
	var calls atomic.Int64
	work := func(_ context.Context, i int) (int, error) {
		calls.Add(1)
		if i%1000 == 999 {
			return 0, errOdd
		}
		return i, nil
	}
	var out bytes.Buffer
	bar := newBar(&out, n)
	s, err := run(t.Context(), bar, n, 4, work)
	require.NoError(t, err)

	assert.NoError(t, s.stopped)
	assert.Equal(t, n-n/1000, s.done)
	assert.Equal(t, n/1000, s.failed)
	assert.Equal(t, int64(n), calls.Load(), "each item's work, once")
	assert.True(t, bar.IsFinished())
	assert.Equal(t, 1.0, bar.State().CurrentPercent)
	assert.Contains(t, out.String(), "100%")
	assert.Contains(t, out.String(), fmt.Sprintf("(%d/%d,", n, n))
	assert.Equal(t, fmt.Sprintf("done %d of %d (%d failed) in %v", s.done, n, s.failed, s.elapsed.Round(time.Millisecond)), s.String())
}

// TestRunCancelled cancels the context while the work is at item 1000: run
// returns with the cause, no later item's work ever starts beyond what Map
// had submitted ahead, and the bar stops where the results did. The items
// from 1000 on wait for the context: run cannot end before it is cancelled,
// and if it did not end once it is, the test would not end either.
func TestRunCancelled(t *testing.T) {
	t.Parallel()
	const n, stopAt, workers = 100_000, 1000, 4
	errStop := errors.New("stop")
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	var calls atomic.Int64
	work := func(ctx context.Context, i int) (int, error) {
		calls.Add(1)
		if i == stopAt {
			cancel(errStop)
		}
		if i >= stopAt {
			<-ctx.Done()
			return 0, context.Cause(ctx)
		}
		return i, nil
	}
	var out bytes.Buffer
	bar := newBar(&out, n)
	s, err := run(ctx, bar, n, workers, work)
	require.NoError(t, err)

	assert.ErrorIs(t, s.stopped, errStop)
	assert.LessOrEqual(t, s.done, stopAt, "items done")
	assert.Zero(t, s.failed, "a task stopped by the context is no failure")
	// Map submits at most its buffer, twice the workers, ahead of the
	// results it has yielded, and none once the context is done.
	assert.LessOrEqual(t, calls.Load(), int64(stopAt+2*workers), "items whose work started")
	assert.False(t, bar.IsFinished())
	assert.Equal(t, int64(s.done), bar.State().CurrentNum, "the bar counts what was done")
	assert.Contains(t, s.String(), "; stopped: stop")
}

// TestInterrupt builds the program, interrupts it as Ctrl-C does once it
// has started, and checks that it stops cleanly: it prints how far it got
// and exits with status 130.
func TestInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent on Windows")
	}
	if testing.Short() {
		t.Skip("builds the program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the program with")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "progress")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	// Long enough that it cannot finish before the interrupt: a million
	// items of 5 ms on 64 workers take more than a minute. The context
	// kills it if it does not stop, so that the test fails rather than hang.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const n = 1_000_000
	cmd := exec.CommandContext(ctx, bin, "-n", strconv.Itoa(n), "-delay", "5ms", "-workers", "64")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	// The program prints its first line once its signal handler is set.
	r := bufio.NewReader(stderr)
	first, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("working on %d items with 64 workers; Ctrl-C to stop\n", n), first)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, r)
	}()

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	<-drained // the program has exited, or closed its standard error
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "stdout: %s", stdout.String())
	assert.Equal(t, 130, exit.ExitCode())

	summary := regexp.MustCompile(`^done (\d+) of 1000000 \(0 failed\) in \S+; stopped: interrupt signal received\n$`)
	m := summary.FindStringSubmatch(stdout.String())
	require.NotNil(t, m, "summary: %q", stdout.String())
	done, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.Less(t, done, n)
}
