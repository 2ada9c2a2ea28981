package futures_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"

	"github.com/go-futures/futures"
)

// New starts a pool with the given options, and rejects an option out of range.
func ExampleNew() {
	pool, err := futures.New(futures.WithWorkers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	f := futures.Submit(context.Background(), pool, func(ctx context.Context) (string, error) {
		return "hello from a worker", nil
	})
	fmt.Println(f.Result(context.Background()))

	_, err = futures.New(futures.WithWorkers(0))
	fmt.Println(err)
	fmt.Println(errors.Is(err, futures.ErrInvalidOption))
	// Output:
	// hello from a worker <nil>
	// futures: WithWorkers(0): need at least 1 worker
	// true
}

// Submit returns a future at once; Result collects the values in any order you like.
func ExampleSubmit() {
	pool, err := futures.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	var squares []*futures.Future[int]
	for i := 1; i <= 5; i++ {
		squares = append(squares, futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
			return i * i, nil
		}))
	}
	for _, f := range squares {
		v, err := f.Result(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(v, " ")
	}
	fmt.Println()
	// Output: 1 4 9 16 25
}

// TrySubmit never waits: with the worker busy and the queue full, it fails with ErrQueueFull.
func ExampleTrySubmit() {
	pool, err := futures.New(futures.WithWorkers(1), futures.WithQueueSize(1))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	task := func(ctx context.Context) (string, error) {
		<-release
		return "done", nil
	}

	busy, err := futures.TrySubmit(ctx, pool, func(ctx context.Context) (string, error) {
		close(started)
		return task(ctx)
	})
	fmt.Println("first:", err)
	<-started // the worker is busy with the first task
	queued, err := futures.TrySubmit(ctx, pool, task)
	fmt.Println("second:", err)
	_, err = futures.TrySubmit(ctx, pool, task)
	fmt.Println("third:", err)

	close(release)
	fmt.Println(busy.Result(ctx))
	fmt.Println(queued.Result(ctx))
	// Output:
	// first: <nil>
	// second: <nil>
	// third: futures: queue is full
	// done <nil>
	// done <nil>
}

// Result waits at most as long as its context allows; the task goes on regardless.
func ExampleFuture_Result() {
	pool, err := futures.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	release := make(chan struct{})
	f := futures.Submit(context.Background(), pool, func(ctx context.Context) (string, error) {
		<-release
		return "finished", nil
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = f.Result(ctx)
	fmt.Println(err)

	close(release)
	fmt.Println(f.Result(context.Background()))
	// Output:
	// context deadline exceeded
	// finished <nil>
}

// Cancel stops a task that is still queued; a running task cannot be cancelled this way.
func ExampleFuture_Cancel() {
	pool, err := futures.New(futures.WithWorkers(1))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	running := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		close(started)
		<-release
		return "ran", nil
	})
	queued := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		return "never runs", nil
	})
	<-started // the only worker is busy, so the second task waits in the queue

	fmt.Println(running.Cancel(), queued.Cancel())
	fmt.Println(queued.State(), errors.Is(queued.Err(), futures.ErrCancelled))

	close(release)
	fmt.Println(running.Result(ctx))
	// Output:
	// false true
	// cancelled true
	// ran <nil>
}

// OnDone calls a function once the future completes; added late, it runs at once.
func ExampleFuture_OnDone() {
	pool, err := futures.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	f := futures.Submit(context.Background(), pool, func(ctx context.Context) (int, error) {
		return 42, nil
	})
	called := make(chan struct{})
	f.OnDone(func(f *futures.Future[int]) {
		v, err := f.Result(context.Background()) // complete, so it does not block
		fmt.Println("callback:", v, err)
		close(called)
	})
	<-called

	f.OnDone(func(f *futures.Future[int]) {
		fmt.Println("late callback:", f.State())
	})
	// Output:
	// callback: 42 <nil>
	// late callback: finished
}

// Shutdown lets the queued tasks finish and refuses new ones.
func ExamplePool_Shutdown() {
	pool, err := futures.New(futures.WithWorkers(1))
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	var fs []*futures.Future[string]
	for _, name := range []string{"a", "b", "c"} {
		fs = append(fs, futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
			return "task " + name, nil
		}))
	}
	if err := pool.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	for _, f := range fs {
		fmt.Println(f.Result(ctx))
	}

	late := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		return "too late", nil
	})
	fmt.Println(late.Err())
	// Output:
	// task a <nil>
	// task b <nil>
	// task c <nil>
	// futures: executor is shut down
}

// ShutdownNow cancels the queued tasks and waits for the running ones to return.
func ExamplePool_ShutdownNow() {
	pool, err := futures.New(futures.WithWorkers(1))
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	running := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		close(started)
		<-release
		return "ran to the end", nil
	})
	queued := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		return "never runs", nil
	})
	<-started

	stopped := make(chan error)
	go func() { stopped <- pool.ShutdownNow(ctx) }()
	<-queued.Done() // cancelled at once
	close(release)  // ShutdownNow waits for this task to return
	fmt.Println("shutdown:", <-stopped)

	fmt.Println(running.Result(ctx))
	err = queued.Err()
	fmt.Println(queued.State(), errors.Is(err, futures.ErrCancelled), errors.Is(err, futures.ErrShutdown))
	// Output:
	// shutdown: <nil>
	// ran to the end <nil>
	// cancelled true true
}

// A pool whose initializer fails is broken: its tasks never run, and they fail
// with an error that matches both ErrBroken and the initializer's error.
func ExampleWithInitializer() {
	errNoConfig := errors.New("config file not found")
	pool, err := futures.New(futures.WithInitializer(func(ctx context.Context) error {
		// Each worker runs this once, before its first task.
		return errNoConfig
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	f := futures.Submit(context.Background(), pool, func(ctx context.Context) (string, error) {
		return "never runs", nil
	})
	_, err = f.Result(context.Background())
	fmt.Println(err)
	fmt.Println(errors.Is(err, futures.ErrBroken), errors.Is(err, errNoConfig))
	// Output:
	// futures: pool is broken: initializer failed: config file not found
	// true true
}

// A panicking task does not crash the program: its future fails with a *PanicError.
func ExamplePanicError() {
	pool, err := futures.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	f := futures.Submit(context.Background(), pool, func(ctx context.Context) (int, error) {
		panic("something went wrong")
	})
	_, err = f.Result(context.Background())
	fmt.Println(err)

	var pe *futures.PanicError
	if errors.As(err, &pe) {
		fmt.Println("value:", pe.Value)
		fmt.Println("has stack:", len(pe.Stack) > 0)
	}
	// Output:
	// futures: task panicked: something went wrong
	// value: something went wrong
	// has stack: true
}

// Map runs a function over a sequence and yields the results in input order,
// an error at its own position, however the tasks interleave.
func ExampleMap() {
	pool, err := futures.New(futures.WithWorkers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	words := []string{"go", "", "futures", "map"}
	upper := func(ctx context.Context, w string) (string, error) {
		if w == "" {
			return "", errors.New("empty word")
		}
		return strings.ToUpper(w), nil
	}
	for v, err := range futures.Map(context.Background(), pool, slices.Values(words), upper, futures.WithBuffer(2)) {
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(v)
	}
	// Output:
	// GO
	// error: empty word
	// FUTURES
	// MAP
}

// MapSlice is the short form of Map for a slice: all the results, and the
// errors joined.
func ExampleMapSlice() {
	pool, err := futures.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	lengths, err := futures.MapSlice(context.Background(), pool, []string{"a", "bb", "ccc"},
		func(ctx context.Context, s string) (int, error) { return len(s), nil })
	fmt.Println(lengths, err)
	// Output: [1 2 3] <nil>
}

// AsCompleted delivers futures as they finish, not in the order submitted.
func ExampleAsCompleted() {
	pool, err := futures.New(futures.WithWorkers(3))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// Each task waits for its own signal, so the example controls the
	// order in which they finish: last submitted, first done.
	names := []string{"first", "second", "third"}
	signals := make([]chan struct{}, len(names))
	var fs []*futures.Future[string]
	for i, name := range names {
		signals[i] = make(chan struct{})
		fs = append(fs, futures.Submit(context.Background(), pool, func(ctx context.Context) (string, error) {
			<-signals[i]
			return name, nil
		}))
	}
	done := futures.AsCompleted(fs...)
	for i := len(names) - 1; i >= 0; i-- {
		close(signals[i])
		f := <-done
		v, _ := f.Result(context.Background())
		fmt.Println(v)
	}
	// Output:
	// third
	// second
	// first
}

// Wait returns as soon as one task fails, with the futures split into the
// complete and the pending ones.
func ExampleWait() {
	pool, err := futures.New(futures.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		<-ctx.Done() // runs until cancelled
		return 0, ctx.Err()
	})
	failing := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		return 0, errors.New("disk full")
	})

	done, pending, err := futures.Wait(ctx, []*futures.Future[int]{slow, failing}, futures.FirstError)
	fmt.Println(len(done), len(pending), err)
	fmt.Println(done[0].Err())
	cancel() // stop the slow one
	// Output:
	// 1 1 <nil>
	// disk full
}
