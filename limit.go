package futures

import (
	"context"
	"sync"
	"sync/atomic"
)

// A limiter bounds the tasks of a group made WithLimit that are active at
// once: queued in the pool, or running in a place of their own.
//
// A task takes a slot before it goes to the pool, and gives it up as it
// completes; a task of Go that returns nil, as it returns (see passOn). A
// task of a limited group runs only in a place the group counts: its own
// slot, or the place of a task of the group that runs it on its behalf, as
// one that waits for it or that submits it at the limit does. Such a task
// takes no slot of its own. So a task that waits for a task of its group and
// lends it its place does not count while it waits, and the group never
// runs more than n tasks at once. A task of the group is told by its
// context, whose group is the group.
//
// Group.Go never waits: a task it adds beyond the limit is held here, in the
// order added, and takes the slot of the next task to give one up. So held
// tasks never wait in the pool's queue, and a slot goes to a held task
// before any task added after it.
type limiter struct {
	n int64

	// active counts the slots taken. A slot is taken by a compare-and-swap
	// that keeps it at most n, and given up by a decrement.
	active atomic.Int64
	// waiting counts the held tasks, plus one while submitters wait on
	// wake. Who would hold a task or wait raises it (under mu), then
	// tries for a slot once more; who gives up a slot lowers active,
	// then reads waiting, and looks under mu for a task or a submitter
	// to give the slot to if it is not zero. Both are sequentially
	// consistent, so either the first finds the slot or the second finds
	// the first: no task is held, and no submitter waits, while a slot is
	// free. With no one waiting, as with a group below its limit, a slot
	// costs one atomic operation each way.
	waiting atomic.Int64

	mu   sync.Mutex // guards held, head and wake
	held []*goTask  // held tasks, oldest first from head
	head int
	// wake is made by a submitter about to wait for a slot, and closed
	// when one is given up with no task held to take it.
	wake chan struct{}
}

// tryTake takes a slot if one is free, and reports whether it did.
func (l *limiter) tryTake() bool {
	for a := l.active.Load(); a < l.n; a = l.active.Load() {
		if l.active.CompareAndSwap(a, a+1) {
			return true
		}
	}
	return false
}

// take takes a slot if one is free and no task is held for it, and reports
// whether it did.
func (l *limiter) take() bool {
	if l.waiting.Load() == 0 {
		return l.tryTake()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head == len(l.held) && l.tryTake()
}

// takeOrWatch is take that, if it takes no slot, returns a channel that is
// closed when one is given up.
func (l *limiter) takeOrWatch() (took bool, wake <-chan struct{}) {
	if l.waiting.Load() == 0 && l.tryTake() {
		return true, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wake == nil {
		l.wake = make(chan struct{})
		l.waiting.Add(1)
	}
	if l.head == len(l.held) && l.tryTake() {
		return true, nil
	}
	return false, l.wake
}

// takeOrHold takes a slot for t, as take does, and reports true; otherwise
// it holds t, unless g has halted, and reports false. held says whether it
// held t.
func (l *limiter) takeOrHold(g *Group, t *goTask) (took, held bool) {
	if l.waiting.Load() == 0 && l.tryTake() {
		return true, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiting.Add(1)
	if l.head == len(l.held) && l.tryTake() {
		l.waiting.Add(-1)
		return true, false
	}
	// The group takes its held tasks out (unhold) only once it has
	// halted: so a task is either held before that, and taken out, or
	// sees the group halted here.
	if g.halted() {
		l.waiting.Add(-1)
		return false, false
	}
	l.held = append(l.held, t)
	return false, true
}

// pass gives up a slot: to the oldest held task, which it returns, or, if
// none is held, back to the limiter, waking the submitters that wait.
func (l *limiter) pass() *goTask {
	l.active.Add(-1)
	if l.waiting.Load() == 0 {
		return nil
	}
	l.mu.Lock()
	if l.head < len(l.held) {
		if !l.tryTake() {
			// Another took the slot first; it passes it on when
			// done.
			l.mu.Unlock()
			return nil
		}
		t := l.popLocked()
		l.mu.Unlock()
		return t
	}
	wake := l.wake
	if wake != nil {
		l.wake = nil
		l.waiting.Add(-1)
	}
	l.mu.Unlock()
	if wake != nil {
		close(wake)
	}
	return nil
}

// popHeld takes the oldest held task out, or returns nil.
func (l *limiter) popHeld() *goTask {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.head == len(l.held) {
		return nil
	}
	return l.popLocked()
}

// popLocked takes the oldest held task out; there is one. The caller holds
// mu.
func (l *limiter) popLocked() *goTask {
	t := l.held[l.head]
	l.held[l.head] = nil
	l.head++
	l.waiting.Add(-1)
	if l.head == len(l.held) {
		l.held, l.head = l.held[:0], 0
		if cap(l.held) > 64 {
			// Give back the memory of a burst.
			l.held = nil
		}
	}
	return t
}

// unhold takes every held task out and returns them, oldest first.
func (l *limiter) unhold() []*goTask {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.held[l.head:]
	l.waiting.Add(-int64(len(ts)))
	l.held, l.head = nil, 0
	return ts
}

// freeSlot gives up a slot of g: to the oldest held task, which goes to the
// pool, or back to the group. A held task that does not reach the queue
// (the pool is shut down, or the group halted) completes without the slot,
// which goes on to the next.
func (g *Group) freeSlot() {
	for {
		t := g.lim.pass()
		if t == nil {
			return
		}
		t.setSlotted(true)
		r := g.p.queue.hold(t)
		if r == pushed {
			g.queued()
			return
		}
		// Give up the slot here, not as t completes: one at a time,
		// however many are held.
		t.setSlotted(false)
		abortHeld(t, r, g.p)
	}
}

// passOn gives the slot of t, a task of Go that has just returned nil, if ran
// is true and its group is limited, to the oldest task its group holds, and
// returns that task, now holding the slot, for the caller to queue: so the
// slot passes as t returns, rather than once its outcome is published. It
// returns nil, leaving t its slot, if there is no such task. A task that
// failed keeps its slot until its failure is recorded, which stops the group
// first: a held task never starts after a failure of its group.
func passOn(t task, ran bool) task {
	gt, ok := t.(*goTask)
	if !ok || !ran || gt.err != nil || !gt.slotted {
		return nil
	}
	g := gt.ctx.group
	if g.lim.waiting.Load() == 0 || g.halted() {
		return nil
	}
	u := g.lim.popHeld()
	if u == nil {
		return nil
	}
	gt.slotted = false
	u.slotted = true
	return u
}

// abortHeld completes u, a held task that did not reach the queue for
// reason r, refused or dropped; if u holds a slot, its completion gives it
// up.
func abortHeld(u task, r pushResult, p *Pool) {
	if r == refused {
		u.abort(Finished, p.closedErr())
	} else {
		abortStopped(u)
	}
}

// enterResult says how a submission to a limited group went on.
type enterResult int

const (
	entered     enterResult = iota // took a slot: submit the task
	ranInPlace                     // ran the task in the caller's place
	enterGaveUp                    // ctx is done
	enterHalted                    // the group has halted
)

// enter takes a slot of g for t, submitted with ctx, waiting while none is
// free. Called by a task of the pool with its ctx, it never deadlocks: a
// task of the group runs t in its own place, which the group counts already;
// any other task runs the group's queued tasks in its place while it waits,
// and so never takes the group past its limit.
func (g *Group) enter(ctx context.Context, t task) enterResult {
	for {
		took, wake := g.lim.takeOrWatch()
		if took {
			t.setSlotted(true)
			return entered
		}
		if g.halted() {
			return enterHalted
		}
		var freed <-chan struct{}
		c, w := taskOf(ctx, g.p)
		switch {
		case w == nil:
		case c.group == g:
			if c.lend(t.context()) {
				// If ctx ends first, t goes on in c's place;
				// the caller has its future.
				_ = runLent(ctx, w, c, t)
				return ranInPlace
			}
			if freed = w.watchFor(c); freed == nil {
				continue
			}
		default:
			var again bool
			var err error
			if freed, again, err = g.helpQueued(ctx, c, w); err != nil {
				return enterGaveUp
			} else if again {
				continue
			}
		}
		select {
		case <-wake:
		case <-freed:
		case <-ctx.Done():
		case <-g.ctx.Done():
		}
		if freed != nil {
			w.unwatchPlace()
		}
		if ctx.Err() != nil {
			return enterGaveUp
		}
	}
}

// lendSlot is called as t, taken out of the queue, is to run in the place
// of the task whose context is c: if that place is counted by t's group, t
// gives up its own slot, as it needs none.
func lendSlot(c *taskContext, t task) {
	g := t.group()
	if g == nil || g.lim == nil || c.group != g {
		return
	}
	if t.setSlotted(false) {
		g.freeSlot()
	}
}
