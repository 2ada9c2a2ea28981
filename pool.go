package futures

import (
	"context"
	"errors"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
)

// A Pool is a bounded set of worker goroutines fed by a queue of tasks.
// Submit tasks to it with [Submit], [TrySubmit] or [Map]; stop it with
// [Pool.Shutdown], [Pool.ShutdownNow] or [Pool.Close]. A Pool is safe for use
// by multiple goroutines at once.
//
// Make a Pool with [New]. The zero Pool is not usable, nor is a nil *Pool
// (what New returns with an error), and using one does no harm: Submit
// returns a future complete with an error matching [ErrInvalidOption],
// TrySubmit, Shutdown, ShutdownNow and Close return that error, Map yields
// it once, and Stats returns the zero Stats.
//
// The pool owns its goroutines. [New] starts none: a worker starts when a
// task is submitted and no worker is idle, until there are as many as
// [WithWorkers] allows, and then stays while it gets tasks, until it has been
// idle for the keep-alive ([WithKeepAlive], 10 seconds by default) or the
// pool is shut down; all have exited when Shutdown returns nil. So a pool
// sized for its peak load costs only the workers its load has needed lately.
// Its queue, likewise, holds tasks only while no worker is free for them, and
// costs memory for the tasks in it, not for its size.
//
// Each submission costs one allocation, its Future (144 bytes for a result
// of one word). The numbers of bench_test.go and benchmarks/, on a 2-core
// machine: a pool runs trivial tasks at about 280 to 330 ns each, about five
// times a bare channel send and receive; waiting for each result as well costs
// about three times what a bare channel pool that sends each result back
// does; an item of [Map] costs about 350 to 380 ns; one Submit and Result at a
// time take about 460 ns, 1.6 times a round trip over channels. They matter only
// for tasks of a few microseconds or less.
type Pool struct {
	queue *queue

	// stop, once set, says how the tasks still queued are completed
	// instead of run: by ShutdownNow, or because the pool broke.
	stop   atomic.Pointer[stopReason]
	broken atomic.Pointer[error]

	ctx    context.Context // the initializers'; cancelled by ShutdownNow
	cancel context.CancelFunc
	exited chan struct{} // closed once shut down with no worker left

	init    func(context.Context) error
	name    string
	onPanic func(*PanicError)

	submitted      atomic.Uint64
	cancelled      atomic.Uint64
	rejected       atomic.Uint64
	callbackPanics atomic.Uint64
}

type stopReason struct {
	state State
	err   error
}

// Stats is a snapshot of a pool's activity.
type Stats struct {
	Workers int // workers started and not exited: started on demand, gone once idle a while (WithKeepAlive), zero once shut down
	Busy    int // workers running a task
	Queued  int // tasks waiting in the queue for a worker, not counting those complete

	// Submitted counts the tasks that reached the pool, by every way in:
	// Submit, TrySubmit, a Group's Go and TryGo, Map, MapSlice and Any.
	// It is at least the sum of the counts below in any snapshot, and
	// equal to it once the pool is idle.
	Submitted uint64
	Succeeded uint64 // ran and returned a nil error
	Failed    uint64 // ran and returned an error, or called runtime.Goexit
	Panicked  uint64 // ran and panicked
	Cancelled uint64 // completed without running: Cancel, ShutdownNow, a done ctx or a stopped group
	Rejected  uint64 // refused: queue full (TrySubmit, TryGo), shut down, or broken

	// CallbackPanics counts the OnDone callbacks that panicked, on any
	// future of the pool: those of invalid submissions too, though they
	// count in none of the above.
	CallbackPanics uint64

	// With WithTiming: how long tasks waited, from entering the queue, or
	// being handed to a worker, to starting; and how long they ran, from
	// starting to returning. They count the tasks the workers take from
	// the queue, not those that a task waiting for them runs in its place.
	// RunTime.Sum is the time the workers were busy, so the utilization
	// over an interval is the growth of RunTime.Sum over the workers times
	// the interval. A task counts in QueueWait as a worker takes it (one
	// found cancelled by then too, though it does not run) and in RunTime
	// as it returns: in any snapshot, RunTime.Count is at most
	// QueueWait.Count. Without WithTiming, both are empty.
	QueueWait, RunTime Histogram
}

// New makes a pool. With no options it has up to [runtime.GOMAXPROCS]
// workers and a queue of 64 tasks per worker. An option out of range gets an
// error matching [ErrInvalidOption] and no pool.
//
// New starts no goroutine: a worker starts when a task is submitted and no
// worker is idle, until the pool has as many as [WithWorkers] allows, and
// then stays until it has been idle for the keep-alive ([WithKeepAlive]) or
// the pool is shut down.
func New(opts ...Option) (*Pool, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	p := &Pool{
		exited:  make(chan struct{}),
		init:    o.init,
		name:    o.name,
		onPanic: o.onPanic,
	}
	p.queue = newQueue(o.queueSize, o.workers, p.start)
	p.queue.keepAlive = o.keepAlive
	p.queue.timing = o.timing
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

func (p *Pool) pool() *Pool   { return p }
func (p *Pool) group() *Group { return nil }

// usable returns the error of a Pool not made by New, nil or zero, and nil
// for one made by New.
func (p *Pool) usable() error {
	if p == nil {
		return errNilPool
	}
	if p.queue == nil {
		return errZeroPool
	}
	return nil
}

// start starts the goroutine of a new worker, with t its first task.
func (p *Pool) start(w *worker, t task) {
	w.pool = p
	go p.work(w, t)
}

// work is a worker's goroutine: it runs t, then tasks from the queue until
// the queue is closed. A goroutine that replaces one ended by runtime.Goexit
// starts with t nil, and takes up where that one left off.
func (p *Pool) work(w *worker, t task) {
	normal := false
	defer func() {
		if !normal {
			// A task, a callback or the initializer called
			// runtime.Goexit, which ends this goroutine whatever we do;
			// the task's future is already complete. Keep the pool at
			// full strength.
			go p.work(w, nil)
			return
		}
		if p.queue.exit() {
			p.exit()
		}
	}()
	if w.ctx == nil {
		w.labels = pprof.Labels("pool", p.name, "worker", strconv.Itoa(w.index))
		w.ctx = pprof.WithLabels(p.ctx, w.labels)
	}
	pprof.SetGoroutineLabels(w.ctx)
	if c := w.current; c != nil {
		// This goroutine replaces one that a task ended with
		// runtime.Goexit: take the place back.
		w.release(c, nil, nil, false)
		w.current = nil
	}
	if p.init != nil && !w.initialized {
		w.initialized = true
		// The initializer holds the worker's place, so that it may
		// wait for tasks of the pool as a task may.
		c := taskContextOf(w.ctx, w)
		c.served = true
		w.current = c
		w.then = t
		err := p.initialize(c)
		w.release(c, nil, nil, false)
		w.current = nil
		if err != nil {
			p.breakWith(err)
		}
		w.then = nil
	}
	p.serve(w, t)
	normal = true
}

// serve runs t, and then the tasks the queue gives w, until it is closed.
// With t nil, it first takes up where w's last goroutine left off.
func (p *Pool) serve(w *worker, t task) {
	q := p.queue
	if t == nil {
		// This goroutine replaces one that a task or a callback ended
		// with runtime.Goexit, perhaps owing counts: settle before
		// waiting.
		w.settle()
		t = w.resume()
	}
	for t != nil {
		ran := false
		if r := p.stop.Load(); r != nil {
			t.abort(r.state, r.err)
		} else {
			c := t.context()
			c.served = true
			w.current = c
			// Whatever labels the task before set.
			pprof.SetGoroutineLabels(w.ctx)
			// No other task before the place is back.
			if w.timing != nil {
				ran = w.release(c, nil, t, w.timedStart(t))
			} else {
				ran = w.release(c, nil, t, startTask(w, t))
			}
			w.current = nil
		}
		// Take the next task, or become idle, before completing the
		// future: whoever sees it complete then finds this worker free
		// for another task. A task of a limited group that has tasks
		// held may give its slot to the oldest of them, which goes to
		// the queue as this worker takes its next task.
		var next task
		var idle bool
		if u := passOn(t, ran); u != nil {
			var r pushResult
			if next, r = q.swap(w, u); r != pushed {
				abortHeld(u, r, p)
			} else if next != u {
				u.group().queued()
			}
		}
		if next == nil {
			next, idle = q.next(w)
		}
		if ran {
			// The callbacks run here, and one may end this goroutine
			// with runtime.Goexit: its replacement must then run next,
			// or wait as the idle worker it is, and not ask the queue
			// again, which would lose next or list w idle twice.
			w.then, w.idle = next, idle
			t.publish(w)
			w.then, w.idle = nil, false
		}
		if w.owedN > 0 && (next == nil || next.group() != w.owed) {
			w.settle()
		}
		// Hold on to no task while waiting: its future may hold a
		// large result that no one else wants.
		t = nil
		if idle {
			next = q.await(w)
		}
		t = next
	}
}

// exit ends a pool whose workers have all exited after shutdown.
func (p *Pool) exit() {
	p.cancel()
	close(p.exited)
}

// spins is how many times an idle worker, a submitter waiting for room in
// the queue, or a goroutine waiting for a future yields before it blocks: a
// goroutine that blocks costs the one that unblocks it a wake-up.
const spins = 3

// initialize runs the initializer, turning a panic into an error. If the
// initializer calls runtime.Goexit, initialize breaks the pool with
// ErrGoexit as the goroutine ends.
func (p *Pool) initialize(ctx context.Context) (err error) {
	returned := false
	defer func() {
		if !returned {
			// catch did not return: runtime.Goexit.
			p.breakWith(ErrGoexit)
		}
	}()
	if pe := catch(func() { err = p.init(ctx) }); pe != nil {
		err = pe
	}
	returned = true
	return err
}

// breakWith marks the pool broken by the initializer's err: it stops taking
// tasks, and every queued task completes with the broken error. But once
// ShutdownNow has cancelled the initializers' context, it does nothing: the
// pool is being shut down, not broken, and an initializer may well fail for
// that reason alone, as one that returns ctx.Err() does.
func (p *Pool) breakWith(err error) {
	if p.ctx.Err() != nil {
		// Only ShutdownNow cancels it while a worker runs: the pool's
		// exit does, too, but once no worker is left.
		return
	}
	err = brokenBy(err)
	if !p.broken.CompareAndSwap(nil, &err) {
		// Another worker broke the pool first, and may not have set
		// stop yet: set it to the same reason before this worker, whose
		// initializer failed too, serves a task.
		p.stop.CompareAndSwap(nil, &stopReason{state: Finished, err: *p.broken.Load()})
		return
	}
	if testHookBroken != nil {
		testHookBroken()
	}
	p.stop.CompareAndSwap(nil, &stopReason{state: Finished, err: err})
	p.beginShutdown()
	p.drain()
}

// testHookStats, if not nil, runs in Stats before it reads any count.
var testHookStats func()

// testHookBroken, if not nil, runs in breakWith between breaking the pool and
// setting its stop reason.
var testHookBroken func()

// submit hands t to a worker, waiting for room in the queue. If ctx is done
// first, or shutdown begins, it completes t without running it, as Cancelled
// or as Finished with the refusal. It reports whether the pool refused t.
func (p *Pool) submit(ctx context.Context, t task) (wasRefused bool) {
	p.submitted.Add(1)
	traceSubmit(ctx, p)
	g := t.group()
	if ctx.Err() != nil || g.stopped() != nil {
		cancelDoomed(ctx, t)
		return false
	}
	if g != nil && g.lim != nil {
		switch g.enter(ctx, t) {
		case ranInPlace:
			return false
		case enterGaveUp:
			t.abort(Cancelled, cancelledBy(context.Cause(ctx)))
			return false
		case enterHalted:
			abortStopped(t)
			return false
		}
	}
	q := p.queue
	r := q.tryPush(t)
	if r == full {
		if c, w := taskOf(ctx, p); w != nil {
			r = p.submitFromTask(ctx, c, w, t)
		} else {
			// A task of a group that fails meanwhile would not run:
			// stop waiting then.
			var stop <-chan struct{}
			if g != nil {
				stop = g.ctx.Done()
			}
			r = q.push(ctx, t, stop)
		}
	}
	switch r {
	case pushed:
		g.queued()
		return false
	case refused:
		t.abort(Finished, p.closedErr())
		return true
	case retry, dropped:
		// The group stopped, as the push above saw.
		abortStopped(t)
		return false
	}
	// push gave up: ctx is done.
	t.abort(Cancelled, cancelledBy(context.Cause(ctx)))
	return false
}

// trySubmit hands t to a worker if the queue has room now. Otherwise it
// returns ErrQueueFull, or the error of a pool that is shut down, and leaves
// t untouched. But a task that would never run, as ctx or its group's
// context is done, it completes as cancelled at once, taking no room, as
// submit does.
func (p *Pool) trySubmit(ctx context.Context, t task) error {
	p.submitted.Add(1)
	traceSubmit(ctx, p)
	g := t.group()
	if ctx.Err() != nil || g.stopped() != nil {
		cancelDoomed(ctx, t)
		return nil
	}
	if g != nil && g.lim != nil {
		if !g.lim.take() {
			return ErrQueueFull
		}
		t.setSlotted(true)
	}
	switch p.queue.tryPush(t) {
	case full:
		g.unslot(t)
		return ErrQueueFull
	case refused:
		g.unslot(t)
		return p.closedErr()
	case dropped:
		abortStopped(t)
		return nil
	}
	g.queued()
	return nil
}

// cancelDoomed completes t as cancelled, so that it takes no room: it could
// never run, as ctx is done or its group has stopped. The callers check
// that first, where the check costs no call.
func cancelDoomed(ctx context.Context, t task) {
	cause := t.group().stopped()
	if ctx.Err() != nil {
		cause = context.Cause(ctx)
	}
	t.abort(Cancelled, cancelledBy(cause))
}

// abortStopped completes t, whose group has stopped, as cancelled.
func abortStopped(t task) {
	t.abort(Cancelled, cancelledBy(t.group().stopped()))
}

func (p *Pool) closedErr() error {
	if err := p.broken.Load(); err != nil {
		return *err
	}
	return ErrShutdown
}

// submitFromTask submits t for the task whose context is c, which found the
// queue full. Waiting for room could deadlock if every worker did the same,
// so it runs t at once in c's place, if c holds it (see help.go); if c's
// place is lent to another goroutine with c's context, it waits for room or
// for the place to be given back, whichever comes first.
func (p *Pool) submitFromTask(ctx context.Context, c *taskContext, w *worker, t task) pushResult {
	for {
		if c.lend(t.context()) {
			// If ctx ends first, t goes on in c's place; Submit's
			// caller has its future.
			_ = runLent(ctx, w, c, t)
			return pushed
		}
		freed := w.watchFor(c)
		if freed == nil {
			continue
		}
		r := p.queue.push(ctx, t, freed)
		w.unwatchPlace()
		if r != retry {
			return r
		}
	}
}

// beginShutdown stops the pool from taking tasks.
func (p *Pool) beginShutdown() {
	if p.queue.close() {
		p.exit()
	}
}

// testHookDrain, if not nil, runs when drain begins, after p.stop is set.
var testHookDrain func()

// drain completes every task in the queue without running it.
func (p *Pool) drain() {
	if testHookDrain != nil {
		testHookDrain()
	}
	r := p.stop.Load()
	for {
		t := p.queue.pop()
		if t == nil {
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
//
// A nil ctx gets an error matching [ErrInvalidOption], and the pool is left
// as it was.
func (p *Pool) Shutdown(ctx context.Context) error {
	if err := p.usable(); err != nil {
		return err
	}
	if ctx == nil {
		return errNilContext
	}
	p.beginShutdown()
	return p.wait(ctx)
}

// ShutdownNow is like [Pool.Shutdown], but the tasks still queued do not run:
// their futures complete at once in state [Cancelled], with an error matching
// both [ErrCancelled] and [ErrShutdown]. Running tasks are not interrupted;
// the contexts of initializers are cancelled. A nil ctx gets an error
// matching [ErrInvalidOption], and the pool is left as it was.
func (p *Pool) ShutdownNow(ctx context.Context) error {
	if err := p.usable(); err != nil {
		return err
	}
	if ctx == nil {
		return errNilContext
	}
	p.stop.CompareAndSwap(nil, &stopReason{state: Cancelled, err: errShutdownNow})
	p.beginShutdown()
	p.cancel()
	p.drain()
	return p.wait(ctx)
}

// Close shuts the pool down and waits for its workers to exit: it is
// Shutdown(context.Background()), for use with defer. It returns nil, but for
// a Pool not made by New an error matching [ErrInvalidOption]. Called
// from a task of the pool, it waits forever: use Shutdown with the task's
// context there.
func (p *Pool) Close() error {
	return p.Shutdown(context.Background())
}

var errShutdownFromTask = errors.New("futures: Shutdown called from a task of the pool would wait for itself")

func (p *Pool) wait(ctx context.Context) error {
	if _, w := taskOf(ctx, p); w != nil {
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
// one while the pool runs, so they reconcile only once it is idle. For a Pool
// not made by New, Stats returns the zero Stats.
func (p *Pool) Stats() Stats {
	if p.usable() != nil {
		return Stats{}
	}
	var s Stats
	if testHookStats != nil {
		testHookStats()
	}
	// A worker counts a task in QueueWait as it takes it, and in
	// Succeeded, Failed or Panicked and in RunTime, under the queue's
	// lock, as it asks for its next task: a snapshot has no more tasks in
	// RunTime than returned, nor than in QueueWait (see queue.stats).
	timed := p.queue.stats(&s)
	for _, w := range timed {
		w.timing.wait.addTo(&s.QueueWait)
	}
	s.Cancelled = p.cancelled.Load()
	s.Rejected = p.rejected.Load()
	s.CallbackPanics = p.callbackPanics.Load()
	// A task counts in submitted before it can complete: read last, it
	// is at least the sum of the others in any snapshot.
	s.Submitted = p.submitted.Load()
	return s
}
