// Recursive sorts 100,000 integers with a parallel merge sort in which every
// task submits its two halves to the same pool and waits for both. It does
// so on a pool of 2 workers, where both workers are soon waiting on tasks
// still queued, and again on a pool of 1 worker with no queue, where a task
// waiting for a free worker would wait forever. Neither deadlocks, because
// each task passes its own context to Submit and Result, which lets the pool
// run the tasks it waits for on the waiting worker.
//
//	go run ./examples/recursive
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/go-futures/futures"
)

func main() {
	if err := run(context.Background(), os.Stdout, 100_000); err != nil {
		fmt.Fprintln(os.Stderr, "recursive:", err)
		os.Exit(1)
	}
}

// cutoff is the length below which a task sorts its part itself rather than
// splitting it further.
const cutoff = 2048

// run sorts n random integers on each pool and writes what it did to w.
func run(ctx context.Context, w io.Writer, n int) error {
	r := rand.New(rand.NewPCG(2026, 2))
	xs := make([]int, n)
	for i := range xs {
		xs[i] = r.IntN(1_000_000)
	}

	pools := []struct {
		name string
		opts []futures.Option
	}{
		{"2 workers", []futures.Option{futures.WithWorkers(2)}},
		{"1 worker, queue of 0", []futures.Option{futures.WithWorkers(1), futures.WithQueueSize(0)}},
	}
	for _, p := range pools {
		pool, err := futures.New(p.opts...)
		if err != nil {
			return err
		}
		start := time.Now()
		sorted, err := sortOn(ctx, pool, xs)
		elapsed := time.Since(start)
		stats := pool.Stats()
		if err := pool.Shutdown(ctx); err != nil {
			return err
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		fmt.Fprintf(w, "%s: sorted %d ints in %v, %d tasks, sorted: %t\n",
			p.name, len(sorted), elapsed.Round(time.Millisecond), stats.Submitted, slices.IsSorted(sorted))
	}
	return nil
}

// sortOn returns a sorted copy of xs, sorted by tasks on pool. It gives up
// after a minute, which it would reach only if the pool deadlocked.
func sortOn(ctx context.Context, pool *futures.Pool, xs []int) ([]int, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// The caller is not a task of the pool: its ctx submits the first task
	// and waits for it like any other.
	return futures.Submit(ctx, pool, func(ctx context.Context) ([]int, error) {
		return mergeSort(ctx, pool, xs)
	}).Result(ctx)
}

// mergeSort returns a sorted copy of xs. It runs as a task of pool, and ctx
// is that task's context: passing it on to Submit and Result, rather than
// context.Background(), is what tells the pool that a worker is waiting, so
// that it can run the halves on that worker if no other is free.
func mergeSort(ctx context.Context, pool *futures.Pool, xs []int) ([]int, error) {
	if len(xs) <= cutoff {
		return slices.Sorted(slices.Values(xs)), nil
	}
	half := func(part []int) *futures.Future[[]int] {
		return futures.Submit(ctx, pool, func(ctx context.Context) ([]int, error) {
			return mergeSort(ctx, pool, part)
		})
	}
	mid := len(xs) / 2
	left, right := half(xs[:mid]), half(xs[mid:])
	a, err := left.Result(ctx)
	if err != nil {
		return nil, err
	}
	b, err := right.Result(ctx)
	if err != nil {
		return nil, err
	}
	return merge(a, b), nil
}

// merge returns the sorted union of the sorted slices a and b.
func merge(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0] < a[0] {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}
