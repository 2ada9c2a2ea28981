package futures

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks measure the cost per task of the pool against two baselines
// run in the same binary: a bare pool of goroutines fed by a channel of funcs,
// and a goroutine per task. Compare runs with benchstat.

var workerCounts = []int{1, 2, 8}

func trivial(context.Context) (int, error) { return 1, nil }

// chanPool is the bare baseline: a fixed set of goroutines fed by a channel.
type chanPool struct {
	tasks chan func()
	wg    sync.WaitGroup
}

func newChanPool(workers, queue int) *chanPool {
	p := &chanPool{tasks: make(chan func(), queue)}
	p.wg.Add(workers)
	for range workers {
		go func() {
			defer p.wg.Done()
			for fn := range p.tasks {
				fn()
			}
		}()
	}
	return p
}

func (p *chanPool) close() {
	close(p.tasks)
	p.wg.Wait()
}

func benchPool(b *testing.B, workers int) *Pool {
	p, err := New(WithWorkers(workers))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkSubmit submits trivial tasks and waits for all of them at the
// end: the throughput of the pool, futures ignored.
func BenchmarkSubmit(b *testing.B) {
	for _, n := range workerCounts {
		b.Run(fmt.Sprintf("impl=futures/workers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			p := benchPool(b, n)
			ctx := context.Background()
			for b.Loop() {
				Submit(ctx, p, trivial)
			}
			p.Close()
		})
		b.Run(fmt.Sprintf("impl=chanpool/workers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			p := newChanPool(n, defaultQueuePerWorker*n)
			var wg sync.WaitGroup
			task := func() { wg.Done() }
			for b.Loop() {
				wg.Add(1)
				p.tasks <- task
			}
			wg.Wait()
			p.close()
		})
		b.Run(fmt.Sprintf("impl=goroutines/workers=%d", n), func(b *testing.B) {
			// A goroutine per task, at most n at once.
			b.ReportAllocs()
			var wg sync.WaitGroup
			sem := make(chan struct{}, n)
			for b.Loop() {
				sem <- struct{}{}
				wg.Go(func() { <-sem })
			}
			wg.Wait()
		})
	}
}

// BenchmarkSubmitParallel is BenchmarkSubmit with a producer per P
// (GOMAXPROCS of them) submitting at once.
func BenchmarkSubmitParallel(b *testing.B) {
	const workers = 2
	b.Run("impl=futures", func(b *testing.B) {
		b.ReportAllocs()
		p := benchPool(b, workers)
		ctx := context.Background()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				Submit(ctx, p, trivial)
			}
		})
		p.Close()
	})
	b.Run("impl=chanpool", func(b *testing.B) {
		b.ReportAllocs()
		p := newChanPool(workers, defaultQueuePerWorker*workers)
		var wg sync.WaitGroup
		task := func() { wg.Done() }
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				wg.Add(1)
				p.tasks <- task
			}
		})
		wg.Wait()
		p.close()
	})
}

// BenchmarkSubmitResult submits trivial tasks and waits for each result,
// keeping a window of tasks in flight so that the workers stay busy.
func BenchmarkSubmitResult(b *testing.B) {
	const window = 64
	for _, n := range workerCounts {
		b.Run(fmt.Sprintf("impl=futures/workers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			p := benchPool(b, n)
			ctx := context.Background()
			var ring [window]*Future[int]
			i := 0
			for b.Loop() {
				if f := ring[i%window]; f != nil {
					f.Result(ctx)
				}
				ring[i%window] = Submit(ctx, p, trivial)
				i++
			}
		})
		b.Run(fmt.Sprintf("impl=chanpool/workers=%d", n), func(b *testing.B) {
			// Each slot of the window has its own reply channel, reused.
			b.ReportAllocs()
			p := newChanPool(n, defaultQueuePerWorker*n)
			defer p.close()
			var replies [window]chan int
			var tasks [window]func()
			for j := range replies {
				replies[j] = make(chan int, 1)
				tasks[j] = func() { replies[j] <- 1 }
			}
			var busy [window]bool
			i := 0
			for b.Loop() {
				j := i % window
				if busy[j] {
					<-replies[j]
				}
				p.tasks <- tasks[j]
				busy[j] = true
				i++
			}
			for j := range busy {
				if busy[j] {
					<-replies[j]
				}
			}
		})
	}
}

// floorFuture is the least a future can be: a value and a flag, in an object
// of 128 bytes, one allocation per task like ours.
type floorFuture struct {
	fn   func() int
	val  int
	done atomic.Bool
	_    [128 - 8 - 8 - 4]byte
}

// BenchmarkSubmitResultFloor runs rounds of 256 trivial tasks on 2 workers
// with a queue of 1024, submitting all, then waiting for each result in
// turn. impl=floor is the allocation floor of that job: a bare pool of 2
// goroutines that read *floorFuture from a channel of 1024, set its value and
// store its flag, while the producer, having allocated and sent one per task,
// spins on the flags with runtime.Gosched. impl=futures does the same with
// Submit and Result. The ratio of the two is what the pool adds to the one
// allocation a future needs.
func BenchmarkSubmitResultFloor(b *testing.B) {
	const (
		workers = 2
		queue   = 1024
		round   = 256
	)
	b.Run("impl=futures", func(b *testing.B) {
		b.ReportAllocs()
		p, err := New(WithWorkers(workers), WithQueueSize(queue))
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		ctx := context.Background()
		fs := make([]*Future[int], round)
		n := 0
		for b.Loop() {
			fs[n] = Submit(ctx, p, trivial)
			if n++; n == round {
				for _, f := range fs {
					f.Result(ctx)
				}
				n = 0
			}
		}
		for _, f := range fs[:n] {
			f.Result(ctx)
		}
	})
	b.Run("impl=floor", func(b *testing.B) {
		b.ReportAllocs()
		tasks := make(chan *floorFuture, queue)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for f := range tasks {
					f.val = f.fn()
					f.done.Store(true)
				}
			})
		}
		defer wg.Wait()
		defer close(tasks)
		fn := func() int { return 1 }
		fs := make([]*floorFuture, round)
		wait := func(fs []*floorFuture) {
			for _, f := range fs {
				for !f.done.Load() {
					runtime.Gosched()
				}
			}
		}
		n := 0
		for b.Loop() {
			f := &floorFuture{fn: fn}
			tasks <- f
			fs[n] = f
			if n++; n == round {
				wait(fs)
				n = 0
			}
		}
		wait(fs[:n])
	})
}

// BenchmarkRoundTrip submits one trivial task and waits for it before the
// next: the latency of a submission.
func BenchmarkRoundTrip(b *testing.B) {
	b.Run("impl=futures", func(b *testing.B) {
		b.ReportAllocs()
		p := benchPool(b, 1)
		ctx := context.Background()
		for b.Loop() {
			Submit(ctx, p, trivial).Result(ctx)
		}
	})
	b.Run("impl=chanpool", func(b *testing.B) {
		b.ReportAllocs()
		p := newChanPool(1, defaultQueuePerWorker)
		defer p.close()
		reply := make(chan int, 1)
		task := func() { reply <- 1 }
		for b.Loop() {
			p.tasks <- task
			<-reply
		}
	})
}

// BenchmarkStartup measures New and Close of an idle pool, which starts no
// goroutine whatever its size.
func BenchmarkStartup(b *testing.B) {
	for _, n := range append(workerCounts, 100_000) {
		b.Run(fmt.Sprintf("impl=futures/workers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := New(WithWorkers(n))
				if err != nil {
					b.Fatal(err)
				}
				p.Close()
			}
		})
	}
}

// BenchmarkNestedChain runs a chain of tasks on one worker, each submitting
// the next with its own context and waiting for it, and reports the time per
// level and the goroutine stacks in use at the bottom: both should be the
// same per level at every depth.
func BenchmarkNestedChain(b *testing.B) {
	for _, depth := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			b.ReportAllocs()
			p := benchPool(b, 1)
			var stacks uint64
			bottom := func(context.Context) {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				stacks = max(stacks, m.StackInuse)
			}
			for b.Loop() {
				if _, err := chain(context.Background(), p, depth, bottom); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*depth), "ns/level")
			b.ReportMetric(float64(stacks), "stack-bytes")
		})
	}
}

// BenchmarkMap measures Map per item over trivial tasks.
func BenchmarkMap(b *testing.B) {
	for _, n := range workerCounts {
		b.Run(fmt.Sprintf("impl=futures/workers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			p := benchPool(b, n)
			inputs := func(yield func(int) bool) {
				for i := 0; b.Loop(); i++ {
					if !yield(i) {
						return
					}
				}
			}
			square := func(_ context.Context, n int) (int, error) { return n * n, nil }
			for _, err := range Map(context.Background(), p, inputs, square, WithBuffer(64)) {
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAsCompleted measures AsCompleted per future, over futures that
// are already complete and futures that complete while it waits.
func BenchmarkAsCompleted(b *testing.B) {
	benchWaiting(b, 100, func(b *testing.B, fs []*Future[int]) {
		for range AsCompleted(fs...) {
		}
	})
}

// BenchmarkWait is BenchmarkAsCompleted for Wait(AllCompleted).
func BenchmarkWait(b *testing.B) {
	benchWaiting(b, 1000, func(b *testing.B, fs []*Future[int]) {
		if _, pending, err := Wait(context.Background(), fs, AllCompleted); err != nil || len(pending) > 0 {
			b.Fatal(len(pending), err)
		}
	})
}

// benchWaiting reports the time per future of wait, over batch futures that
// are already complete (wait's own cost), and over batch futures submitted
// just before it waits.
func benchWaiting(b *testing.B, batch int, wait func(*testing.B, []*Future[int])) {
	ctx := context.Background()
	perFuture := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/future")
	}
	b.Run("complete", func(b *testing.B) {
		b.ReportAllocs()
		p := benchPool(b, 2)
		fs := make([]*Future[int], batch)
		for i := range fs {
			fs[i] = Submit(ctx, p, trivial)
		}
		for _, f := range fs {
			f.Result(ctx)
		}
		for b.Loop() {
			wait(b, fs)
		}
		perFuture(b)
	})
	b.Run("pending", func(b *testing.B) {
		b.ReportAllocs()
		p := benchPool(b, 2)
		fs := make([]*Future[int], batch)
		for b.Loop() {
			for i := range fs {
				fs[i] = Submit(ctx, p, trivial)
			}
			wait(b, fs)
		}
		perFuture(b)
	})
}

// nothing is the task of the Group benchmarks: a func value made once, so
// that a Go or Submit of it allocates nothing for the caller's closure.
func nothing(context.Context) error { return nil }

// BenchmarkGroup measures a Group's cost per task: Go of a trivial func, with
// one Wait at the end (impl=group-go), beside Submit into the pool
// (impl=pool-submit), the same counted in a sync.WaitGroup to wait for the
// batch (impl=pool-submit-wg), and Submit into a group (impl=group-submit),
// each on a pool of its own.
//
// The wait for the last tasks is timed too: Go never waits, so the tasks it
// holds beyond the queue's size may still be queued when the loop ends,
// whereas Submit waits for room and leaves at most a queue's worth. For the
// same reason group-go's B/op counts, beside the task's own 80 bytes, the
// resizing of the queue's ring as the tasks held beyond its size come and go.
type benchKey struct{}

func BenchmarkGroup(b *testing.B) {
	bg := context.Background()
	// Each impl starts a batch on p and returns how to add a task to it and
	// how to wait for the batch.
	impls := []struct {
		name  string
		start func(p *Pool) (add func(), wait func() error)
	}{
		{"group-go", func(p *Pool) (func(), func() error) {
			g, _ := NewGroup(bg, p)
			return func() { g.Go(nothing) }, g.Wait
		}},
		{"pool-submit", func(p *Pool) (func(), func() error) {
			return func() { Submit(bg, p, trivial) }, p.Close
		}},
		{"pool-submit-wg", func(p *Pool) (func(), func() error) {
			// What a group saves its user: Submit into the pool,
			// counting the batch in a sync.WaitGroup to wait for it.
			var wg sync.WaitGroup
			fn := func(context.Context) (int, error) {
				wg.Done()
				return 1, nil
			}
			add := func() {
				wg.Add(1)
				Submit(bg, p, fn)
			}
			return add, func() error { wg.Wait(); return nil }
		}},
		{"group-submit", func(p *Pool) (func(), func() error) {
			g, ctx := NewGroup(bg, p)
			return func() { Submit(ctx, g, trivial) }, g.Wait
		}},
		// The one context of a group's tasks: free with a ctx derived
		// from the group's, a few allocations with another.
		{"group-submit-derived-ctx", func(p *Pool) (func(), func() error) {
			g, ctx := NewGroup(bg, p)
			ctx = context.WithValue(ctx, benchKey{}, 1)
			return func() { Submit(ctx, g, trivial) }, g.Wait
		}},
		{"group-submit-other-ctx", func(p *Pool) (func(), func() error) {
			g, _ := NewGroup(bg, p)
			ctx, cancel := context.WithCancel(bg)
			return func() { Submit(ctx, g, trivial) }, func() error { defer cancel(); return g.Wait() }
		}},
		// WithLimit: as many at once as the pool has workers.
		{"group-go-limit", func(p *Pool) (func(), func() error) {
			g, _ := NewGroup(bg, p, WithLimit(p.queue.max))
			return func() { g.Go(nothing) }, g.Wait
		}},
	}
	for _, n := range workerCounts {
		for _, im := range impls {
			b.Run(fmt.Sprintf("impl=%s/workers=%d", im.name, n), func(b *testing.B) {
				b.ReportAllocs()
				add, wait := im.start(benchPool(b, n))
				for b.Loop() {
					add()
				}
				b.StartTimer() // b.Loop stopped it
				if err := wait(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkGroupHelp measures the Wait of a group made in a task, on a pool
// of one worker with no queue: Go holds every task, and Wait runs them one by
// one in the waiting task's place. The cost per task is to be the same
// however many the group holds: a Wait that looked for each task from the
// head of the queue would cost in proportion to their number.
func BenchmarkGroupHelp(b *testing.B) {
	for _, held := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("held=%d", held), func(b *testing.B) {
			b.ReportAllocs()
			p, err := New(WithWorkers(1), WithQueueSize(0))
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			for b.Loop() {
				_, err := Submit(context.Background(), p, func(ctx context.Context) (int, error) {
					g, _ := NewGroup(ctx, p)
					for range held {
						g.Go(nothing)
					}
					return 0, g.Wait()
				}).Result(context.Background())
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*held), "ns/task")
		})
	}
}

// BenchmarkAny measures Any over functions that all fail, per function: the
// cost is to be the same however many there are.
func BenchmarkAny(b *testing.B) {
	errFail := errors.New("fail")
	fail := func(context.Context) (int, error) { return 0, errFail }
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("fns=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			p := benchPool(b, 2)
			fns := make([]func(context.Context) (int, error), n)
			for i := range fns {
				fns[i] = fail
			}
			for b.Loop() {
				if _, err := Any(context.Background(), p, fns...); !errors.Is(err, errFail) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/fn")
		})
	}
}

// BenchmarkWorkerComeback measures what a worker that exited idle costs the
// task that starts it again, beside one that finds the worker idle: the
// price WithKeepAlive's default weighs against a parked worker's memory.
func BenchmarkWorkerComeback(b *testing.B) {
	for _, comeback := range []bool{false, true} {
		b.Run(fmt.Sprintf("comeback=%v", comeback), func(b *testing.B) {
			b.ReportAllocs()
			// A keep-alive too long to retire anyone by itself: reap
			// is called here instead.
			p, err := New(WithWorkers(1), WithKeepAlive(time.Hour))
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			ctx := context.Background()
			for b.Loop() {
				if _, err := Submit(ctx, p, trivial).Result(ctx); err != nil {
					b.Fatal(err)
				}
				if comeback {
					// The worker is idle: the first reap marks it,
					// the second retires it.
					b.StopTimer()
					p.queue.reap()
					p.queue.reap()
					b.StartTimer()
				}
			}
		})
	}
}

// BenchmarkTiming measures what WithTiming costs a tiny task: Submit of a
// trivial task, counted down with a WaitGroup, as benchmarks/ does.
func BenchmarkTiming(b *testing.B) {
	for _, timing := range []bool{false, true} {
		b.Run(fmt.Sprintf("timing=%v", timing), func(b *testing.B) {
			opts := []Option{WithWorkers(2)}
			if timing {
				opts = append(opts, WithTiming())
			}
			p, err := New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			var wg sync.WaitGroup
			fn := func(context.Context) (int, error) { wg.Done(); return 0, nil }
			ctx := context.Background()
			for b.Loop() {
				wg.Add(1)
				Submit(ctx, p, fn)
			}
			wg.Wait()
		})
	}
}
