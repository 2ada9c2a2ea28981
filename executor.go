package futures

import (
	"context"
	"runtime/pprof"
	"sync/atomic"
)

// An Executor runs submitted tasks on goroutines it owns. [Submit],
// [TrySubmit] and [Map] take an Executor rather than being its methods because
// Go methods cannot have type parameters.
//
// *[Pool] and *[Group] are the Executors of this package: a Group runs its
// tasks on a pool, and keeps track of them. The interface has unexported
// methods, so other types satisfy it only by embedding one of these; that
// leaves room to add methods without breaking anyone.
type Executor interface {
	// Shutdown stops the executor from accepting tasks, lets the tasks
	// already submitted finish, and waits for them or for ctx to be done.
	// See [Pool.Shutdown] and [Group.Shutdown].
	Shutdown(ctx context.Context) error

	// pool returns the pool that runs the executor's tasks, or nil.
	pool() *Pool
	// group returns the group the executor's tasks belong to, or nil.
	group() *Group
}

var (
	_ Executor = (*Pool)(nil)
	_ Executor = (*Group)(nil)
)

// A task is what a pool's queue holds: a submitted future.
type task interface {
	// start runs the task on w unless it has already completed or been
	// claimed, and reports whether it ran. The outcome waits for publish,
	// which the caller must then call; but if the task called
	// runtime.Goexit, start completes it itself as the goroutine ends.
	start(w *worker) bool
	// publish completes a task that start ran, with its outcome. w is
	// the worker whose own loop publishes it, or nil: with w, the task's
	// group may be told of it later, when w settles (see worker.owe).
	publish(w *worker)
	// abort completes a task that has not started and is not in the
	// queue, with state s (Cancelled or Finished) and error err, and
	// reports whether it did.
	abort(s State, err error) bool
	// pending reports whether the task has not started nor completed.
	pending() bool
	// running reports whether the task has started and not completed.
	running() bool
	// queued returns the index of the task's slot in its pool's queue,
	// plus one, or 0 while it is not in it; guarded by the queue's mu.
	queued() *uint32
	// context returns the context the task runs with.
	context() *taskContext
	// group returns the group the task belongs to, or nil.
	group() *Group
	// owner returns the group the task belongs to as the queue knows it,
	// or nil.
	owner() owner
	// setSlotted marks the task as holding a slot of its group's limit,
	// or not, and reports whether it held one (see limit.go).
	setSlotted(on bool) (was bool)
}

// workerKey is the context key under which a task's context holds the worker
// that runs it.
type workerKey struct{}

// taskContext is the context a task receives: the context given to Submit,
// which also identifies the worker running the task, so that a task that
// submits to its own pool and waits can be helped instead of deadlocking.
// It lives inside the future, so it costs no allocation.
type taskContext struct {
	context.Context

	// w is the worker that runs the task, set as it starts, before the
	// task's function can hand the context to anyone.
	w *worker
	// state is the task's State, or one of the internal states completing
	// and finishing. It lives here rather than in the future, so that
	// the context knows when its task has returned (see hasReturned), at
	// no cost in size: an initializer's context holds Running, then
	// finishing.
	state atomic.Uint32
	// served says the task runs on its worker's own goroutine, rather
	// than in the place of a task that waits for it: WorkerIndex reports
	// the worker's index for it. Written by that goroutine before the
	// task starts.
	served bool
	// lent is the context of the task that runs in this task's place, on
	// its behalf, or nil (see help.go).
	lent atomic.Pointer[taskContext]
	// group is the group the task belongs to, or nil. The context
	// answers for it as the group's own context does (see groupKey): a
	// task's context ends with its group's, however it was submitted.
	// The task's own methods read it here too: a task has no other field
	// for its group.
	group *Group
}

func (c *taskContext) Value(key any) any {
	switch {
	case key == workerKey{}:
		return c
	case c.group != nil && key == groupKey{c.group}:
		return c.group
	case key == labelKey && labelKey != nil:
		// The labels of the context given to Submit, and the
		// worker's, which the task's goroutine has: so that pprof.Do
		// in the task adds to the worker's labels, not replaces them.
		if c.w != nil {
			return pprof.WithLabels(c.Context, c.w.labels).Value(key)
		}
	}
	return c.Context.Value(key)
}

// labelKey is the key under which runtime/pprof keeps labels in a context,
// found by asking pprof for a label of a context that records the key.
var labelKey = func() any {
	var p keyProbe
	pprof.Label(&p, "")
	return p.key
}()

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// newTaskContext returns the context of a task of group g (or of none, if g
// is nil) submitted with ctx. If ctx is the context of another task, the new
// one wraps what that one wraps, so that a chain of tasks that each submit
// the next with their own context costs the same at every depth: ctx.Done,
// Err and Value do not walk up the chain.
func newTaskContext(ctx context.Context, g *Group) taskContext {
	if c, ok := ctx.(*taskContext); ok {
		ctx = c.Context
	}
	return taskContext{Context: ctx, group: g}
}

// taskContextOf returns a new context for an initializer on w.
func taskContextOf(ctx context.Context, w *worker) *taskContext {
	c := &taskContext{Context: ctx, w: w}
	c.state.Store(uint32(Running))
	return c
}

// hasReturned reports whether the task whose context is c has returned or is
// complete. Its context then lets no one help (see help.go), and is no longer
// the pool's own. (A task complete without running never had its context to
// hand to anyone.)
func (c *taskContext) hasReturned() bool {
	s := State(c.state.Load())
	return s == finishing || s == Finished || s == Cancelled
}

// running reports whether the task whose context is c has started and is not
// complete, whether or not it has returned.
func (c *taskContext) running() bool {
	s := State(c.state.Load())
	return s == Running || s == finishing
}

// markReturned records that the task whose context is c has returned, if
// it is running: one that is complete has returned already.
func (c *taskContext) markReturned() {
	c.state.CompareAndSwap(uint32(Running), uint32(finishing))
}

// taskIn returns the context of the running task (or initializer) whose
// context is ctx or an ancestor of ctx, and the worker that runs it; or nil
// and nil.
func taskIn(ctx context.Context) (*taskContext, *worker) {
	if c, _ := ctx.Value(workerKey{}).(*taskContext); c != nil && c.w != nil && !c.hasReturned() {
		return c, c.w
	}
	return nil, nil
}

// taskOf is taskIn for a task of p only.
func taskOf(ctx context.Context, p *Pool) (*taskContext, *worker) {
	if c, w := taskIn(ctx); w != nil && w.pool == p {
		return c, w
	}
	return nil, nil
}

// WorkerIndex returns the index, from 0 to the pool's workers less one, of
// the worker whose goroutine runs the task or initializer whose context is
// ctx (or is an ancestor of ctx), and false for any other context, and once
// that task has returned. If tasks of several pools are nested, it is the
// index in the innermost one. Tasks can use it to reach per-worker state set
// up by [WithInitializer] without locking: a task keeps its index from start
// to return, and no other task reports it meanwhile.
//
// A task that another task, waiting for it, runs in its place on its behalf
// (see [Future.Result]) reports false: the task that waits keeps its index,
// and the per-worker state it may be using, whether it waits, gives up
// waiting at a deadline and runs on, or has a goroutine of its own wait
// while it runs. A goroutine that a task starts with its context sees the
// task's index too, and must not use the state while the task runs.
func WorkerIndex(ctx context.Context) (int, bool) {
	if ctx == nil {
		return 0, false
	}
	c, w := taskIn(ctx)
	if w == nil || !c.served {
		// Not a task, or one run in the place of a task that waits
		// for it, whose index that task keeps.
		return 0, false
	}
	return w.index, true
}
