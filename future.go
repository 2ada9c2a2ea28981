package futures

import (
	"context"
	"log"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// State is the state of a [Future].
type State uint32

const (
	// Pending: submitted, not yet started.
	Pending State = iota
	// Running: a worker is running the task.
	Running
	// Cancelled: complete, and the task never ran (see [ErrCancelled]).
	Cancelled
	// Finished: complete with the task's result, or with the error that
	// kept it from running (such as [ErrShutdown]).
	Finished

	// completing is internal: a pending future is being completed without
	// running. Seen from outside it is still Pending.
	completing
	// finishing is internal: the task has returned, and its future is
	// yet to complete with the outcome. Seen from outside it is still
	// Running.
	finishing
)

var stateNames = [...]string{"pending", "running", "cancelled", "finished"}

// String returns the state's name in lower case, such as "pending".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// A Future is the eventual result of a task given to [Submit] or [TrySubmit]:
// a value, an error, or a recovered panic. It completes exactly once; from
// then on every method sees the same outcome. A Future is safe for use by
// multiple goroutines at once. Futures come from this package's functions: a
// Future made otherwise has no task and never completes unless cancelled.
//
// A nil *Future, which [TrySubmit] returns with an error, behaves as a future
// complete with an error matching [ErrInvalidOption]: Result returns the zero
// value and that error, Err returns it, Done returns a closed channel, State
// returns [Finished], Cancel returns false, and OnDone calls fn at once with
// the nil future. [AsCompleted] and [Wait] leave nil futures out.
type Future[T any] struct {
	// flags holds watched, set under mu by the first Done, OnDone or
	// blocking wait (completion takes mu only if it is set: see finish),
	// and armed, set under mu when wg is made 1 until completion, for
	// block. Only mu's holder reads armed.
	flags atomic.Uint32
	mu    sync.Mutex // guards the setting of flags, wg's arming, done and watch
	slot  uint32     // see task.queued

	p    *Pool     // the pool; of an invalid submission, only for its handler (see newFuture)
	body caller[T] // the task; nil once complete

	// val and err are written once, before the state (ctx.state) becomes
	// Cancelled or Finished; the atomic store orders them before any
	// read.
	val T
	err error

	// wg lets block wait without allocating. Not a Mutex passed from
	// waiter to waiter, which would take 8 bytes fewer: a goroutine
	// blocked in Mutex.Lock does not count as durably blocked in a
	// testing/synctest bubble, so the bubble's clock would stop.
	wg    sync.WaitGroup
	done  chan struct{} // made by the first Done before completion
	watch *watch[T]     // made by the first OnDone or notify before completion

	ctx taskContext
}

// The flags of a future.
const (
	watched = 1 << iota
	armed
	// quiet, set before submission, keeps the task's failure from failing
	// its group: the tasks of Any fail on their own.
	quiet
	// slotted says the task holds a slot of its group's limit, which it
	// gives up as it completes.
	slotted
	// merged says the task holds a reference to its context, a
	// mergedContext, which it gives up as it completes.
	merged
)

// releaseContext gives up the task's reference to its context, if it holds
// one (see mergedContext).
func (f *Future[T]) releaseContext() {
	if f.flags.Load()&merged != 0 {
		f.ctx.Context.(*mergedContext).release()
	}
}

func (f *Future[T]) setSlotted(on bool) bool {
	if on {
		return f.flags.Or(slotted)&slotted != 0
	}
	return f.flags.And(^uint32(slotted))&slotted != 0
}

// watch holds the callbacks of a future, with room for one so that the
// common case costs a single allocation, and the channels of the Wait calls
// that wait for it.
type watch[T any] struct {
	callbacks []func(*Future[T])
	one       [1]func(*Future[T])

	// waiters are channels that the future is sent on as it completes,
	// each with room for it. Unlike a callback, each can be removed
	// (see unnotify), so that a Wait that gives up leaves nothing behind.
	waiters []chan<- *Future[T]
}

// A caller is the body of a task. Submit's is a funcCaller; Map's is the
// item that also holds the future, so that an item costs one allocation.
type caller[T any] interface {
	call(ctx context.Context) (T, error)
}

type funcCaller[T any] func(context.Context) (T, error)

func (fn funcCaller[T]) call(ctx context.Context) (T, error) { return fn(ctx) }

// Submit submits fn to ex and returns its Future at once. fn runs on one of
// ex's workers with ctx, so cancelling ctx is visible inside the task, and
// fn is not run at all if ctx is done when a worker picks it up: the future is
// then [Cancelled].
//
// If the queue is full, Submit waits for room. If ctx is done first, the
// future completes in state Cancelled with an error matching both
// [ErrCancelled] and [context.Cause] of ctx, and fn never runs. A submission
// to a pool that is shut down, or that becomes so while Submit waits, gets a
// future already complete with [ErrShutdown] ([ErrBroken] for a broken pool).
// A nil ctx, ex or fn gets a future already complete with an error matching
// [ErrInvalidOption]. Submit never panics, and the future it returns always
// completes.
//
// Called from inside a task of the same pool with the task's context (or one
// derived from it), Submit does not wait for room in a full queue: it runs fn
// at once in the calling task's place, on a new goroutine, and waits for it
// or for ctx, so that nested submission cannot deadlock (see the package
// doc's Guarantees).
//
// Submitted to a [Group], the future belongs to the group: see [Group].
func Submit[T any](ctx context.Context, ex Executor, fn func(context.Context) (T, error)) *Future[T] {
	f, err := newFuture(ctx, ex, fn)
	if err == nil {
		f.p.submit(ctx, f)
	}
	return f
}

// TrySubmit is like [Submit] but never waits: if the queue is full it returns
// [ErrQueueFull], and if the pool is shut down [ErrShutdown] ([ErrBroken] for
// a broken pool). On error it returns a nil Future, and fn never runs. With a
// queue of size 0 (see [WithQueueSize]) there is room only when a worker is
// waiting for a task at that moment, which a new or a busy pool may not have.
// As with Submit, a task that could never run, as ctx is done or its group
// has stopped, takes no room: its future is returned already [Cancelled].
func TrySubmit[T any](ctx context.Context, ex Executor, fn func(context.Context) (T, error)) (*Future[T], error) {
	f, err := newFuture(ctx, ex, fn)
	if err != nil {
		return nil, err
	}
	if err := f.p.trySubmit(ctx, f); err != nil {
		f.p.rejected.Add(1)
		if g := f.ctx.group; g != nil {
			// The caller has the error: the group need not.
			f.releaseContext()
			g.release()
		}
		return nil, err
	}
	return f, nil
}

// newFuture returns a pending future of fn on ex's pool, counted in ex's
// group if ex is one; or, if an argument is invalid or the group takes no
// more tasks, a future already complete with the error, and the error.
func newFuture[T any](ctx context.Context, ex Executor, fn func(context.Context) (T, error)) (*Future[T], error) {
	p, g, err := executorOf(ex)
	switch {
	case err != nil:
		p = nil
	case fn == nil:
		err = errNilFunc
	case ctx == nil:
		err = errNilContext
	case g != nil && !g.add():
		err = errGroupDone
	default:
		tctx, m := g.taskContext(ctx)
		// One composite literal, which the compiler can store into the
		// new object without write barriers.
		f := &Future[T]{p: p, body: funcCaller[T](fn), ctx: newTaskContext(tctx, g)}
		if m != nil {
			f.flags.Store(merged)
		}
		return f, nil
	}
	if g != nil && err != errGroupDone {
		g.failInvalid(err)
	}
	return failed[T](p, err), err
}

// failed returns a future complete with err, of a submission that never
// reached the pool. It completes without abort, which would count it in p's
// Stats; p, which may be nil, is kept only so that a panicking callback goes
// to the pool's handler.
func failed[T any](p *Pool, err error) *Future[T] {
	f := &Future[T]{p: p, err: err}
	f.finish(Finished)
	return f
}

// Result waits for the future to complete and returns the task's value and
// error. If ctx is done first, Result returns the zero value and
// [context.Cause] of ctx, and the future is left as it was. Once complete,
// every call returns the same value and the same error. The return of the
// task's function happens before Result returns its value.
//
// The error is the task's own, a [*PanicError] if it panicked, [ErrGoexit]
// if it called runtime.Goexit, or an error matching [ErrCancelled],
// [ErrShutdown] or [ErrBroken] if it never ran.
//
// Called from inside a task of the same pool with the task's context (or one
// derived from it) on a future still queued, Result takes the task out of
// the queue and runs it in the calling task's place, on a new goroutine,
// rather than waiting for a worker, so that a task waiting on tasks it
// submitted cannot deadlock the pool. It still returns when ctx is done,
// leaving the task to run on (see the package doc's Guarantees). Given
// another context (context.Background, or one from outside the task), it
// only waits, and may deadlock the pool: the futuresvet analyzer
// (github.com/go-futures/futures/cmd/futuresvet) reports that mistake.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	if ctx == nil {
		var zero T
		return zero, errNilContext
	}
	if f == nil {
		var zero T
		return zero, errNilFuture
	}
	if !f.complete() {
		if err := f.wait(ctx); err != nil {
			var zero T
			return zero, err
		}
	}
	return f.val, f.err
}

func (f *Future[T]) wait(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if c, w := taskOf(ctx, f.p); w != nil {
		return waitHelping(ctx, c, w, f)
	}
	// Spin briefly before blocking, as an idle worker does before it
	// parks.
	for i := 0; i < spins && !f.complete() && ctx.Err() == nil; i++ {
		runtime.Gosched()
	}
	if f.complete() {
		return nil
	}
	done := ctx.Done()
	if done == nil {
		f.block()
		return nil
	}
	select {
	case <-f.Done():
		return nil
	case <-done:
		return context.Cause(ctx)
	}
}

// block waits for f to complete.
func (f *Future[T]) block() {
	f.mu.Lock()
	f.flags.Or(watched)
	if f.complete() {
		f.mu.Unlock()
		return
	}
	if f.flags.Load()&armed == 0 {
		f.flags.Or(armed)
		f.wg.Add(1)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Done returns a channel that is closed when the future completes.
func (f *Future[T]) Done() <-chan struct{} {
	if f == nil || f.complete() {
		return closedchan
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flags.Or(watched)
	if f.done == nil {
		if f.complete() {
			// finish has stored the state; it will close no channel.
			return closedchan
		}
		f.done = make(chan struct{})
	}
	return f.done
}

// closedchan is what Done returns once the future is complete.
var closedchan = make(chan struct{})

func init() {
	close(closedchan)
}

// Err returns nil until the future is complete, and then the error that
// [Future.Result] returns. It never blocks.
func (f *Future[T]) Err() error {
	if f == nil {
		return errNilFuture
	}
	if f.complete() {
		return f.err
	}
	return nil
}

// State returns the future's state at the moment of the call.
func (f *Future[T]) State() State {
	if f == nil {
		return Finished
	}
	switch s := State(f.ctx.state.Load()); s {
	case completing:
		return Pending
	case finishing:
		return Running
	default:
		return s
	}
}

// Cancel cancels a pending future: it becomes [Cancelled] at once (Done is
// closed, Result returns an error matching [ErrCancelled], callbacks run),
// its task never runs, and Cancel returns true. Cancel returns true as well
// for a future already cancelled, and false, changing nothing, for a future
// that is running or finished. Cancel does not interrupt a running task;
// cancel the context given to [Submit] for that.
func (f *Future[T]) Cancel() bool {
	if f == nil {
		return false
	}
	if f.drop(Cancelled, ErrCancelled, true) {
		return true
	}
	if State(f.ctx.state.Load()) == completing {
		// Another goroutine is completing it without running it.
		f.block()
	}
	return State(f.ctx.state.Load()) == Cancelled
}

// OnDone arranges for fn to be called with f once f is complete. Callbacks
// added before completion run once each, in the order they were added, on the
// goroutine that completes the future: usually a worker, or the goroutine on
// which a waiting task runs it (see [Future.Result]), or else the caller of a
// function that completes it without running its task ([Future.Cancel],
// [Submit], [Pool.ShutdownNow], a [Map] that cancels the tasks it leaves
// behind, or a task that would run it in its place once the pool is
// stopping). Added to a complete future, fn runs at once on the caller's
// goroutine, before OnDone returns. A callback should be quick: the worker
// runs no task meanwhile.
//
// A panicking callback does not stop the others nor kill the worker: its
// panic is recovered and handed to the pool's handler (see
// [WithCallbackPanicHandler]). A callback that calls [runtime.Goexit] ends
// the goroutine that runs it, as Goexit does, but only once the callbacks
// after it have run; a worker so ended is replaced by a new goroutine that
// goes on with the task the worker had taken next, or waits as it did, so
// that the pool keeps its workers and loses no task. A nil fn is ignored.
func (f *Future[T]) OnDone(fn func(*Future[T])) {
	if fn == nil {
		return
	}
	if f == nil {
		if pe := catch(func() { fn(nil) }); pe != nil {
			reportCallbackPanic(nil, pe)
		}
		return
	}
	f.mu.Lock()
	f.flags.Or(watched)
	if f.complete() {
		// finish has stored the state, so it will take the callbacks
		// added so far, if any, but not this one.
		f.mu.Unlock()
		f.call(fn)
		return
	}
	w := f.watchLocked()
	w.callbacks = append(w.callbacks, fn)
	f.mu.Unlock()
}

// watchLocked returns f's watch, making it if need be. The caller holds mu,
// and f is not complete.
func (f *Future[T]) watchLocked() *watch[T] {
	w := f.watch
	if w == nil {
		w = new(watch[T])
		w.callbacks = w.one[:0]
		f.watch = w
	}
	return w
}

// notify arranges for f to be sent on ch as it completes, unless unnotify
// removes ch first; ch must have room for f then. It reports false, and
// arranges nothing, if f is complete already.
func (f *Future[T]) notify(ch chan<- *Future[T]) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flags.Or(watched)
	if f.complete() {
		// As in OnDone: finish has stored the state, and will not look
		// for ch.
		return false
	}
	w := f.watchLocked()
	w.waiters = append(w.waiters, ch)
	return true
}

// unnotify removes ch, which notify added, unless f has completed since, in
// which case ch has f or will have it. The array of the waiters is kept, for
// the next notify to reuse.
func (f *Future[T]) unnotify(ch chan<- *Future[T]) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w := f.watch; w != nil {
		if i := slices.Index(w.waiters, ch); i >= 0 {
			// Delete clears the element left over at the end.
			w.waiters = slices.Delete(w.waiters, i, i+1)
		}
	}
}

func (f *Future[T]) complete() bool {
	s := State(f.ctx.state.Load())
	return s == Cancelled || s == Finished
}

func (f *Future[T]) pending() bool { return State(f.ctx.state.Load()) == Pending }

func (f *Future[T]) running() bool { return f.ctx.running() }

func (f *Future[T]) queued() *uint32 { return &f.slot }

func (f *Future[T]) context() *taskContext { return &f.ctx }

func (f *Future[T]) group() *Group { return f.ctx.group }

func (f *Future[T]) owner() owner {
	if f.ctx.group == nil {
		return nil // not a nil *Group in an owner
	}
	return f.ctx.group
}

// start runs the task on w, unless it has completed or been claimed by
// another worker, and reports whether it did; the outcome waits in f.val and
// f.err for publish. A task whose context is done is cancelled instead.
func (f *Future[T]) start(w *worker) bool {
	if err := f.ctx.Context.Err(); err != nil {
		f.abort(Cancelled, cancelledBy(context.Cause(f.ctx.Context)))
		return false
	}
	if cause := f.ctx.group.stopped(); cause != nil {
		f.abort(Cancelled, cancelledBy(cause))
		return false
	}
	if !f.ctx.state.CompareAndSwap(uint32(Pending), uint32(Running)) {
		return false
	}
	f.ctx.w = w
	w.began(&f.ctx)
	returned := false
	defer func() {
		if returned {
			return
		}
		// The task called runtime.Goexit, as catch did not return. This
		// goroutine is ending: complete the future now.
		var zero T
		w.ended(&f.ctx, ranFailed)
		f.val, f.err = zero, ErrGoexit
		w.goexit(&f.ctx)
		f.finish(Finished)
	}()
	pe := catch(func() { f.val, f.err = f.body.call(&f.ctx) })
	returned = true
	switch {
	case pe != nil:
		var zero T
		f.val, f.err = zero, pe
		w.ended(&f.ctx, ranPanicked)
	case f.err != nil:
		w.ended(&f.ctx, ranFailed)
	default:
		w.ended(&f.ctx, ranOK)
	}
	return true
}

func (f *Future[T]) publish(on *worker) { f.finishOn(Finished, on) }

// abort completes a pending future that is not in its pool's queue without
// running it, with state s and error err, and reports whether it did.
func (f *Future[T]) abort(s State, err error) bool {
	return f.drop(s, err, false)
}

// drop is abort for a future that may be in its pool's queue, if queued is
// true: it takes f out of the queue, before anyone sees f complete. Only
// Cancel needs that: every other caller has f in hand, out of the queue, and
// spares the queue's lock.
func (f *Future[T]) drop(s State, err error, queued bool) bool {
	if !f.ctx.state.CompareAndSwap(uint32(Pending), uint32(completing)) {
		return false
	}
	if f.p != nil {
		if queued {
			f.p.queue.remove(f)
		}
		if s == Cancelled {
			f.p.cancelled.Add(1)
		} else {
			f.p.rejected.Add(1)
		}
	}
	var zero T
	f.val, f.err = zero, err
	f.finish(s)
	return true
}

// finish completes f in state s with the outcome in f.val and f.err: it wakes
// every waiter and runs the callbacks. The caller has exclusive right to
// complete f.
func (f *Future[T]) finish(s State) { f.finishOn(s, nil) }

// finishOn is finish for a future published by the loop of worker on, if on
// is not nil, which may then tell the future's group later (see worker.owe).
func (f *Future[T]) finishOn(s State, on *worker) {
	f.body = nil // let the task's closure go
	// The task's context ends before anyone sees the task complete.
	f.releaseContext()
	f.ctx.state.Store(uint32(s))
	if g := f.ctx.group; g != nil {
		// Count f out of its group last, once its Done channel is closed
		// and its callbacks have run, even if one calls runtime.Goexit:
		// the group's Wait returns only then.
		defer g.taskDone(f.err, s, f.flags.Load()&quiet != 0, g.lim != nil && f.setSlotted(false), on)
	}

	// Those who wait set watched, then read the state; finish stores the
	// state, then reads watched. Both are sequentially consistent, so if
	// finish sees watched unset, they see the state complete and need
	// nothing from it. This spares most tasks a lock.
	if f.flags.Load()&watched == 0 {
		return
	}
	f.mu.Lock()
	isArmed, done, w := f.flags.Load()&armed != 0, f.done, f.watch
	f.watch = nil
	f.mu.Unlock()
	if isArmed {
		f.wg.Done()
	}
	if done != nil {
		close(done)
	}
	if w != nil {
		for _, ch := range w.waiters {
			ch <- f // never blocks: it has room for f
		}
		f.callAll(w.callbacks)
	}
}

// callAll runs the callbacks fns in order. A callback that calls
// runtime.Goexit ends the goroutine, but the callbacks after it still run,
// as the goroutine unwinds.
func (f *Future[T]) callAll(fns []func(*Future[T])) {
	i := 0
	defer func() {
		if i < len(fns) {
			// fns[i] called runtime.Goexit: call recovers panics.
			f.callAll(fns[i+1:])
		}
	}()
	for ; i < len(fns); i++ {
		f.call(fns[i])
	}
}

// call runs a callback, recovering and reporting its panic. If the callback
// calls runtime.Goexit, call does not return.
func (f *Future[T]) call(fn func(*Future[T])) {
	if pe := catch(func() { fn(f) }); pe != nil {
		reportCallbackPanic(f.p, pe)
	}
}

// catch calls fn and returns the panic it recovers from fn, or nil if fn
// returns. If fn calls runtime.Goexit, catch does not return: the goroutine
// ends, running its deferred calls, which can tell Goexit from a panic by
// catch not having returned.
//
// The value of recover cannot tell them apart: it is nil during Goexit, and
// also for panic(nil) under GODEBUG=panicnil=1 (which a godebug line in the
// main module's go.mod may set). A panic is known by execution going on
// after the recover, as in x/sync's singleflight.
func catch(fn func()) (pe *PanicError) {
	returned := false
	defer func() {
		if !returned {
			// A panic or Goexit. The stack is taken here, where the
			// panicking frames are still on it; during Goexit, the
			// result is dropped as the goroutine ends.
			pe = newPanicError(recover())
		}
	}()
	fn()
	returned = true
	return nil
}

func reportCallbackPanic(p *Pool, e *PanicError) {
	if p != nil {
		p.callbackPanics.Add(1)
		if p.onPanic != nil {
			p.onPanic(e)
			return
		}
	}
	log.Printf("futures: OnDone callback panicked: %v\n%s", e.Value, e.Stack)
}
