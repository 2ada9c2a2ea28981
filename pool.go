package futures

import (
	"context"
	"errors"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
)

// A Pool is a fixed set of worker goroutines fed by a bounded queue of tasks.
// Submit tasks to it with [Submit], [TrySubmit] or [Map]; stop it with
// [Pool.Shutdown], [Pool.ShutdownNow] or [Pool.Close]. The pool owns its
// goroutines: they start in [New] and have all exited when Shutdown returns
// nil. A Pool is safe for use by multiple goroutines at once.
//
// Each submission costs one allocation, its Future (128 bytes for a result
// of one word). On a 2-core machine a pool runs trivial tasks at about 230 ns
// each, under three times a bare channel send and receive; waiting for each
// result as well costs less than twice what a bare channel pool that sends
// each result back does. An item of [Map] costs about 310 ns, and one Submit
// and Result at a time take about 550 ns, as long as a round trip over
// channels. The numbers come from bench_test.go and benchmarks/; they matter
// only for tasks of a few microseconds or less.
type Pool struct {
	queue *queue
	quit  chan struct{} // closed when shutdown begins: wakes waiting submitters

	// entered counts the submissions that reached the pool, and has
	// closedBit set once shutdown begins; left counts those that are done
	// with the queue. The queue is closed, letting the workers exit, once
	// the bit is set and every submission has left.
	entered   atomic.Uint64
	left      atomic.Uint64
	quitOnce  sync.Once
	queueOnce sync.Once

	// stop, once set, says how the tasks still queued are completed
	// instead of run: by ShutdownNow, or because the pool broke.
	stop   atomic.Pointer[stopReason]
	broken atomic.Pointer[error]

	ctx    context.Context // the initializers'; cancelled by ShutdownNow
	cancel context.CancelFunc

	workers []worker
	live    atomic.Int32  // worker goroutines not yet exited
	exited  chan struct{} // closed when live drops to zero

	init    func(context.Context) error
	name    string
	onPanic func(*PanicError)

	cancelled      atomic.Uint64
	rejected       atomic.Uint64
	callbackPanics atomic.Uint64
}

const closedBit = 1 << 63

type stopReason struct {
	state State
	err   error
}

// A worker is one of the pool's goroutines, with counters of its own so that
// workers do not contend on shared ones.
type worker struct {
	pool        *Pool
	index       int
	initialized bool // only the worker's goroutine reads and writes it

	wake chan struct{} // wakes the worker when parked; see queue.pop

	// Tasks started here; those not yet succeeded, failed or panicked are
	// running (more than one while a task helps another).
	started   atomic.Uint64
	succeeded atomic.Uint64
	failed    atomic.Uint64
	panicked  atomic.Uint64

	_ [64]byte // keep neighbouring workers off each other's cache line
}

// Stats is a snapshot of a pool's activity.
type Stats struct {
	Workers int // worker goroutines running; zero once shut down
	Busy    int // workers running a task
	Queued  int // tasks waiting in the queue

	// Submitted counts every call to Submit, TrySubmit and Map's
	// submissions that reached the pool. Once the pool is idle, it is the
	// sum of the counts below.
	Submitted uint64
	Succeeded uint64 // ran and returned a nil error
	Failed    uint64 // ran and returned an error, or called runtime.Goexit
	Panicked  uint64 // ran and panicked
	Cancelled uint64 // completed without running: Cancel, ShutdownNow, a done ctx
	Rejected  uint64 // refused: queue full (TrySubmit), shut down, or broken

	CallbackPanics uint64 // OnDone callbacks that panicked
}

// New starts a pool. With no options it has [runtime.GOMAXPROCS] workers and
// a queue of 64 tasks per worker. An option out of range gets an error
// matching [ErrInvalidOption] and no pool.
func New(opts ...Option) (*Pool, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	p := &Pool{
		queue:   newQueue(o.queueSize, o.workers),
		quit:    make(chan struct{}),
		workers: make([]worker, o.workers),
		exited:  make(chan struct{}),
		init:    o.init,
		name:    o.name,
		onPanic: o.onPanic,
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.live.Store(int32(o.workers))
	for i := range p.workers {
		w := &p.workers[i]
		w.pool, w.index, w.wake = p, i, make(chan struct{}, 1)
		go p.work(w)
	}
	return p, nil
}

func (p *Pool) pool() *Pool { return p }

// work is a worker's goroutine: it runs tasks until the queue is closed.
func (p *Pool) work(w *worker) {
	normal := false
	defer func() {
		if !normal {
			// A task called runtime.Goexit, which ends this goroutine
			// whatever we do; its future is already complete. Keep the
			// pool at full strength.
			go p.work(w)
			return
		}
		if p.live.Add(-1) == 0 {
			p.cancel()
			close(p.exited)
		}
	}()
	labels := pprof.Labels("pool", p.name, "worker", strconv.Itoa(w.index))
	pprof.Do(p.ctx, labels, func(ctx context.Context) {
		if p.init != nil && !w.initialized {
			w.initialized = true
			if err := p.initialize(&taskContext{Context: ctx, w: w}); err != nil {
				p.breakWith(err)
			}
		}
		for {
			t, ok := p.queue.pop(w.wake)
			if !ok {
				break
			}
			if r := p.stop.Load(); r != nil {
				t.abort(r.state, r.err)
				continue
			}
			t.run(w)
		}
	})
	normal = true
}

// spins is how many times an idle worker, a submitter waiting for room in
// the queue, or a goroutine waiting for a future yields before it blocks: a
// goroutine that blocks costs the one that unblocks it a wake-up.
const spins = 3

// initialize runs the initializer, turning a panic into an error.
func (p *Pool) initialize(ctx context.Context) (err error) {
	normal := false
	defer func() {
		if !normal {
			if r := recover(); r != nil {
				err = newPanicError(r)
			} else {
				p.breakWith(ErrGoexit)
			}
		}
	}()
	err = p.init(ctx)
	normal = true
	return err
}

// breakWith marks the pool broken by the initializer's err: it stops taking
// tasks, and every queued task completes with the broken error.
func (p *Pool) breakWith(err error) {
	err = brokenBy(err)
	if !p.broken.CompareAndSwap(nil, &err) {
		return
	}
	p.stop.CompareAndSwap(nil, &stopReason{state: Finished, err: err})
	p.beginShutdown()
	p.drain()
}

// submit hands t to a worker, waiting for room in the queue. If ctx is done
// first, or shutdown begins, it completes t without running it, as Cancelled
// or as Finished with the refusal. It reports whether the pool refused t.
func (p *Pool) submit(ctx context.Context, t task) (refused bool) {
	if err := p.enter(); err != nil {
		t.abort(Finished, err)
		return true
	}
	defer p.leave()
	q := p.queue
	if q.tryPush(t) {
		return false
	}
	if w := workerOf(ctx, p); w != nil {
		// A task of this pool submits to a full queue. Waiting could
		// deadlock if every worker did the same: run it here instead.
		runInline(t, w)
		return false
	}
	if q.push(ctx, t, p.quit) {
		return false
	}
	// push gave up: shutdown began, or ctx is done.
	select {
	case <-p.quit:
		t.abort(Finished, p.closedErr())
		return true
	default:
		t.abort(Cancelled, cancelledBy(context.Cause(ctx)))
		return false
	}
}

// trySubmit hands t to a worker if the queue has room now. Otherwise it
// returns ErrQueueFull, or the error of a pool that is shut down, and leaves
// t untouched.
func (p *Pool) trySubmit(t task) error {
	if err := p.enter(); err != nil {
		return err
	}
	defer p.leave()
	if !p.queue.tryPush(t) {
		return ErrQueueFull
	}
	return nil
}

// enter begins a submission, or returns the error of a pool that is shut
// down. A submission that entered must leave.
func (p *Pool) enter() error {
	if p.entered.Add(1)&closedBit != 0 {
		p.leave()
		return p.closedErr()
	}
	return nil
}

// leave ends a submission; the last one out after shutdown began closes the
// queue.
func (p *Pool) leave() {
	p.closeIfLeft(p.left.Add(1))
}

// closeIfLeft closes the queue if shutdown has begun and left, read before
// entered, has caught up with it. Both only grow and left never passes
// entered, so if they are equal, every submission had left when left was
// read, and any later one finds the bit set and does not send.
func (p *Pool) closeIfLeft(left uint64) {
	if e := p.entered.Load(); e&closedBit != 0 && e&^closedBit == left {
		p.closeQueue()
	}
}

func (p *Pool) closeQueue() {
	p.queueOnce.Do(p.queue.close)
}

func (p *Pool) closedErr() error {
	if err := p.broken.Load(); err != nil {
		return *err
	}
	return ErrShutdown
}

// runInline runs t on behalf of worker w, which is blocked in a task of its
// own. It runs t on a new goroutine, and waits for it, so that a task calling
// runtime.Goexit ends only itself and not the task that waits on it.
func runInline(t task, w *worker) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.run(w)
	}()
	<-done
}

// beginShutdown stops the pool from taking tasks.
func (p *Pool) beginShutdown() {
	p.quitOnce.Do(func() {
		close(p.quit)
		p.entered.Or(closedBit)
		p.closeIfLeft(p.left.Load())
	})
}

// drain completes every task in the queue without running it.
func (p *Pool) drain() {
	r := p.stop.Load()
	for {
		t, ok := p.queue.take()
		if !ok {
			return
		}
		t.abort(r.state, r.err)
	}
}

// Shutdown stops the pool from taking tasks: from now on submissions fail
// with [ErrShutdown], and so do submissions waiting for room in the queue.
// Tasks already queued still run. Shutdown waits until every worker goroutine
// has exited and returns nil, or until ctx is done and returns
// [context.Cause] of ctx; the shutdown goes on, and a later call waits again.
// Shutdown may be called any number of times, from many goroutines at once.
//
// Called from a task of the pool itself, it would wait for its own return:
// given the task's context (or one derived from it), it returns an error
// instead of waiting; given another context, it waits until that is done.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.beginShutdown()
	return p.wait(ctx)
}

// ShutdownNow is like [Pool.Shutdown], but the tasks still queued do not run:
// their futures complete at once in state [Cancelled], with an error matching
// both [ErrCancelled] and [ErrShutdown]. Running tasks are not interrupted;
// the contexts of initializers are cancelled.
func (p *Pool) ShutdownNow(ctx context.Context) error {
	p.stop.CompareAndSwap(nil, &stopReason{state: Cancelled, err: errShutdownNow})
	p.beginShutdown()
	p.cancel()
	p.drain()
	return p.wait(ctx)
}

// Close shuts the pool down and waits for its workers to exit: it is
// Shutdown(context.Background()), for use with defer. It returns nil. Called
// from a task of the pool, it waits forever: use Shutdown with the task's
// context there.
func (p *Pool) Close() error {
	return p.Shutdown(context.Background())
}

var errShutdownFromTask = errors.New("futures: Shutdown called from a task of the pool would wait for itself")

func (p *Pool) wait(ctx context.Context) error {
	if ctx == nil {
		return errNilContext
	}
	if workerOf(ctx, p) != nil {
		return errShutdownFromTask
	}
	select {
	case <-p.exited:
		return nil // even if ctx is done too
	default:
	}
	select {
	case <-p.exited:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Stats returns a snapshot of the pool's activity. The counts are read one by
// one while the pool runs, so they reconcile only once it is idle.
func (p *Pool) Stats() Stats {
	s := Stats{
		Workers:        int(p.live.Load()),
		Queued:         p.queue.len(),
		Submitted:      p.entered.Load() &^ closedBit,
		Cancelled:      p.cancelled.Load(),
		Rejected:       p.rejected.Load(),
		CallbackPanics: p.callbackPanics.Load(),
	}
	for i := range p.workers {
		w := &p.workers[i]
		succeeded, failed, panicked := w.succeeded.Load(), w.failed.Load(), w.panicked.Load()
		// Read after the others, started is at least their sum.
		if w.started.Load() > succeeded+failed+panicked {
			s.Busy++
		}
		s.Succeeded += succeeded
		s.Failed += failed
		s.Panicked += panicked
	}
	return s
}
