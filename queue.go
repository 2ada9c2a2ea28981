package futures

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// A queue is a pool's bounded first-in first-out queue of tasks. Submitters
// put tasks in and workers take them out without a lock: the queue is a ring
// of slots, each with a sequence number that says whether it is free to fill
// at a given position or full and ready to take (Dmitry Vyukov's bounded
// multi-producer multi-consumer queue). A channel does the same under a lock
// that idle workers, polling it, would contend for with every submitter.
//
// Workers with nothing to take park; a push wakes one of them. A queue of
// size 0 holds no tasks of its own: a push succeeds only by handing its task
// to a parked worker.
type queue struct {
	head atomic.Uint64 // the position to take from next
	_    [56]byte      // keep takers and putters on separate cache lines
	tail atomic.Uint64 // the position to put at next
	_    [56]byte

	// Read by every put and take, written only at close.
	slots  []slot
	size   int           // the room offered; len(slots) unless 0
	room   chan struct{} // capacity 1; see waiting
	done   chan struct{} // closed by close, to wake parked workers
	closed atomic.Bool
	_      [64]byte

	// parked holds a channel per worker parked, or about to park, for a
	// push to wake it with; idle is its length, to look at without the
	// lock. Only parking and waking take mu.
	mu     sync.Mutex
	parked []chan struct{}
	idle   atomic.Int32

	// waiting counts the submitters waiting for room. Whoever makes room
	// while one waits sends a token on room; a waiter that gets it and
	// still sees others waiting passes a token on.
	waiting atomic.Int32
}

type slot struct {
	// seq is twice the position at which the slot is free to fill, and one
	// more while it is full at that position; taking the task moves it on
	// to the free mark of the next lap. (With single steps, a queue of one
	// slot could not tell full at one position from free at the next.)
	seq atomic.Uint64
	t   task
}

func newQueue(size, workers int) *queue {
	n := size
	if n == 0 {
		// A hand-off queue passes a task only to a worker it has
		// unparked, so a slot per worker is room enough. Should a put
		// find none (the worker unparked for a task still being put may
		// park again), the push fails as if no worker were parked.
		n = workers
	}
	q := &queue{
		slots:  make([]slot, n),
		size:   size,
		parked: make([]chan struct{}, 0, workers),
		room:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	for i := range q.slots {
		q.slots[i].seq.Store(2 * uint64(i))
	}
	return q
}

// put adds t at the tail, or reports false if the ring is full.
func (q *queue) put(t task) bool {
	n := uint64(len(q.slots))
	pos := q.tail.Load()
	for {
		s := &q.slots[pos%n]
		switch seq := s.seq.Load(); {
		case seq == 2*pos:
			if q.tail.CompareAndSwap(pos, pos+1) {
				s.t = t
				s.seq.Store(2*pos + 1)
				return true
			}
		case seq < 2*pos:
			// The slot still holds the task of the lap before.
			return false
		}
		// Another submitter got there first.
		pos = q.tail.Load()
	}
}

// take removes the task at the head, or reports false if there is none.
func (q *queue) take() (task, bool) {
	n := uint64(len(q.slots))
	pos := q.head.Load()
	for {
		s := &q.slots[pos%n]
		switch seq := s.seq.Load(); {
		case seq == 2*pos+1:
			if q.head.CompareAndSwap(pos, pos+1) {
				t := s.t
				s.t = nil // do not keep the task alive
				s.seq.Store(2 * (pos + n))
				return t, true
			}
		case seq < 2*pos+1:
			// Empty.
			return nil, false
		}
		pos = q.head.Load()
	}
}

// tryPush queues t if there is room, waking a parked worker for it, and
// reports whether it did.
func (q *queue) tryPush(t task) bool {
	if q.size == 0 {
		wake := q.unpark()
		if wake == nil {
			return false
		}
		ok := q.put(t)
		wake <- struct{}{}
		return ok
	}
	if !q.put(t) {
		return false
	}
	// put stored the slot's sequence number, then this reads idle; a
	// worker about to park adds to idle, then looks for a task. The
	// atomics are sequentially consistent, so one of the two sees the
	// other.
	if q.idle.Load() > 0 {
		if wake := q.unpark(); wake != nil {
			wake <- struct{}{}
		}
	}
	return true
}

// push is tryPush that waits for room: it spins briefly, then blocks until
// there is room, ctx is done or quit is closed. It reports whether it queued
// t.
func (q *queue) push(ctx context.Context, t task, quit <-chan struct{}) bool {
	// Unless ctx is done already, spin before blocking, as an idle worker
	// does before it parks: the worker that makes room would otherwise
	// have to wake this submitter, which then runs only when the
	// scheduler gets to it.
	for i := 0; i < spins && ctx.Err() == nil; i++ {
		if q.tryPush(t) {
			return true
		}
		runtime.Gosched()
	}
	// Count this submitter as waiting, then look for room: a worker makes
	// room, then reads waiting. Both are sequentially consistent, so
	// either this finds the room or the worker sends a token.
	q.waiting.Add(1)
	for !q.tryPush(t) {
		select {
		case <-q.room:
		case <-ctx.Done():
			q.waiting.Add(-1)
			return false
		case <-quit:
			q.waiting.Add(-1)
			return false
		}
	}
	// The token that woke this submitter may have been meant for all.
	if q.waiting.Add(-1) > 0 {
		q.madeRoom()
	}
	return true
}

// unpark takes a parked worker off the list and returns its channel, for
// the caller to wake it with; or nil if no worker is parked.
func (q *queue) unpark() chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.parked)
	if n == 0 {
		return nil
	}
	wake := q.parked[n-1]
	q.parked[n-1] = nil
	q.parked = q.parked[:n-1]
	q.idle.Add(-1)
	return wake
}

// pop takes a task for the worker whose channel is wake, waiting for one:
// it spins briefly and then parks. Once the queue is closed and empty it
// returns false.
func (q *queue) pop(wake chan struct{}) (task, bool) {
	for {
		for range spins {
			if t, ok := q.take(); ok {
				q.madeRoom()
				return t, true
			}
			if q.closed.Load() {
				// Every push finished before close: look once more.
				return q.take()
			}
			runtime.Gosched()
		}
		q.mu.Lock()
		q.parked = append(q.parked, wake)
		q.idle.Add(1)
		q.mu.Unlock()
		if q.size == 0 {
			q.madeRoom() // a waiting submitter may hand a task over now
		}
		if t, ok := q.take(); ok {
			q.unlist(wake)
			q.madeRoom()
			return t, true
		}
		select {
		case <-wake:
		case <-q.done:
			// Closed; the next round looks once more and returns.
		}
	}
}

// unlist takes back the parking of a worker that has found a task itself.
// If a push has unparked it meanwhile, it takes the wake-up sent to it.
func (q *queue) unlist(wake chan struct{}) {
	q.mu.Lock()
	i := slices.Index(q.parked, wake)
	if i >= 0 {
		q.parked = slices.Delete(q.parked, i, i+1)
		q.idle.Add(-1)
	}
	q.mu.Unlock()
	if i < 0 {
		<-wake
	}
}

// madeRoom tells a submitter waiting for room, if any, that there may be
// some now.
func (q *queue) madeRoom() {
	if q.waiting.Load() > 0 {
		select {
		case q.room <- struct{}{}:
		default: // a token is already on its way
		}
	}
}

// close marks the queue closed: once it is empty, pop returns false. No
// push may happen after close.
func (q *queue) close() {
	q.closed.Store(true)
	close(q.done)
}

// len returns the number of tasks in the queue.
func (q *queue) len() int {
	// head never passes tail, so reading head first gives n >= 0; takes
	// since may make it more than the queue holds.
	head := q.head.Load()
	n := int(q.tail.Load() - head)
	return min(n, q.size)
}
