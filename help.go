package futures

import (
	"context"
	"runtime/pprof"
)

// Helping. A task that waits for another task of its pool would deadlock the
// pool if every worker did the same and only waited. So a task that waits for
// a task still in the queue takes it out and runs it itself, in its own
// place: the waiting task lends its place to the awaited one, and takes it
// back once that one has returned. The same holds for a task that submits to
// a full queue: it runs the new task in its place.
//
// A task's place is its context's lent field: the context of the task that
// runs in it, on its behalf, or nil while it is free. A goroutine with the
// context c of a task may lend c's place while it is free, by swapping nil
// for the context of the task it is to run; the goroutine that runs that
// task swaps it back when the task returns. So a place holds one task at a
// time, however many goroutines hold c: a task may start goroutines with its
// context, and they take turns in its place, whether the task itself waits
// in a call of this package, runs on, or waits for them where the pool
// cannot see (with a WaitGroup, say), which could not deadlock the pool. And
// c lends nothing once its task has returned.
//
// A task run in another's place reports no WorkerIndex: the task whose place
// it is may be running still, and keeps its index, with the per-worker state
// it may be using. So at most one task at a time reports a worker's index:
// the one its goroutine runs. A task run in another's place takes the
// worker of that one's context for everything else (its pool, its counts,
// its labels, and where those waiting for a place on it are woken).
//
// The waiter runs the task on a new goroutine, so that a task calling
// runtime.Goexit ends only itself, and waits for it or for its own context
// to end, whichever comes first. If the context ends first, the waiter
// returns while the task goes on in the place it lent. The pool then runs
// one task more than it has workers until that task returns; so it does
// while a task runs on and a goroutine of its own runs another in its place.
// The worker takes no other task until the place of the one it ran is free,
// so Shutdown still waits for every task the pool started.

// helpResult says what help did.
type helpResult int

const (
	helped    helpResult = iota // ran the task, or completed it as stopped
	notQueued                   // the task is not in the queue: a worker has it
	placeLent                   // the place is lent to another task now
)

// help runs t, if it is still queued, in the place of the task whose context
// is c, running on w, if that place is free, and waits for t to return or for
// ctx to be done. If ctx is done first, err is its cause.
func help(ctx context.Context, c *taskContext, w *worker, t task) (r helpResult, err error) {
	if !c.lend(t.context()) {
		return placeLent, nil
	}
	if !w.pool.queue.remove(t) {
		// No one else can run t in c's place: t is not running there.
		w.giveBack(t.context(), c)
		return notQueued, nil
	}
	lendSlot(c, t)
	return helped, runLent(ctx, w, c, t)
}

// runLent runs t, which holds the place of c, a task running on w, on a new
// goroutine, and gives the place back to c once t has returned. It waits for
// t to be complete, or for ctx to be done and returns its cause. But if the
// pool is stopping (ShutdownNow, or broken), t never runs, whoever would run
// it: runLent completes it as such.
func runLent(ctx context.Context, w *worker, c *taskContext, t task) error {
	tc := t.context()
	if s := w.pool.stop.Load(); s != nil {
		w.giveBack(tc, c)
		t.abort(s.state, s.err)
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		normal := false
		defer func() {
			if !normal {
				// t called runtime.Goexit; start has completed it.
				w.release(tc, c, nil, false)
			}
		}()
		// The worker's labels, not the waiter's, which this goroutine
		// inherits.
		pprof.SetGoroutineLabels(w.ctx)
		// Give the place back before completing the future, so that the
		// waiter, once woken, finds it back.
		publish := w.release(tc, c, t, startTask(w, t))
		normal = true
		if publish {
			t.publish(nil)
		}
	}()
	if ctx.Done() == nil {
		<-done
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// waitHelping waits, for the task whose context is c, until f is complete or
// ctx is done, running f itself if it is still queued and c can lend it its
// place.
func waitHelping[T any](ctx context.Context, c *taskContext, w *worker, f *Future[T]) error {
	for !f.complete() {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		var freed <-chan struct{}
		if f.pending() {
			r, err := help(ctx, c, w, f)
			switch {
			case err != nil:
				return err
			case r == helped:
				continue
			case r == placeLent:
				// Another goroutine with c runs a task in c's
				// place: wait for it to give the place back, or
				// for f.
				if freed = w.watchFor(c); freed == nil {
					continue
				}
			}
		}
		select {
		case <-f.Done():
		case <-freed:
		case <-ctx.Done():
		}
		if freed != nil {
			w.unwatchPlace()
		}
	}
	return nil
}
