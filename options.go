package futures

import (
	"context"
	"math"
	"runtime"
	"time"
)

// An Option configures a [Pool] made by [New].
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	workers   int
	queueSize int
	queueSet  bool
	keepAlive time.Duration
	timing    bool
	name      string
	init      func(context.Context) error
	initSet   bool
	onPanic   func(*PanicError)
}

// defaultQueuePerWorker sets the default queue size: enough room that
// producers rarely wait for workers, small enough to bound memory.
const defaultQueuePerWorker = 64

func newOptions(opts []Option) (*options, error) {
	o := &options{
		workers:   runtime.GOMAXPROCS(0),
		name:      "futures",
		keepAlive: defaultKeepAlive,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, invalidf("nil Option")
		}
		opt.apply(o)
	}
	if o.workers < 1 {
		return nil, invalidf("WithWorkers(%d): need at least 1 worker", o.workers)
	}
	if !o.queueSet {
		o.queueSize = defaultQueuePerWorker * min(o.workers, math.MaxInt/defaultQueuePerWorker)
	}
	if o.queueSize < 0 {
		return nil, invalidf("WithQueueSize(%d): size must not be negative", o.queueSize)
	}
	if o.initSet && o.init == nil {
		return nil, invalidf("WithInitializer(nil): nil function")
	}
	return o, nil
}

// WithWorkers sets the most worker goroutines the pool runs, and so the most
// tasks it runs at once, n >= 1. Workers start as tasks arrive and find none
// idle, so a large n costs nothing until the load needs it. The default is
// [runtime.GOMAXPROCS], which suits CPU-bound tasks; tasks that mostly wait
// (network, disk) want many more.
func WithWorkers(n int) Option {
	return optionFunc(func(o *options) { o.workers = n })
}

// WithQueueSize sets how many submitted tasks may wait for a worker, n >= 0.
// A task waits only when every worker has started and is busy; when the queue
// is full too, [Submit] waits for room and [TrySubmit] fails with
// [ErrQueueFull]. With n == 0 a task goes straight to an idle worker, or to a
// new one, or the submission waits for a worker to become idle. The size is
// a bound, not an allocation: the queue costs memory for the tasks in it, so
// n == math.MaxInt gives a queue without bound. The default is 64 per
// worker.
func WithQueueSize(n int) Option {
	return optionFunc(func(o *options) { o.queueSize, o.queueSet = n, true })
}

// WithKeepAlive sets how long a worker may stay idle before it exits, giving
// back its goroutine and its memory. A worker exits once idle for between d
// and 2d, and a new one starts, with the index of one that exited, as tasks
// call for it; the initializer ([WithInitializer]) runs again as it starts.
// Workers that keep getting tasks never exit, so a steady load pays nothing.
// With d <= 0 idle workers stay until shutdown. The default is 10 seconds:
// a worker that comes back costs about 10 µs more than one found idle, plus
// its initializer, which at that pace costs at most a small fraction of a
// worker's time (a 100 ms initializer, 1%); and a burst of work gives back
// its workers' memory within 20 seconds.
func WithKeepAlive(d time.Duration) Option {
	return optionFunc(func(o *options) { o.keepAlive = max(d, 0) })
}

// WithTiming makes the pool time its tasks: [Stats] then reports how long
// they waited in the queue and how long they ran, as histograms
// ([Stats.QueueWait], [Stats.RunTime]). It costs three readings of the
// clock and four additions to counters of the worker's own a task: about
// 100 to 150 ns on a 2-core machine whose clock takes 30 ns to read
// (BenchmarkTiming), noticeable only on tasks of a few microseconds or less.
// Without it, nothing.
func WithTiming() Option {
	return optionFunc(func(o *options) { o.timing = true })
}

// defaultKeepAlive is WithKeepAlive's default.
const defaultKeepAlive = 10 * time.Second

// WithName names the pool in profiles: every worker goroutine carries the
// pprof labels "pool" (the name) and "worker" (its index, from 0).
// Every task starts with exactly these labels, whatever the task before it
// did to its goroutine's, and so does a task that another runs in its place
// (see [Future.Result]). A task's context carries them too, alongside those
// of the context given to [Submit], so that [pprof.Do] in a task adds to them.
//
// The name also marks the pool's work in execution traces ([runtime/trace],
// go tool trace): while one is recorded, every task runs in a trace region
// of that name, and every submission logs an event of category "futures"
// with the name as its message, under the submitter's context. A [Group]
// and each iteration of a [Map] are trace tasks, "futures.Group" and
// "futures.Map", which their tasks' regions and submissions belong to; so a
// task's time in the queue is the time from its event to its region. With
// no trace recorded, this costs a check per task.
//
// The default name is "futures".
func WithName(name string) Option {
	return optionFunc(func(o *options) { o.name = name })
}

// WithInitializer sets a function that each worker runs once, before its
// first task. Workers start on demand, so it runs when a worker starts for a
// task. Its context carries the worker's pprof labels and its index (see
// [WorkerIndex]), and is cancelled by [Pool.ShutdownNow]. If it returns an
// error, panics or calls runtime.Goexit in any worker, the pool is broken:
// see [ErrBroken]. But if its context is done by then, ShutdownNow has begun,
// and the pool is shut down rather than broken. A worker that replaces one
// ended by runtime.Goexit does not run it again. One that starts after an
// idle worker exited ([WithKeepAlive]) takes that one's index and runs it
// again: it finds whatever it set up for that index before, to keep or to
// replace. For state that must be set up once only, give the pool a
// keep-alive of 0.
func WithInitializer(fn func(context.Context) error) Option {
	return optionFunc(func(o *options) { o.init, o.initSet = fn, true })
}

// WithCallbackPanicHandler sets the function that receives the panic of an
// [Future.OnDone] callback on a future of the pool, including a future
// refused at once for a nil ctx or fn. A panicking callback never stops the
// other callbacks nor kills a worker; by default its panic is written to the
// standard logger. A nil fn restores the default. The handler runs on the
// goroutine of the callback, and may be called from several at once.
func WithCallbackPanicHandler(fn func(*PanicError)) Option {
	return optionFunc(func(o *options) { o.onPanic = fn })
}

// A MapOption configures [Map].
type MapOption interface {
	applyMap(*mapOptions)
}

type mapOptionFunc func(*mapOptions)

func (f mapOptionFunc) applyMap(o *mapOptions) { f(o) }

type mapOptions struct {
	buffer int
}

// WithBuffer bounds how far [Map] runs ahead of its caller: at most n tasks
// are submitted and not yet yielded, n >= 1. The default is twice the
// executor's workers.
func WithBuffer(n int) MapOption {
	return mapOptionFunc(func(o *mapOptions) { o.buffer = n })
}

// A GroupOption configures a [Group] made by [NewGroup].
type GroupOption interface {
	applyGroup(*groupOptions)
}

type groupOptionFunc func(*groupOptions)

func (f groupOptionFunc) applyGroup(o *groupOptions) { f(o) }

type groupOptions struct {
	allErrors bool
	limit     int
}

// WithLimit makes a [Group] run at most n of its tasks at once, n >= 1,
// however they were added, on a pool it may share with other work: errgroup's
// SetLimit. A task counts from the moment it is added until it has returned
// (one that failed, until its failure is recorded), while it waits in the
// pool's queue as while it runs; but a task that waits
// for a task of its group with its context, and so runs it in its own place
// (see [Future.Result]), does not count while it waits.
//
// [Group.Go] never waits: it holds the tasks beyond the limit, in the order
// added, and each starts as a task of the group completes; held tasks take
// none of the queue's room, so they hold up no other work of the pool.
// [Group.TryGo] returns false and [TrySubmit] fails with [ErrQueueFull] while
// n tasks of the group count. [Submit], [Map], [MapSlice] and [Any] wait for
// one to complete, until their ctx is done (the task's future then ends
// [Cancelled], which fails nothing) or the group stops. Called from a task of
// the pool with its context they never deadlock: a task of the group runs
// the new task at once in its own place, which the group counts already; any
// other task runs the group's queued tasks in its place while it waits.
//
// A limit below 1 makes the group invalid ([ErrInvalidOption]); math.MaxInt
// is no limit.
func WithLimit(n int) GroupOption {
	return groupOptionFunc(func(o *groupOptions) { o.limit = n })
}

// WithAllErrors makes a [Group] run every task however many fail: an error
// does not cancel the group's context, and [Group.Wait] returns every
// failure, joined with [errors.Join] in the order they happened.
func WithAllErrors() GroupOption {
	return groupOptionFunc(func(o *groupOptions) { o.allErrors = true })
}
