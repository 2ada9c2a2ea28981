package futures

import (
	"context"
	"runtime/pprof"
	"sync"
	"sync/atomic"
)

// A worker is one of the pool's goroutines, with counters of its own so that
// workers do not contend on shared ones.
type worker struct {
	pool  *Pool
	index int

	// Only the worker's goroutine writes these, and other goroutines read
	// labels and ctx only from a task it started. A goroutine that
	// replaces one ended by runtime.Goexit starts after the last write of
	// the one it replaces (see work).
	labels      pprof.LabelSet  // "pool" and "worker"
	ctx         context.Context // the pool's, with labels
	initialized bool

	// then and idle say where a replacement goroutine takes up the work
	// (see resume), should the worker's goroutine end in runtime.Goexit
	// while then or idle is set: in the initializer, then is the
	// worker's first task; in an OnDone callback run as the worker
	// publishes an outcome, the worker has already taken then, its next
	// task, from the queue, or put itself in the queue's idle list (idle).
	then task
	idle bool

	// next is the task a push hands to the worker while it is idle, or
	// nil when the queue closes: written under the queue's mu before a
	// token is sent on wake, and read by the worker after it receives the
	// token.
	next  task
	state atomic.Uint32 // busy, idling, parked or handed
	wake  chan struct{} // capacity 1; a token when handed while parked

	// current is the context of the task the worker's goroutine runs, for
	// a goroutine that replaces it to wait for the task's place. Only the
	// worker's goroutine reads and writes it.
	current *taskContext
	// placeWaiters counts the goroutines waiting for the place of a task
	// run on the worker to be given back; freed is closed when one is.
	placeWaiters atomic.Int32
	placeMu      sync.Mutex
	freed        chan struct{} // guarded by placeMu

	// timing, with WithTiming, counts the time of the tasks the worker
	// takes from the queue; stamp is when the task it takes next entered
	// the queue or was handed to it, written under the queue's mu.
	timing *workerTiming
	stamp  int64

	// owed is a group that the worker has yet to count owedN of its tasks
	// out of (see owe). Only the worker's goroutine uses them.
	owed  *Group
	owedN uint64

	// held is the task the worker took from the queue, or was handed,
	// until it asks the queue for another, or nil: it is busy while held
	// runs. tally counts the outcomes of the tasks the worker ran on its
	// own goroutine. The worker's goroutine records each in last, and the
	// queue adds it to tally as the worker next asks for a task (see
	// queue.next). So counting costs the worker nothing beyond the queue's
	// lock, which it takes for its next task anyway: atomic counts would
	// cost it two atomic writes a task, each of which waits for the
	// worker's earlier writes to reach the other cores. held and tally
	// are guarded by the queue's mu; last is the worker goroutine's own.
	held  task
	tally tally
	last  ending

	// lent counts the tasks run on other goroutines in the place of a task
	// of this worker (help.go).
	lent lentTally
}

// An ending is how a task that a worker took ended.
type ending uint8

const (
	notRun      ending = iota // found complete, claimed, or cancelled: it did not start
	ranOK                     // returned a nil error
	ranFailed                 // returned an error, or called runtime.Goexit
	ranPanicked               // panicked
)

// A tally counts the outcomes of tasks, by their ending less one: ranOK,
// ranFailed, ranPanicked.
type tally [3]uint64

func (t *tally) add(o ending) {
	if o != notRun {
		t[o-1]++
	}
}

// merge adds the counts of u to t.
func (t *tally) merge(u tally) {
	for i := range t {
		t[i] += u[i]
	}
}

func (t *tally) addTo(s *Stats) {
	s.Succeeded += t[ranOK-1]
	s.Failed += t[ranFailed-1]
	s.Panicked += t[ranPanicked-1]
}

// A lentTally counts tasks started, and their outcomes as a tally does,
// where they are counted as they happen, read by Stats without a lock.
type lentTally struct {
	started atomic.Uint64
	ended   [3]atomic.Uint64
}

func (t *lentTally) add(o ending) {
	if o != notRun {
		t.ended[o-1].Add(1)
	}
}

// load returns the outcomes counted in t, and whether a task counted as
// started has no outcome yet.
func (t *lentTally) load() (u tally, running bool) {
	// Outcomes first: each task is counted in started before them.
	for i := range u {
		u[i] = t.ended[i].Load()
	}
	return u, t.started.Load() > u[0]+u[1]+u[2]
}

// began records that the task whose context is c starts on w.
func (w *worker) began(c *taskContext) {
	if !c.served {
		w.lent.started.Add(1)
	}
}

// ended records how the task whose context is c, run on w, ended: for the
// queue to count, on w's own goroutine, and at once in another's place.
func (w *worker) ended(c *taskContext, o ending) {
	if c.served {
		w.last = o
	} else {
		w.lent.add(o)
	}
}

// A worker's states as its queue sees them.
const (
	busy   = iota // running a task, or between tasks
	idling        // in the queue's idle list, spinning
	parked        // in the queue's idle list, blocked on wake
	handed        // taken off the idle list, with next set
)

// hand tells w, taken off the queue's idle list with next set, that its task
// is there. The worker, before it blocks, swaps idling for parked: so
// exactly one of the two sees the other's store, and the worker either sees
// handed and does not block, or blocks and gets a token on wake.
func (w *worker) hand() {
	if w.state.Swap(handed) == parked {
		w.wake <- struct{}{}
	}
}

// park marks w, idle, as blocked on its wake channel, and reports whether it
// must block: false if its task has been handed over already.
func (w *worker) park() bool {
	return w.state.CompareAndSwap(idling, parked)
}

// handed returns the task handed to w by a push, and marks w busy.
func (w *worker) handed() task {
	w.state.Store(busy)
	t := w.next
	w.next = nil
	return t
}

// resume returns the first task of a goroutine that replaces one of w's
// ended by runtime.Goexit: the task that one had taken, or, if it was idle,
// the task the queue hands w, or else the next task in the queue. It returns
// nil if the queue is closed.
func (w *worker) resume() task {
	t, idle := w.then, w.idle
	w.then, w.idle = nil, false
	if t != nil {
		return t
	}
	if idle {
		return w.pool.queue.await(w)
	}
	return w.pool.queue.get(w)
}

// goexit readies w for its next task as the task whose context is c ends
// its goroutine with runtime.Goexit, before the task's future completes: if
// w's own goroutine runs it, goexit does what serve does once a task has
// returned, gives the place back and takes the next task or becomes idle,
// for the goroutine that replaces this one to take up. So whoever sees the
// future complete finds the worker free, whichever way the task ended.
func (w *worker) goexit(c *taskContext) {
	if !c.served {
		// A task run in a lent place: runLent gives it back.
		return
	}
	w.release(c, nil, nil, false)
	w.current = nil
	w.then, w.idle = w.pool.queue.next(w)
}

// testHookLend, if not nil, runs in lend between its swap of lent and its
// reading of the state.
var testHookLend func()

// lend gives c's place to the task whose context is to, and reports whether
// it did: false if the place is not free, or if c's task has returned.
func (c *taskContext) lend(to *taskContext) bool {
	if !c.lent.CompareAndSwap(nil, to) {
		return false
	}
	if testHookLend != nil {
		testHookLend()
	}
	// release marks the task returned (or finds it complete, as one
	// that called runtime.Goexit in a lent place is before its release),
	// then reads lent; this swapped lent, then reads the state. All are
	// sequentially consistent, so if this finds the task not returned,
	// release will see the place lent and wait for it.
	if c.hasReturned() {
		c.w.giveBack(to, c)
		return false
	}
	return true
}

// release marks the task whose context is c, run on w, as returned, and
// gives the place it held back to prev: to the task that lent it, or to no
// one when it ran on w's own goroutine (prev nil). ran says whether the task
// t ran, and so is still to be published; release reports whether it still
// is. If the task lent its place in turn, to one that still runs because its
// waiter gave up, release publishes t first, so that those who wait for t
// need not wait for that one, and then waits for the place to come back.
func (w *worker) release(c, prev *taskContext, t task, ran bool) (publish bool) {
	c.markReturned()
	if c.lent.Load() == nil {
		w.giveBack(c, prev)
		return ran
	}
	if ran {
		t.publish(nil)
	}
	for c.lent.Load() != nil {
		if back := w.watchFor(c); back != nil {
			<-back
			w.unwatchPlace()
		}
	}
	w.giveBack(c, prev)
	return false
}

// giveBack gives the place of prev, which the task whose context is c holds,
// back to prev, if prev is not nil and c holds it, and wakes those who wait
// for a place on w.
func (w *worker) giveBack(c, prev *taskContext) {
	if prev != nil && prev.lent.CompareAndSwap(c, nil) {
		w.notifyFreed()
	}
}

// watchFor returns nil if c's place, c being a task on w, is free now, and
// otherwise a channel that is closed when a place on w is next given back,
// after which the caller calls unwatchPlace.
func (w *worker) watchFor(c *taskContext) <-chan struct{} {
	back := w.watchPlace()
	if c.lent.Load() == nil {
		w.unwatchPlace()
		return nil
	}
	return back
}

// watchPlace returns a channel that is closed when a place on w is next
// given back. The caller calls unwatchPlace when done with it.
//
// A watcher adds itself to placeWaiters, then reads the place; one who gives
// a place back swaps it, then reads placeWaiters. Both are sequentially
// consistent, so either the watcher sees the place free or the giver sees
// the watcher and closes the channel it got.
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

// owe records that a task of g, which w ran and has published, is to be
// counted out of g: not now, but when w settles, which it does before it runs
// a task of another group or of none, waits for a task, or exits. So a worker
// that runs the tasks of one group in a row writes the group's count once for
// all of them, not once each, and the submitter, who adds to the count, finds
// it where it left it.
//
// Nothing waits for the count of a group but Wait and Shutdown, which wait
// for it to reach zero. While w runs a task of g, that task keeps the count
// above zero itself; before w runs anything else, or waits, it settles. So
// the count reaches zero no later than it would have. A task run in another
// task's place (help.go) is counted out at once: its goroutine may well be
// one that waits for the group.
func (w *worker) owe(g *Group) {
	if w.owed != g {
		w.settle()
		w.owed = g
	}
	w.owedN++
}

// settle counts out of its group the tasks w owes it.
func (w *worker) settle() {
	if w.owedN == 0 {
		return
	}
	g, n := w.owed, w.owedN
	w.owed, w.owedN = nil, 0
	g.releaseN(n)
}
