package futures

import (
	"context"
	"runtime/pprof"
)

// Helping. A task that waits for another task of its pool would deadlock the
// pool if every worker did the same and only waited. So a task that waits for
// a task still in the queue takes it out and runs it itself, in its own
// place: the waiting task lends its worker's place to the awaited one, and
// takes it back once that one has returned. The same holds for a task that
// submits to a full queue: it runs the new task in its place.
//
// A worker's place is its holder: the context of the task in it. The worker
// sets it to each task it starts and, after the task returns, clears it once
// the place is back. The goroutine that runs the task whose context is c may
// lend c's place only while the holder is c, by swapping c for the context of
// the task it is to run; the goroutine that runs that task swaps it back when
// the task returns. So a place holds one task at a time, the pool runs at
// most as many tasks at once as it has workers, and c lends nothing once its
// task has returned. WorkerIndex reports the index for the task in the place
// alone.
//
// A task may start goroutines with its context, which may wait for tasks of
// the pool too, while the task itself runs, or waits for them (with a
// WaitGroup, say) where the pool cannot see it. They must not lend the
// task's place: the task could be running in it. But to wait without
// running what they wait for could deadlock the pool. So they take turns in
// the task's second place, made by the first of them to need it: a place of
// no worker, whose index WorkerIndex does not report, and whose tasks count
// as the worker's in Stats. The goroutine that runs a task is told from the
// others by its ID (see goid.go). While the task runs, a task run in its
// second place is one more than the pool's workers; the worker takes no
// other task until both places are back.
//
// The waiter runs the task on a new goroutine, so that a task calling
// runtime.Goexit ends only itself, and waits for it or for its own context
// to end, whichever comes first. If the context ends first, the waiter
// returns while the task goes on in the place it lent: until that task
// returns, the pool runs one task more than it has workers. The worker
// itself takes no task until its place is back, so Shutdown still waits for
// every task the pool started.

// helpResult says what help did.
type helpResult int

const (
	helped    helpResult = iota // ran the task, or completed it as stopped
	notQueued                   // the task is not in the queue: a worker has it
	placeLent                   // the place is lent to another goroutine now
)

// place returns the place in which the calling goroutine, which holds the
// context c of a task running on w, runs the tasks it helps: c's place on
// w if the goroutine runs c's task, and c's second place otherwise.
func place(c *taskContext, w *worker) *worker {
	if c.runner != 0 && goid() == c.runner {
		return w
	}
	if s := c.second.Load(); s != nil {
		return s
	}
	s := &worker{pool: w.pool, index: -1, origin: w.counts(), labels: w.labels, ctx: w.ctx}
	s.holder.Store(c)
	if !c.second.CompareAndSwap(nil, s) {
		return c.second.Load()
	}
	return s
}

// help runs t, if it is still queued, in the place on w of the task whose
// context is c, if that task holds it, and waits for t to return or for ctx
// to be done. If ctx is done first, err is its cause.
func help(ctx context.Context, c *taskContext, w *worker, t task) (r helpResult, err error) {
	if !w.lend(c, t.context()) {
		return placeLent, nil
	}
	if !w.pool.queue.remove(t) {
		// No one else can hold t's place on w: t is not running here.
		w.tryGiveBack(t.context(), c)
		return notQueued, nil
	}
	return helped, runLent(ctx, w, c, t)
}

// runLent runs t, which holds the place on w that c lent it, on a new
// goroutine, and gives the place back to c once t has returned. It waits for
// t to be complete, or for ctx to be done and returns its cause. But if the
// pool is stopping (ShutdownNow, or broken), t never runs, whoever would run
// it: runLent completes it as such.
func runLent(ctx context.Context, w *worker, c *taskContext, t task) error {
	tc := t.context()
	if s := w.pool.stop.Load(); s != nil {
		w.tryGiveBack(tc, c)
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
		tc.runner = goid()
		// Give the place back before completing the future, so that the
		// waiter, once woken, finds it back.
		publish := w.release(tc, c, t, t.start(w))
		normal = true
		if publish {
			t.publish()
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

// occupy puts the task whose context is c in w's place, as w's own goroutine
// starts it.
func (w *worker) occupy(c *taskContext) {
	w.current = c
	w.holder.Store(c)
}

// lend gives the place that c holds on w to the task whose context is to,
// and reports whether it did: false if c does not hold the place now, or if
// c's task has returned.
func (w *worker) lend(c, to *taskContext) bool {
	if !w.holder.CompareAndSwap(c, to) {
		return false
	}
	// A task that has returned may hold its place again for a moment, as
	// one it lent it to gives it back, until its worker takes it back. Its
	// worker sets returned, then swaps the holder; this swapped the holder,
	// then reads returned. Both are sequentially consistent, so if this
	// reads false, the swap came first, while the task was running.
	if c.returned.Load() {
		w.tryGiveBack(to, c)
		return false
	}
	return true
}

// release marks the task whose context is c as returned and gives its place
// back to prev: to the task that lent it, or nil when it ran in the place of
// its own worker. ran says whether the task t ran, and so is still to be
// published; release reports whether it still is. If the task lent its place
// in turn, to one that still runs because its waiter gave up, release
// publishes t first, so that those who wait for t need not wait for that
// one, and then waits for the place to come back.
//
// A task's second place must be back too: its goroutines that lent it may
// still wait for the tasks they ran there, or have given up on them.
func (w *worker) release(c, prev *taskContext, t task, ran bool) (publish bool) {
	c.returned.Store(true)
	// One who lends the second place swaps its holder, then reads
	// returned; this stored returned, then reads the holder. Both are
	// sequentially consistent: so either this sees the place lent, or the
	// lender sees returned and gives it back at once.
	s := c.second.Load()
	if (s == nil || s.holder.Load() == c) && w.tryGiveBack(c, prev) {
		return ran
	}
	if ran {
		t.publish()
	}
	if s != nil {
		s.giveBack(c, c)
	}
	w.giveBack(c, prev)
	return false
}

// tryGiveBack gives the place that c holds on w to prev, if c holds it, and
// reports whether it did.
func (w *worker) tryGiveBack(c, prev *taskContext) bool {
	if !w.holder.CompareAndSwap(c, prev) {
		return false
	}
	w.notifyFreed()
	return true
}

// giveBack gives the place that c holds on w, its task having returned, to
// prev. If c's task lent the place in turn, giveBack first waits until it is
// back.
func (w *worker) giveBack(c, prev *taskContext) {
	for !w.holder.CompareAndSwap(c, prev) {
		if back := w.watchFor(c); back != nil {
			<-back
			w.unwatchPlace()
		}
	}
	w.notifyFreed()
}

// watchFor returns nil if c holds its place on w now, and otherwise a channel
// that is closed when a place on w is next given back, after which the
// caller calls unwatchPlace.
func (w *worker) watchFor(c *taskContext) <-chan struct{} {
	back := w.watchPlace()
	if w.holder.Load() == c {
		w.unwatchPlace()
		return nil
	}
	return back
}

// watchPlace returns a channel that is closed when a place on w is next
// given back. The caller calls unwatchPlace when done with it.
//
// A watcher adds itself to placeWaiters, then reads the holder; one who gives
// a place back stores the holder, then reads placeWaiters. Both are
// sequentially consistent, so either the watcher sees the new holder or the
// giver sees the watcher and closes the channel it got.
func (w *worker) watchPlace() <-chan struct{} {
	w.placeWaiters.Add(1)
	w.placeMu.Lock()
	defer w.placeMu.Unlock()
	if w.freed == nil {
		w.freed = make(chan struct{})
	}
	return w.freed
}

func (w *worker) unwatchPlace() {
	w.placeWaiters.Add(-1)
}

// notifyFreed wakes the goroutines waiting for a place on w to be given back.
func (w *worker) notifyFreed() {
	if w.placeWaiters.Load() == 0 {
		return
	}
	w.placeMu.Lock()
	if w.freed != nil {
		close(w.freed)
		w.freed = nil
	}
	w.placeMu.Unlock()
}

// waitHelping waits, for the task whose context is c, until f is complete or
// ctx is done, running f itself if it is still queued and c can lend it its
// place.
func waitHelping[T any](ctx context.Context, c *taskContext, w *worker, f *Future[T]) error {
	placed := false
	for !f.complete() {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		var freed <-chan struct{}
		if f.pending() {
			if !placed {
				w, placed = place(c, w), true
			}
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
