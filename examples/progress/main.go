// Progress runs a function over 100,000 items with futures.Map and shows a
// progress bar that advances as the results come in, in input order. Ctrl-C
// stops it cleanly: Map reads no more input and cancels the tasks that have
// not started, the running ones see their context done, and the program
// prints how far it got, shuts the pool down and exits with status 130, as a
// shell expects of a program stopped by an interrupt. A second Ctrl-C ends it
// at once.
//
// Each item's work is a call that waits for about a millisecond, as one to a
// disk or a service does, so 128 workers get through the items in about a
// second:
//
//	go run .
//	go run . -n 1000000 -delay 5ms -workers 256 # long enough to press Ctrl-C
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"os/signal"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/go-futures/futures"
)

func main() {
	n := flag.Int("n", 100_000, "number of `items`")
	workers := flag.Int("workers", 128, "number of workers, and so of items in progress")
	delay := flag.Duration("delay", time.Millisecond, "how long the work on an item waits, on average")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// After the first Ctrl-C, the next one is the default's: it ends the
	// program at once, however long the running tasks take to stop.
	context.AfterFunc(ctx, stop)

	fmt.Fprintf(os.Stderr, "working on %d items with %d workers; Ctrl-C to stop\n", *n, *workers)
	bar := newBar(os.Stderr, *n)
	s, err := run(ctx, bar, *n, *workers, wait(*delay))
	fmt.Println(s)
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "progress:", err)
		os.Exit(1)
	case s.stopped != nil:
		os.Exit(130) // 128 + SIGINT, as a shell reports a program it interrupted
	}
}

// newBar returns a progress bar over n items that writes to w.
func newBar(w io.Writer, n int) *progressbar.ProgressBar {
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("items"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("items"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// A summary is how far run got.
type summary struct {
	items   int           // items to work on
	done    int           // items whose work succeeded
	failed  int           // items whose work returned an error
	elapsed time.Duration // from start to the last result
	stopped error         // why run stopped before the last item, or nil
}

// String reports s on one line, such as "done 100000 of 100000 (0 failed) in 1.1s".
func (s summary) String() string {
	line := fmt.Sprintf("done %d of %d (%d failed) in %v", s.done, s.items, s.failed, s.elapsed.Round(time.Millisecond))
	if s.stopped != nil {
		line += "; stopped: " + s.stopped.Error()
	}
	return line
}

// run calls work on each of the items 0 to n-1 on a pool of the given
// workers, with futures.Map, and advances bar by one for each result as it
// comes, in input order. It ends when the last result is in, or soon after
// ctx is done: Map then stops reading items and cancels the tasks not yet
// started, and run reports context.Cause of ctx in summary.stopped. Either
// way run shuts the pool down and returns once no task runs. Its error is
// for a pool it cannot make.
func run(ctx context.Context, bar *progressbar.ProgressBar, n, workers int, work func(context.Context, int) (int, error)) (summary, error) {
	s := summary{items: n}
	pool, err := futures.New(futures.WithWorkers(workers), futures.WithName("progress"))
	if err != nil {
		return s, err
	}
	// Map leaves running the tasks it stopped waiting for; their context
	// is done and they return soon. Close waits for them.
	defer pool.Close()

	start := time.Now()
	for _, err := range futures.Map(ctx, pool, items(n), work) {
		if err != nil && ctx.Err() != nil {
			// Map yields the cause once, and ends; a task stopped by ctx
			// may have returned it before.
			s.stopped = context.Cause(ctx)
			break
		}
		if err != nil {
			s.failed++
		} else {
			s.done++
		}
		_ = bar.Add(1) // an error is the bar's, not the work's
	}
	s.elapsed = time.Since(start)
	if s.stopped != nil {
		_ = bar.Exit()
	}
	return s, nil
}

// items yields the integers from 0 to n-1.
func items(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// wait returns a work function that waits for between half and one and a
// half times d, or until its context is done, and returns its item.
func wait(d time.Duration) func(context.Context, int) (int, error) {
	return func(ctx context.Context, i int) (int, error) {
		t := time.NewTimer(d/2 + rand.N(d+1))
		defer t.Stop()
		select {
		case <-t.C:
			return i, nil
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}
}
