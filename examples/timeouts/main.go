// Timeouts runs a batch of jobs, each with a deadline of its own, on a pool
// of 2 workers, and stops the whole batch at the first failure: the jobs
// still running are told to stop through their context, and those still
// queued never start. It then reports what became of each job.
//
// The jobs only pretend to work, by waiting for as long as their work
// takes; one of them needs longer than its deadline allows.
//
//	go run ./examples/timeouts
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/go-futures/futures"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "timeouts:", err)
		os.Exit(1)
	}
}

// A job needs work to complete and may take at most deadline.
type job struct {
	name     string
	work     time.Duration
	deadline time.Duration
}

// With 2 workers, resize and thumbnail run first; transcode and upload take
// their places, and transcode fails at its deadline while upload is still
// running and notify and archive are queued.
var jobs = []job{
	{"resize", 20 * time.Millisecond, time.Second},
	{"thumbnail", 30 * time.Millisecond, time.Second},
	{"transcode", 5 * time.Second, 100 * time.Millisecond},
	{"upload", 5 * time.Second, 2 * time.Second},
	{"notify", 10 * time.Millisecond, time.Second},
	{"archive", 10 * time.Millisecond, time.Second},
}

// run runs the jobs and reports on w what became of each.
func run(ctx context.Context, w io.Writer) error {
	pool, err := futures.New(futures.WithWorkers(2))
	if err != nil {
		return err
	}
	defer pool.Close()

	// The group's context ends at the first failure: the jobs still running
	// see it, and those still queued never start.
	g, jobCtx := futures.NewGroup(ctx, pool)
	fs := make([]*futures.Future[string], len(jobs))
	for i, j := range jobs {
		fs[i] = futures.Submit(jobCtx, g, func(ctx context.Context) (string, error) {
			ctx, cancel := context.WithTimeout(ctx, j.deadline)
			defer cancel()
			return pretend(ctx, j.work)
		})
	}
	// Wait returns the first failure once every job is complete.
	first := g.Wait()
	for i, f := range fs {
		if first != nil && f.Err() == first {
			fmt.Fprintf(w, "first failure: %s\n", jobs[i].name)
		}
	}

	for i, f := range fs {
		v, err := f.Result(ctx) // complete: it does not wait
		var what string
		switch {
		case f.State() == futures.Cancelled && errors.Is(err, futures.ErrCancelled):
			what = "cancelled, never ran"
		case errors.Is(err, context.DeadlineExceeded):
			what = fmt.Sprintf("failed: took longer than its %v deadline", jobs[i].deadline)
		case errors.Is(err, context.Canceled):
			what = "ran, stopped before the end"
		case err != nil:
			what = "failed: " + err.Error()
		default:
			what = "ran: " + v
		}
		fmt.Fprintf(w, "%-10s %-9s %s\n", jobs[i].name, f.State(), what)
	}
	return nil
}

// pretend does work that takes d, unless ctx ends first: its error then
// tells a deadline of its own (context.DeadlineExceeded) from the end of the
// group's context (context.Canceled).
func pretend(ctx context.Context, d time.Duration) (string, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return fmt.Sprintf("done in %v", d), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
