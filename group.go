package futures

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
)

// A Group is a set of tasks that run on a pool and are waited for together:
// errgroup's Group on a bounded pool, with the structured concurrency of
// Python's asyncio.TaskGroup and Java's StructuredTaskScope. Add tasks with
// [Group.Go] or [Group.TryGo], or submit to the group as to any [Executor]
// ([Submit], [TrySubmit], [Map], [MapSlice]); [Group.Wait] waits for all of
// them and returns the first failure.
//
// A task fails the group if it returns an error, panics (a [*PanicError]),
// calls runtime.Goexit ([ErrGoexit]), or never runs because its pool was
// shut down or broken. A task that never runs because it was cancelled is no
// failure: by [Future.Cancel], by the end of the context it was submitted
// with (whichever goroutine gets to it first), or because the group stopped.
// The end of the group's parent context (the ctx given to [NewGroup]) while
// a task of the group is not complete, or as one is added, is a failure of
// the group at that moment, with an error matching [ErrCancelled] and
// [context.Cause] of the parent; it comes before whatever the tasks return
// afterwards.
//
// The first failure cancels the group's context, with the failure as its
// cause (see [context.Cause]): running tasks see their context done, and no
// task of the group that has not started ever runs, however and whenever it
// was added (their futures end [Cancelled]); Wait returns as soon as the
// running ones have. [WithAllErrors] runs every task instead and reports
// every failure. A group never loses a failure: Wait reports it.
//
// Go never waits: when the pool's queue has no room, the group holds the
// task, in the queue's line beyond its size, until a worker is free for it;
// beyond the group's limit ([WithLimit]), the group holds it itself, outside
// the queue. A held task costs about 110 bytes besides its function. So a
// task may add tasks to its own group, to any depth, without deadlock, even
// on a pool of one worker; and every task runs on one of the pool's workers,
// never on the caller's goroutine, so the pool's bound and [WorkerIndex]
// hold. For backpressure, use [Submit], which waits for room (and for the
// group's limit) with a context, or [TrySubmit] or [Group.TryGo].
//
// Every task of the group sees its context done once the group fails
// (unless [WithAllErrors]) or the group's parent context is done, with the
// group's failure, or the parent's cause, as [context.Cause]. Tasks added
// with Go receive the group's context. Those submitted to the group receive
// the context given to [Submit], [Map] or [Any] if it derives from the
// group's, which costs nothing; otherwise a context with its values and
// deadline that also ends with the group's, and that ends as the task
// completes, which costs about seven allocations.
//
// A group made inside a task of its pool, with the task's context, is waited
// for as [Future.Result] waits from a task: Wait runs the group's tasks still
// queued in the making task's place, one at a time, those added while it
// waits too, however and by whom, and never a task of another group or of
// none (a task that holds a lock while it waits could deadlock on a stranger
// that needs it). It does so whoever calls it, as Result does for whoever
// passes the task's context: so a task may wait for its group on a goroutine
// of its own, to give up after a while. The tasks run so report no
// [WorkerIndex]: the task whose place it is keeps its own.
//
// A Group is safe for use by multiple goroutines at once. Make a Group with
// [NewGroup]: a zero Group or a nil *Group runs nothing, and its Wait and
// Shutdown return an error matching [ErrInvalidOption].
type Group struct {
	p      *Pool
	parent context.Context // given to NewGroup: a task's, for Wait to help
	ctx    groupContext    // the group's context, which NewGroup returns
	cancel context.CancelCauseFunc
	all    bool     // WithAllErrors
	lim    *limiter // WithLimit, or nil
	bad    error    // the error of an invalid NewGroup, or nil

	// state holds in its low bits the number of tasks added and not yet
	// complete, and the flags above them. Go adds to the count, then
	// looks at closed; Wait reads a count of 0 and sets closed in one
	// compare-and-swap. So either Wait sees the new task, or Go sees the
	// group closed and takes the task back: no task slips past Wait.
	state atomic.Uint64

	mu sync.Mutex // guards the fields below
	// err is the first failure; errs, with WithAllErrors, all of them.
	err  error
	errs []error
	// late is the error of a Go after the group closed.
	late error
	// ended says the end of the group's context by its parent has been
	// seen, and counted as a failure if it was one; or that Wait ends it,
	// which is no failure.
	ended bool
	// flushed says the tasks queued when the group's context ended have
	// been taken out of the queue.
	flushed bool
	// wake is made by a goroutine in Wait or Shutdown that is about to
	// block, and closed when the count reaches zero, or, for a waiter
	// that helps, when a task of the group is queued.
	wake chan struct{}

	// scan is where the pool's queue last looked for a task of the
	// group, for a waiter that helps; guarded by the queue's mu.
	scan cursor

	// endTrace ends the group's trace task, if it has one (see trace.go):
	// the first Wait to return calls it.
	endTrace atomic.Pointer[func()]
}

// The flags of a group's state above its count.
const (
	groupCount   = 1<<48 - 1
	groupClosed  = 1 << 48 // takes no more tasks
	groupWaiting = 1 << 49 // a waiter wants to know when the count is 0
	groupHelping = 1 << 50 // a waiter wants to know when a task is queued
)

// groupContext is a group's context: it knows its group, so that a task of
// the group can be told by its context.
type groupContext struct {
	context.Context
	g *Group
}

// groupKey{g} is the key under which the context of g, and every context
// derived from it, holds g: each group of a nested chain answers to its own.
type groupKey struct{ g *Group }

func (c *groupContext) Value(key any) any {
	if key == (groupKey{c.g}) {
		return c.g
	}
	return c.Context.Value(key)
}

// taskContext returns the context of a task submitted to g with ctx: ctx
// itself if it derives from the group's context, as it does in the common
// case, where it costs nothing; otherwise a new context, which it returns as
// m too, with one reference for the caller (see mergedContext). A nil g
// returns ctx.
func (g *Group) taskContext(ctx context.Context) (_ context.Context, m *mergedContext) {
	if g == nil {
		return ctx, nil
	}
	inner := ctx
	if c, ok := ctx.(*taskContext); ok {
		inner = c.Context
	}
	if inner == context.Context(&g.ctx) || inner.Value(groupKey{g}) != nil {
		return ctx, nil
	}
	c, cancel := context.WithCancelCause(inner)
	m = &mergedContext{groupContext: groupContext{Context: c, g: g}, cancel: cancel}
	m.stop = context.AfterFunc(&g.ctx, func() { cancel(context.Cause(&g.ctx)) })
	m.refs.Store(1)
	return m, m
}

// A mergedContext is the context of the tasks submitted to a group with a
// context that does not derive from the group's: it has that context's
// values and deadline, and is done when that context is, or when the
// group's is, with the group's cause. It ends once every task that holds a
// reference to it has completed, so that neither context keeps it.
type mergedContext struct {
	groupContext
	cancel context.CancelCauseFunc
	stop   func() bool
	refs   atomic.Int32
}

// release gives up a reference to m, and ends m with the last.
func (m *mergedContext) release() {
	if m.refs.Add(-1) == 0 {
		m.stop()
		m.cancel(errTaskContextEnded)
	}
}

var errTaskContextEnded = errors.New("futures: the task has completed")

// within reports whether ctx is that of a running task inside the group: of
// the group, or nested in one of its tasks. Such a task, waiting for the
// group, would wait for itself.
func (g *Group) within(ctx context.Context) bool {
	c, _ := taskIn(ctx)
	// The innermost task's own context, not ctx: a group made in a task
	// is derived from the task's context, but that task is not the
	// group's.
	return c != nil && (c.group == g || c.Context.Value(groupKey{g}) != nil)
}

// NewGroup returns a group whose tasks run on ex's pool, and the group's
// context: it is derived from ctx and is what the group's tasks receive. It
// is done when the group fails (unless [WithAllErrors]), when ctx is done,
// or when [Group.Wait] returns, whichever comes first. A group made on a
// Group runs its tasks on that group's pool, and they belong to the new group
// only.
//
// A nil ctx or ex, a nil option, or a Pool not made by [New], gets a group
// that runs nothing and whose Wait returns an error matching
// [ErrInvalidOption], and a context already done with that error as its
// cause.
func NewGroup(ctx context.Context, ex Executor, opts ...GroupOption) (*Group, context.Context) {
	g := &Group{parent: ctx}
	p, _, err := executorOf(ex)
	o := groupOptions{limit: math.MaxInt}
	for _, opt := range opts {
		if opt == nil {
			err = invalidf("nil GroupOption")
			continue
		}
		opt.applyGroup(&o)
	}
	if ctx == nil {
		err, g.parent = errNilContext, context.Background()
	}
	g.all = o.allErrors
	switch {
	case err != nil:
	case o.limit < 1:
		err = invalidf("WithLimit(%d): the limit must be at least 1", o.limit)
	case o.limit < math.MaxInt:
		g.lim = &limiter{n: int64(o.limit)}
	}
	parent, endTrace := g.parent, func() {}
	if err == nil {
		// Ended by Wait; an invalid group, never waited for, has none.
		parent, endTrace = traceTask(g.parent, "futures.Group")
	}
	c, cancel := context.WithCancelCause(parent)
	g.ctx = groupContext{Context: c, g: g}
	g.cancel = cancel
	if err != nil {
		g.bad = err
		cancel(err)
		return g, &g.ctx
	}
	if endTrace != nil {
		g.endTrace.Store(&endTrace)
	}
	g.p = p
	return g, &g.ctx
}

func (g *Group) pool() *Pool {
	if g == nil {
		return nil
	}
	return g.p
}

func (g *Group) group() *Group { return g }

// usable returns the error of a group that runs nothing, or nil.
func (g *Group) usable() error {
	switch {
	case g == nil:
		return errNilGroup
	case g.bad != nil:
		return g.bad
	case g.p == nil:
		return errZeroGroup
	}
	return nil
}

// executorOf returns ex's pool and group, or an error matching
// ErrInvalidOption if ex cannot run tasks.
func executorOf(ex Executor) (*Pool, *Group, error) {
	if ex == nil {
		return nil, nil, errNilExecutor
	}
	p, g := ex.pool(), ex.group()
	if g != nil {
		if err := g.usable(); err != nil {
			return nil, nil, err
		}
	}
	if err := p.usable(); err != nil {
		if p == nil {
			err = errNilExecutor
		}
		return nil, nil, err
	}
	return p, g, nil
}

// Go runs fn on a worker of the group's pool with the group's context, and
// returns at once: it never waits, even when the queue has no room (the group
// then holds the task; see [Group]). If the group has failed, or its context
// is done, fn never runs.
//
// Go after Wait has returned, or after Shutdown was called, runs nothing:
// Wait returns an error matching [ErrShutdown] from then on (a Wait that
// returns as Go is called may or may not see it; the next one does). On a
// pool that is shut down or broken, fn never runs, and the group fails with
// an error matching [ErrShutdown] or [ErrBroken]. A nil fn fails the group
// with an error matching [ErrInvalidOption].
func (g *Group) Go(fn func(ctx context.Context) error) {
	t := g.newTask(fn, false)
	if t == nil {
		return
	}
	if g.lim != nil {
		took, held := g.lim.takeOrHold(g, t)
		switch {
		case held:
			return
		case !took:
			abortStopped(t)
			return
		}
		t.setSlotted(true)
	}
	switch g.p.queue.hold(t) {
	case refused:
		t.abort(Finished, g.p.closedErr())
	case dropped:
		abortStopped(t)
	case pushed:
		g.queued()
	}
}

// TryGo is like [Group.Go], but it adds fn only if the pool's queue has room
// for it now, and reports whether it did; it never waits nor holds a task.
// When it returns false, fn never runs: the queue is full, the pool or the
// group takes no more tasks, or the group's context is done; none of which
// fails the group. A nil fn fails the group, as with Go, and TryGo returns
// false.
func (g *Group) TryGo(fn func(ctx context.Context) error) bool {
	t := g.newTask(fn, true)
	if t == nil {
		return false
	}
	if g.lim != nil {
		if !g.lim.take() {
			g.refuse(t)
			return false
		}
		t.setSlotted(true)
	}
	if g.p.queue.tryPush(t) == pushed {
		g.queued()
		return true
	}
	g.unslot(t)
	g.refuse(t)
	return false
}

// unslot gives up the slot of t, a task of g that was not queued, if it
// holds one.
func (g *Group) unslot(t task) {
	if t.setSlotted(false) {
		g.freeSlot()
	}
}

// refuse counts out t, a task of TryGo that was not queued: its caller
// learns of it, and the group need not.
func (g *Group) refuse(t *goTask) {
	g.p.rejected.Add(1)
	t.fn = nil
	g.release()
}

// newTask returns a new task of fn, counted in the group and submitted to its
// pool; or nil, having dealt with fn, if it is not to be queued. If try is
// true, a closed group refuses fn silently: TryGo's caller learns of it.
func (g *Group) newTask(fn func(ctx context.Context) error, try bool) *goTask {
	if g.usable() != nil {
		return nil
	}
	if !g.add() {
		if !try {
			g.mu.Lock()
			g.late = errGroupDone
			g.mu.Unlock()
		}
		return nil
	}
	if fn == nil {
		g.fail(errNilFunc)
		g.release()
		return nil
	}
	t := &goTask{fn: fn, ctx: taskContext{Context: &g.ctx, group: g}}
	g.p.submitted.Add(1)
	traceSubmit(&g.ctx, g.p)
	if cause := g.stopped(); cause != nil {
		// It would not run: take no room for it.
		if try {
			g.refuse(t)
		} else {
			t.abort(Cancelled, cancelledBy(cause))
		}
		return nil
	}
	return t
}

// failInvalid fails the group with err, the error of an invalid Submit or
// Map on it, as a nil fn fails Go, while the group takes tasks. Once it takes
// no more, the call is refused as any other would be, and its caller alone
// learns of it.
func (g *Group) failInvalid(err error) {
	if g.add() {
		g.fail(err)
		g.release()
	}
}

// queued tells a waiter that helps, if any, that a task of the group is
// queued. The waiter sets groupHelping, then looks in the queue; queued is
// called once the task is in the queue, and then reads the flag. So either
// the waiter finds the task, or it is woken.
func (g *Group) queued() {
	if g != nil && g.state.Load()&groupHelping != 0 {
		g.wakeWaiters()
	}
}

// Wait waits until every task of the group is complete, however it was
// added, and returns the first failure, or nil if none failed; with
// [WithAllErrors], every failure joined with [errors.Join]. A task may add
// tasks to the group while Wait waits, and Wait waits for them too. When Wait
// returns, the group takes no more tasks (see [Group.Go]), every future of
// the group is complete, its Done channel closed and its [Future.OnDone]
// callbacks run, and the group's context is done. Later calls return the
// same error, with that of any Go since.
//
// Wait returns only once the group's tasks have, so called from a task of
// the group, or from an OnDone callback of one of its futures, it waits for
// itself: it never returns. The futuresvet analyzer
// (github.com/go-futures/futures/cmd/futuresvet) reports the first of these,
// and a group that the function making it never waits for. A zero or nil
// Group's Wait returns an error matching [ErrInvalidOption].
func (g *Group) Wait() error {
	if err := g.usable(); err != nil {
		return err
	}
	_ = g.await(context.Background(), true) // a ctx never done
	g.mu.Lock()
	// No task is left to see the end of the group's context, and the end
	// that comes now is Wait's own: a waiter that sees it late, having
	// read the count before it reached zero, must not take it for one by
	// the parent (see stop).
	g.ended = true
	err := g.resultLocked()
	g.mu.Unlock()
	g.cancel(err)
	if end := g.endTrace.Swap(nil); end != nil {
		(*end)()
	}
	return err
}

// Shutdown stops the group from taking tasks, as if Wait had returned: from
// now on, Go runs nothing, and Submit to the group returns a future complete
// with an error matching [ErrShutdown]. The tasks already added still run.
// Shutdown waits until they are complete and returns nil, or until ctx is
// done and returns [context.Cause] of ctx. The pool goes on serving other
// tasks. Shutdown does not cancel the group's context: [Group.Wait] does, and
// returns the group's failure.
//
// Called from a task of the group, or from a task nested in one, Shutdown
// would wait for itself. Given that task's context (or one derived from it)
// where the task's context derives from the group's, as that of every task
// added with Go does, it returns an error at once instead. A nil ctx gets an
// error matching [ErrInvalidOption].
func (g *Group) Shutdown(ctx context.Context) error {
	if err := g.usable(); err != nil {
		return err
	}
	if ctx == nil {
		return errNilContext
	}
	g.state.Or(groupClosed)
	if g.within(ctx) {
		return errGroupShutdownFromTask
	}
	return g.await(ctx, false)
}

// testHookAwait, if not nil, runs in await between its reading of a count
// above zero and its look at the group's context.
var testHookAwait func()

var errGroupShutdownFromTask = errors.New("futures: Group.Shutdown called from a task of the group would wait for itself")

// await waits until the count of tasks is 0, or ctx is done and returns its
// cause. If close is true, it closes the group as it sees the count at 0.
// Where the group was made by a task of its pool, await runs the group's
// queued tasks in that task's place.
func (g *Group) await(ctx context.Context, close bool) error {
	for {
		s := g.state.Load()
		if s&groupCount == 0 {
			if !close || s&groupClosed != 0 || g.state.CompareAndSwap(s, s|groupClosed) {
				return nil
			}
			continue
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		// Once the group's context is done, its queued tasks will never
		// run: complete them now, rather than wait for a worker to get to
		// them.
		var stop <-chan struct{}
		if testHookAwait != nil {
			testHookAwait()
		}
		if g.ctx.Err() != nil {
			g.stop()
		} else {
			stop = g.ctx.Done()
		}
		c, w := taskOf(g.parent, g.p)
		wake := g.waitFor(w != nil)
		if wake == nil {
			continue
		}
		var freed <-chan struct{}
		if w != nil {
			var again bool
			var err error
			if freed, again, err = g.helpQueued(ctx, c, w); err != nil {
				return err
			} else if again {
				continue
			}
		}
		select {
		case <-wake:
		case <-freed:
		case <-stop:
		case <-ctx.Done():
		}
		if freed != nil {
			w.unwatchPlace()
		}
	}
}

// helpQueued runs the oldest queued task of g, if there is one, in the place
// of the task whose context is c, running on w, and waits for it or for ctx,
// whose cause it returns as err. again says to look again at once: it ran
// the task, or c's place came back meanwhile. Otherwise freed, if not nil,
// is closed when another goroutine with c, which runs a task in c's place,
// gives it back; the caller waits for that too, then calls w.unwatchPlace.
func (g *Group) helpQueued(ctx context.Context, c *taskContext, w *worker) (freed <-chan struct{}, again bool, err error) {
	t := g.p.queue.findOwned(g)
	if t == nil {
		return nil, false, nil
	}
	r, err := help(ctx, c, w, t)
	switch {
	case err != nil:
		return nil, false, err
	case r != placeLent:
		return nil, true, nil
	}
	freed = w.watchFor(c)
	return freed, freed == nil, nil
}

// waitFor returns a channel that is closed when the count of tasks reaches
// zero, or, if help is true, when a task of the group is queued; or nil if
// the count is zero already.
//
// The waiter sets its flags, then reads the count; a task that completes
// lowers the count, then reads the flags. Both are sequentially consistent,
// so either the waiter sees the count at zero or the task sees the flags,
// and closes the channel, which the waiter got before it read the count.
func (g *Group) waitFor(help bool) <-chan struct{} {
	flags := uint64(groupWaiting)
	if help {
		flags |= groupHelping
	}
	g.mu.Lock()
	if g.wake == nil {
		g.wake = make(chan struct{})
	}
	wake := g.wake
	g.state.Or(flags)
	s := g.state.Load()
	g.mu.Unlock()
	if s&groupCount == 0 {
		return nil
	}
	return wake
}

// wakeWaiters wakes every goroutine blocked in waitFor's channel; each looks
// again, and asks again if it must wait more.
func (g *Group) wakeWaiters() {
	g.mu.Lock()
	g.state.And(^uint64(groupWaiting | groupHelping))
	if g.wake != nil {
		close(g.wake)
		g.wake = nil
	}
	g.mu.Unlock()
}

// add counts a new task in the group, and reports whether the group takes
// it: false once it is closed.
func (g *Group) add() bool {
	if g.state.Add(1)&groupClosed != 0 {
		g.release()
		return false
	}
	return true
}

// release counts a task out of the group.
func (g *Group) release() { g.releaseN(1) }

// releaseN counts n tasks out of the group.
func (g *Group) releaseN(n uint64) {
	s := g.state.Add(-n)
	if s&groupCount == 0 && s&groupWaiting != 0 {
		g.wakeWaiters()
	}
}

// halted reports whether the group's context is done: its tasks that have
// not started never will.
func (g *Group) halted() bool { return g.ctx.Err() != nil }

// cursor returns where the pool's queue last looked for a task of g.
func (g *Group) cursor() *cursor { return &g.scan }

// stopped returns the cause of the group's context if it is done, and nil
// otherwise or for a nil group.
func (g *Group) stopped() error {
	if g == nil || g.ctx.Err() == nil {
		return nil
	}
	return context.Cause(&g.ctx)
}

// taskDone counts out a task of the group that has completed in state s
// with error err; quiet says its failure is not the group's.
//
// A task that never ran is a failure only if the pool stopped it, shut down
// or broken: not if it was cancelled, by Future.Cancel, by the end of the
// context it was submitted with, or by the group's own stop. But the end of
// the group's context by its parent while a task is not complete is a
// failure of the group, which taskDone records before the task's own, so
// that the task's outcome, which may well come of that end, does not hide
// it.
//
// If w is not nil, the task is one that worker w ran and its loop
// publishes: w counts it out of the group as it settles (see worker.owe).
func (g *Group) taskDone(err error, s State, quiet, slotted bool, w *worker) {
	if g.ctx.Err() != nil {
		g.stop()
	}
	if err != nil && !quiet && (s != Cancelled || err == errShutdownNow) {
		g.fail(err)
	}
	if slotted {
		g.freeSlot()
	}
	if w != nil {
		w.owe(g)
		return
	}
	g.release()
}

// stop deals with the end of the group's context, which the caller has seen:
// if the parent ended it rather than a failure of the group, stop records
// that as the group's failure, once; and it flushes the group's queued
// tasks, which will never run.
func (g *Group) stop() {
	g.mu.Lock()
	// A failure sets err before it cancels the context; with
	// WithAllErrors, a failure does not cancel it. So a context done
	// with no err, or with WithAllErrors, was ended by the parent, unless
	// Wait ended it, which sets ended first. The end is recorded under
	// the same lock as it is seen, so that no failure recorded after it
	// can come before it.
	if !g.ended {
		g.ended = true
		if g.all || g.err == nil {
			// The context is done already: nothing to cancel.
			g.recordLocked(cancelledBy(context.Cause(&g.ctx)))
		}
	}
	g.mu.Unlock()
	g.flush()
}

// fail records the failure err. The first, unless WithAllErrors, cancels
// the group's context with err as its cause and flushes the group's queued
// tasks.
func (g *Group) fail(err error) {
	g.mu.Lock()
	first := g.recordLocked(err)
	g.mu.Unlock()
	if first {
		g.cancel(err)
		g.flush()
	}
}

// recordLocked records the failure err, and reports whether it is the
// group's first without WithAllErrors. The caller holds mu.
func (g *Group) recordLocked(err error) (first bool) {
	if g.all {
		g.errs = append(g.errs, err)
		return false
	}
	if g.err != nil {
		return false
	}
	g.err = err
	return true
}

// flush completes, as cancelled, the tasks of the group in the queue, once
// the group's context is done: they would not run.
func (g *Group) flush() {
	g.mu.Lock()
	done := g.flushed
	g.flushed = true
	g.mu.Unlock()
	if done {
		return
	}
	err := cancelledBy(context.Cause(&g.ctx))
	for _, t := range g.p.queue.removeOwned(g) {
		t.abort(Cancelled, err)
	}
	if g.lim != nil {
		for _, t := range g.lim.unhold() {
			t.abort(Cancelled, err)
		}
	}
}

// resultLocked returns the error that Wait returns. The caller holds mu.
func (g *Group) resultLocked() error {
	err := g.err
	if g.all {
		err = errors.Join(g.errs...)
	}
	if g.late != nil {
		err = errors.Join(err, g.late)
	}
	return err
}

// A goTask is a task of [Group.Go]: a function and its outcome, with no
// future.
type goTask struct {
	fn      func(context.Context) error // nil once complete
	slotted bool                        // see task.setSlotted; written by whoever has the task out of the queue
	slot    uint32                      // see task.queued
	err     error                       // written before the task completes
	ctx     taskContext                 // with the task's state and group
}

func (t *goTask) pending() bool         { return State(t.ctx.state.Load()) == Pending }
func (t *goTask) running() bool         { return t.ctx.running() }
func (t *goTask) queued() *uint32       { return &t.slot }
func (t *goTask) context() *taskContext { return &t.ctx }
func (t *goTask) group() *Group         { return t.ctx.group }
func (t *goTask) owner() owner          { return t.ctx.group }
func (t *goTask) setSlotted(on bool) bool {
	was := t.slotted
	t.slotted = on
	return was
}

// start runs the task on w, as Future.start does.
func (t *goTask) start(w *worker) bool {
	if cause := t.ctx.group.stopped(); cause != nil {
		t.abort(Cancelled, cancelledBy(cause))
		return false
	}
	if !t.ctx.state.CompareAndSwap(uint32(Pending), uint32(Running)) {
		return false
	}
	t.ctx.w = w
	w.began(&t.ctx)
	returned := false
	defer func() {
		if !returned {
			// runtime.Goexit: see Future.start.
			w.ended(&t.ctx, ranFailed)
			t.err = ErrGoexit
			w.goexit(&t.ctx)
			t.publish(nil)
		}
	}()
	pe := catch(func() { t.err = t.fn(&t.ctx) })
	returned = true
	switch {
	case pe != nil:
		t.err = pe
		w.ended(&t.ctx, ranPanicked)
	case t.err != nil:
		w.ended(&t.ctx, ranFailed)
	default:
		w.ended(&t.ctx, ranOK)
	}
	return true
}

func (t *goTask) publish(w *worker) { t.complete(Finished, w) }

func (t *goTask) abort(s State, err error) bool {
	if !t.ctx.state.CompareAndSwap(uint32(Pending), uint32(completing)) {
		return false
	}
	if p := t.ctx.group.p; s == Cancelled {
		p.cancelled.Add(1)
	} else {
		p.rejected.Add(1)
	}
	t.err = err
	t.complete(s, nil)
	return true
}

func (t *goTask) complete(s State, w *worker) {
	t.fn = nil
	t.ctx.state.Store(uint32(s))
	g := t.ctx.group
	g.taskDone(t.err, s, false, g.lim != nil && t.setSlotted(false), w)
}
