package futures_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// Done returns a channel, so a future can be waited on in a select beside
// other channels.
func ExampleFuture_Done() {
	pool, err := futures.New(futures.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	release := make(chan struct{})
	slow := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		<-release
		return "slow", nil
	})
	quick := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		return "quick", nil
	})

	select {
	case <-slow.Done():
		fmt.Println("slow finished first")
	case <-quick.Done():
		fmt.Println("quick finished first")
	}
	close(release)
	<-slow.Done()
	fmt.Println(slow.Result(ctx))
	// Output:
	// quick finished first
	// slow <nil>
}

// Err never blocks: it is nil while the task is pending or running, and
// then the task's error.
func ExampleFuture_Err() {
	pool, err := futures.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	started, release := make(chan struct{}), make(chan struct{})
	f := futures.Submit(context.Background(), pool, func(ctx context.Context) (int, error) {
		close(started)
		<-release
		return 0, errors.New("disk full")
	})
	<-started
	fmt.Println("while running:", f.Err())

	close(release)
	<-f.Done()
	fmt.Println("once done:", f.Err())
	// Output:
	// while running: <nil>
	// once done: disk full
}

// State tells where a future is: queued, running, or complete with or without
// having run.
func ExampleFuture_State() {
	pool, err := futures.New(futures.WithWorkers(1))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	first := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		close(started)
		<-release
		return 1, nil
	})
	second := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return 2, nil })
	third := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return 3, nil })
	<-started // the only worker runs the first task; the others wait

	fmt.Println(first.State(), second.State(), third.State())
	third.Cancel()
	close(release)
	second.Result(ctx)
	fmt.Println(first.State(), second.State(), third.State())
	// Output:
	// running pending pending
	// finished finished cancelled
}

// Close waits for the tasks already submitted to finish; it is the usual way
// to end a pool, with defer.
func ExamplePool_Close() {
	pool, err := futures.New(futures.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}

	var ran atomic.Int32
	for range 10 {
		futures.Submit(context.Background(), pool, func(ctx context.Context) (struct{}, error) {
			ran.Add(1)
			return struct{}{}, nil
		})
	}
	fmt.Println("close:", pool.Close())
	fmt.Println("tasks run:", ran.Load())
	fmt.Println("workers left:", pool.Stats().Workers)
	// Output:
	// close: <nil>
	// tasks run: 10
	// workers left: 0
}

// Stats reports what the pool is doing now and what it has done so far.
func ExamplePool_Stats() {
	pool, err := futures.New(futures.WithWorkers(1))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	busy := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		close(started)
		<-release
		return 1, nil
	})
	failing := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		return 0, errors.New("no such user")
	})
	<-started

	s := pool.Stats()
	fmt.Printf("workers %d, busy %d, queued %d\n", s.Workers, s.Busy, s.Queued)

	close(release)
	busy.Result(ctx)
	failing.Result(ctx)
	s = pool.Stats()
	fmt.Printf("submitted %d, succeeded %d, failed %d, busy %d\n", s.Submitted, s.Succeeded, s.Failed, s.Busy)
	// Output:
	// workers 1, busy 1, queued 1
	// submitted 2, succeeded 1, failed 1, busy 0
}

// WithWorkers sets how many tasks run at once: here 3 run and the other 3
// wait in the queue until a worker is free.
func ExampleWithWorkers() {
	pool, err := futures.New(futures.WithWorkers(3))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	var mu sync.Mutex
	running, most := 0, 0 // tasks running now, and the most seen at once
	started, release := make(chan struct{}), make(chan struct{})
	var fs []*futures.Future[int]
	for i := range 6 {
		fs = append(fs, futures.Submit(context.Background(), pool, func(ctx context.Context) (int, error) {
			mu.Lock()
			running++
			most = max(most, running)
			mu.Unlock()

			started <- struct{}{}
			<-release

			mu.Lock()
			running--
			mu.Unlock()
			return i, nil
		}))
	}
	for range 3 {
		<-started
	}
	s := pool.Stats()
	fmt.Printf("busy %d, queued %d\n", s.Busy, s.Queued)

	close(release)
	for range 3 {
		<-started // the other three, as workers free up
	}
	for _, f := range fs {
		f.Result(context.Background())
	}
	mu.Lock()
	fmt.Println("most at once:", most)
	mu.Unlock()
	// Output:
	// busy 3, queued 3
	// most at once: 3
}

// WithQueueSize bounds how many tasks wait for a worker: beyond that, Submit
// waits for room and TrySubmit fails.
func ExampleWithQueueSize() {
	pool, err := futures.New(futures.WithWorkers(1), futures.WithQueueSize(2))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		close(started)
		<-release
		return 0, nil
	})
	<-started // the worker is busy; what follows waits in the queue

	wait := func(ctx context.Context) (int, error) { <-release; return 0, nil }
	for i := 1; i <= 3; i++ {
		_, err := futures.TrySubmit(ctx, pool, wait)
		fmt.Printf("task %d: %v, queued %d\n", i, err, pool.Stats().Queued)
	}
	close(release)
	// Output:
	// task 1: <nil>, queued 1
	// task 2: <nil>, queued 2
	// task 3: futures: queue is full, queued 2
}

// WithName sets the "pool" pprof label of the workers, which shows in CPU and
// goroutine profiles; an initializer's context carries the labels.
func ExampleWithName() {
	labels := make(chan string, 2)
	pool, err := futures.New(
		futures.WithName("thumbnails"),
		futures.WithWorkers(2),
		futures.WithInitializer(func(ctx context.Context) error {
			name, _ := pprof.Label(ctx, "pool")
			worker, _ := pprof.Label(ctx, "worker")
			labels <- "pool=" + name + " worker=" + worker
			return nil
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// Workers start on demand: two tasks that run at once start both.
	var both sync.WaitGroup
	both.Add(2)
	for range 2 {
		futures.Submit(context.Background(), pool, func(ctx context.Context) (struct{}, error) {
			both.Done()
			both.Wait()
			return struct{}{}, nil
		})
	}
	got := []string{<-labels, <-labels}
	slices.Sort(got) // the workers start in any order
	fmt.Println(strings.Join(got, "\n"))
	// Output:
	// pool=thumbnails worker=0
	// pool=thumbnails worker=1
}

// WithBuffer bounds how far Map reads ahead of the loop: with a buffer of 2,
// it reads an input only once the result two places back has been yielded.
func ExampleWithBuffer() {
	pool, err := futures.New(futures.WithWorkers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	inputs := func(yield func(int) bool) {
		for i := range 5 {
			fmt.Println("read", i)
			if !yield(i) {
				return
			}
		}
	}
	double := func(ctx context.Context, n int) (int, error) { return 2 * n, nil }
	for v, err := range futures.Map(context.Background(), pool, inputs, double, futures.WithBuffer(2)) {
		fmt.Println("  got", v, err)
	}
	// Output:
	// read 0
	// read 1
	//   got 0 <nil>
	// read 2
	//   got 2 <nil>
	// read 3
	//   got 4 <nil>
	// read 4
	//   got 6 <nil>
	//   got 8 <nil>
}

// A panicking OnDone callback goes to the handler set with
// WithCallbackPanicHandler; the other callbacks still run and the worker
// goes on.
func ExampleWithCallbackPanicHandler() {
	pool, err := futures.New(futures.WithCallbackPanicHandler(func(e *futures.PanicError) {
		fmt.Println("handler:", e.Value)
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	release, called := make(chan struct{}), make(chan struct{})
	f := futures.Submit(context.Background(), pool, func(ctx context.Context) (int, error) {
		<-release
		return 42, nil
	})
	f.OnDone(func(f *futures.Future[int]) { panic("callback bug") })
	f.OnDone(func(f *futures.Future[int]) {
		v, _ := f.Result(context.Background())
		fmt.Println("second callback:", v)
		close(called)
	})
	close(release)
	<-called
	fmt.Println("callback panics:", pool.Stats().CallbackPanics)
	// Output:
	// handler: callback bug
	// second callback: 42
	// callback panics: 1
}

// A State prints as a lower-case word.
func ExampleState_String() {
	fmt.Println(futures.Pending, futures.Running, futures.Cancelled, futures.Finished)
	// Output: pending running cancelled finished
}

// A Condition prints as its Go name.
func ExampleCondition_String() {
	fmt.Println(futures.FirstCompleted, futures.FirstError, futures.AllCompleted)
	// Output: FirstCompleted FirstError AllCompleted
}

// WorkerIndex lets tasks use per-worker state without a lock: here a
// counter for each worker, which the tasks add to and main sums at the end.
func ExampleWorkerIndex() {
	const workers = 4
	pool, err := futures.New(futures.WithWorkers(workers))
	if err != nil {
		log.Fatal(err)
	}

	var counts [workers]int // counts[i] is touched only by worker i
	for range 100 {
		futures.Submit(context.Background(), pool, func(ctx context.Context) (struct{}, error) {
			i, _ := futures.WorkerIndex(ctx)
			counts[i]++
			return struct{}{}, nil
		})
	}
	if err := pool.Close(); err != nil { // the tasks' writes happen before Close returns
		log.Fatal(err)
	}
	sum := 0
	for _, n := range counts {
		sum += n
	}
	fmt.Println("tasks counted:", sum)

	_, ok := futures.WorkerIndex(context.Background())
	fmt.Println("outside a task:", ok)
	// Output:
	// tasks counted: 100
	// outside a task: false
}

// With WithTiming, Stats says how long tasks waited and ran.
func ExampleWithTiming() {
	pool, _ := futures.New(futures.WithWorkers(2), futures.WithTiming())
	defer pool.Close()

	ctx := context.Background()
	for range 3 {
		futures.Submit(ctx, pool, func(context.Context) (int, error) {
			time.Sleep(time.Millisecond)
			return 0, nil
		}).Result(ctx)
	}
	s := pool.Stats()
	fmt.Println(s.RunTime.Count, "tasks ran;", s.QueueWait.Count, "waited")
	fmt.Println("busy at least 3 ms:", s.RunTime.Sum >= 0.003)
	// Output:
	// 3 tasks ran; 3 waited
	// busy at least 3 ms: true
}

// A worker idle for longer than the keep-alive exits; another starts when a
// task calls for it.
func ExampleWithKeepAlive() {
	pool, _ := futures.New(futures.WithWorkers(2), futures.WithKeepAlive(10*time.Millisecond))
	defer pool.Close()

	ctx := context.Background()
	// Counted from the task, so that its worker cannot have exited yet.
	n, _ := futures.Submit(ctx, pool, func(context.Context) (int, error) {
		return pool.Stats().Workers, nil
	}).Result(ctx)
	fmt.Println("workers:", n)
	for deadline := time.Now().Add(5 * time.Second); pool.Stats().Workers > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Println("workers after a while:", pool.Stats().Workers)
	// Output:
	// workers: 1
	// workers after a while: 0
}
