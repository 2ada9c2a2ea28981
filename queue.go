package futures

import (
	"context"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A queue is a pool's queue of tasks together with its workers: those idle,
// and how many have started. Everything in it is guarded by one mutex, held
// for a few dozen instructions at a time; no goroutine polls it, so it sees
// about one lock a task from the submitter and one from the worker.
//
// Tasks wait in a ring that grows and shrinks with them, so a queue's memory
// follows the tasks in it rather than its size. Each task knows its position
// in the ring, so that one that completes while queued (cancelled, or run by
// a goroutine waiting for it) leaves at once: its slot is cleared and no
// longer counted, and the workers skip it.
//
// Workers start on demand: a push hands its task to an idle worker if there
// is one, else starts a worker for it if fewer than max have started, and
// only else links it into the list, if the list has room. So an idle worker,
// spinning or parked, is room, and so is a worker not yet started.
//
// The wake-up protocol rests on three invariants, true whenever mu is free:
//
//  1. A worker is in idle only while the list is empty. A worker adds
//     itself to idle only when it finds the list empty, and a push with a
//     worker in idle hands it the task instead of linking it.
//  2. The list holds tasks only once every worker has started: a push
//     starts a worker rather than link its task. So a task never waits in
//     the list ahead of one handed to a worker.
//  3. A worker taken off idle has been handed a task (or nil, to exit) in
//     its next field, and a token is on its way to its wake channel: the
//     taker sends it after releasing mu, but the channel has room for it, so
//     the worker finds it whenever it looks.
//
// Together they say that while a task is in the list no worker is waiting
// for one, and every busy worker looks at the list, under mu, before it
// next waits: no task is left queued while a worker sleeps.
//
// What a task shares with other cores, on its way through a pool: the
// submitter takes mu once (put) and so does the worker that runs it (next),
// and each moves mu's cache line, and the ring's slot, from the core that
// last held them; the pool's submitted count is one more line that every
// submitter writes; the future's own line goes from submitter to worker to
// whoever waits, which no design avoids. A group's task also adds to the
// group's count, a line that its submitter writes and its worker writes once
// for a run of the group's tasks (see worker.owe). Everything else a worker
// writes (its state, and its counts, which it hands over under mu as it
// takes its next task: see worker.tally) is its own. Besides the lines, a
// task costs each side its atomic instructions, each of which waits for the
// side's earlier stores to reach the other cores: the submitter's on mu and
// the pool's count, the worker's on mu, on the task's state as it starts and
// as it completes, and on its context as it returns (help.go). So every task
// crosses mu twice, whatever the cores: at a few dozen nanoseconds of work
// under mu and 40 to 150 ns to move its line between cores (more across
// sockets), the queue cannot pass about 3 to 8 million tasks a second, on 16
// cores as on 64, and contention pushes it lower as cores spin for mu. On 2
// cores it runs tiny tasks at about 3 million a second (benchmarks/,
// tiny-closure): already most of that ceiling.
//
// On 2 cores, the lock is not what to take away. Measured against this
// queue in the same runs (benchmarks/, tiny tasks, 6 to 8 interleaved
// rounds): a lock for submitters and another for workers, with atomic head
// and tail, was 5 to 24% slower; a lock-free ring in front of the list
// (Vyukov's, a sequence number per slot) was no faster, as the cost of the
// lock's line moved to the ring's head and slots, though alone, outside a
// pool, that ring takes a task for 40% less than a locked one. What costs
// is the lines each task moves between cores, whatever guards them.
type queue struct {
	mu sync.Mutex // guards every field below but the channels

	// The list of tasks: ring holds those at positions head to tail,
	// each at its position modulo len(ring), a power of two, oldest
	// first; a slot is nil where a task left early. n counts the tasks
	// in it.
	ring       []task
	head, tail uint64
	n          int
	size       int // the most tasks the list may hold
	// With timing, stamps holds when each task of ring entered it, at
	// the same index, and popped the stamp of the task popLocked took.
	timing bool
	stamps []int64
	popped int64
	// epoch counts the times the positions of the list were renumbered:
	// a position from another epoch means nothing now.
	epoch uint64

	idle []*worker // workers waiting for a task, the latest last
	// workers holds every worker started and not retired, by index, nil
	// where one was retired; free holds those indices, for the next
	// workers to start with. started counts the workers in workers.
	workers []*worker
	free    []int
	started int
	max     int  // the most workers that may be started at once
	live    int  // worker goroutines started and not exited
	closed  bool // no more pushes; workers exit once the list is empty

	// Retiring idle workers (see reap). keepAlive is how long a worker
	// may stay idle, 0 for ever; reaper, armed while reaping, calls reap
	// every keepAlive while workers are idle; minIdle is the fewest
	// workers idle since reap last ran. retired sums the counts of the
	// workers retired.
	keepAlive time.Duration
	reaper    *time.Timer
	reaping   bool
	minIdle   int
	retired   tally
	// retiredTiming sums the timing of the workers retired.
	retiredTiming workerTiming

	// waiting counts the submitters waiting for room. Whoever makes room
	// while one waits sends a token on room; a waiter that leaves while
	// others wait and room remains passes a token on.
	waiting int
	room    chan struct{} // capacity 1

	done chan struct{} // closed by close, to wake waiting submitters

	// spinning counts the idle workers spinning before they park; at
	// most maxSpinning do at once, so that a pool of many idle workers
	// does not keep the processors busy yielding to each other.
	spinning    atomic.Int32
	maxSpinning int32

	// start runs a new worker's goroutine, with t its first task.
	start func(w *worker, t task)
}

// pushResult says what became of a pushed task.
type pushResult int

const (
	pushed  pushResult = iota // handed to a worker or queued
	full                      // no room: no idle worker, none to start, a full list
	refused                   // the queue is closed
	retry                     // push gave up waiting: see its wake argument
	dropped                   // not queued: the task's owner has halted
)

func newQueue(size, workers int, start func(*worker, task)) *queue {
	q := &queue{
		size: size,
		max:  workers,
		room: make(chan struct{}, 1),
		// As the runtime lets at most half its processors spin looking
		// for goroutines to run.
		maxSpinning: int32(max(1, runtime.GOMAXPROCS(0)/2)),
		done:        make(chan struct{}),
		start:       start,
	}
	return q
}

// tryPush hands t to a worker, or queues it, if there is room now.
func (q *queue) tryPush(t task) pushResult { return q.put(t, false) }

// hold is tryPush that queues t even if the list is full, so that it never
// fails but for a closed queue: a group's Go holds its tasks so. A held task
// takes its place in line like any other, and the room it takes beyond the
// list's size is made up before any other push finds room.
func (q *queue) hold(t task) pushResult { return q.put(t, true) }

func (q *queue) put(t task, hold bool) pushResult {
	var stamp int64
	if q.timing {
		// Before the lock, which is held for no longer than it must.
		stamp = now()
	}
	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return refused
	case len(q.idle) > 0:
		// Invariant 1: the list is empty, so t is next in line.
		n := len(q.idle)
		w := q.idle[n-1]
		q.idle[n-1] = nil
		q.idle = q.idle[:n-1]
		q.minIdle = min(q.minIdle, n-1)
		w.next = t
		w.held = t
		w.stamp = stamp
		q.mu.Unlock()
		w.hand()
		return pushed
	case q.started < q.max:
		// No worker is idle, so the list is empty or every worker has
		// started: here, the list is empty, and t is next in line.
		w := q.newWorkerLocked()
		w.held = t
		w.stamp = stamp
		q.mu.Unlock()
		q.start(w, t)
		return pushed
	case q.n < q.size || hold:
		if o := t.owner(); o != nil && o.halted() {
			// The task would never run. An owner takes its queued
			// tasks out (removeOwned, under mu) only once it has
			// halted: so a task is either linked before that, and
			// taken out, or sees the owner halted here.
			q.mu.Unlock()
			return dropped
		}
		if t.pending() {
			// A task completed while being submitted takes no room.
			q.link(t, stamp)
		}
		q.mu.Unlock()
		return pushed
	}
	q.mu.Unlock()
	return full
}

// push is tryPush that waits for room: it spins briefly, then blocks until
// there is room, ctx is done, or the queue is closed. It returns full if ctx
// is done first, retry, without pushing, if wake (which may be nil) is
// closed first, and dropped as tryPush does.
func (q *queue) push(ctx context.Context, t task, wake <-chan struct{}) pushResult {
	// Unless ctx is done already, spin before blocking, as an idle worker
	// does before it parks: the worker that makes room would otherwise
	// have to wake this submitter, which then runs only when the
	// scheduler gets to it.
	for i := 0; i < spins && ctx.Err() == nil; i++ {
		if r := q.tryPush(t); r != full {
			return r
		}
		runtime.Gosched()
	}
	// Count this submitter as waiting before looking for room: whoever
	// makes room after that sends a token.
	q.mu.Lock()
	q.waiting++
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.waiting--
		// The token that woke this submitter may have been one of
		// several rooms made at once; or this submitter leaves with a
		// token meant for it unspent.
		q.signalRoomLocked()
		q.mu.Unlock()
	}()
	for {
		if r := q.tryPush(t); r != full {
			return r
		}
		select {
		case <-q.room:
		case <-ctx.Done():
			return full
		case <-q.done:
			return refused
		case <-wake:
			return retry
		}
	}
}

// hasRoomLocked reports whether a push would succeed now.
func (q *queue) hasRoomLocked() bool {
	return !q.closed && (len(q.idle) > 0 || q.started < q.max || q.n < q.size)
}

// signalRoomLocked tells a submitter waiting for room, if any, that there is
// some.
func (q *queue) signalRoomLocked() {
	if q.waiting > 0 && q.hasRoomLocked() {
		select {
		case q.room <- struct{}{}:
		default: // a token is already on its way
		}
	}
}

// next returns the next task for worker w, which has just finished one: the
// oldest queued task, if any. Otherwise it puts w in idle and returns nil and
// true, and w must then call await; or, if the queue is closed, it returns nil
// and false, and w must exit.
//
// The worker calls next before it completes the future of the task it ran,
// so that whoever sees that future complete finds the worker idle, and so
// room for another task.
func (q *queue) next(w *worker) (t task, idle bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tallyLocked(w)
	if t := q.popLocked(); t != nil {
		w.held = t
		w.stamp = q.popped
		return t, false
	}
	w.held = nil
	if q.closed {
		return nil, false
	}
	w.state.Store(idling)
	q.idle = append(q.idle, w)
	if q.keepAlive > 0 && !q.reaping {
		q.reaping = true
		q.minIdle = len(q.idle)
		if q.reaper == nil {
			q.reaper = time.AfterFunc(q.keepAlive, q.reap)
		} else {
			q.reaper.Reset(q.keepAlive)
		}
	}
	q.signalRoomLocked()
	return nil, true
}

// tallyLocked counts the outcome of the task that w, which asks for its next
// task, last ran on its own goroutine, and then, with timing, its run time:
// before w can be retired, and in the order that Pool.Stats reads them in
// reverse. The caller holds mu.
func (q *queue) tallyLocked(w *worker) {
	w.tally.add(w.last)
	w.last = notRun
	if w.timing != nil {
		w.timing.recordRun()
	}
}

// newWorkerLocked returns a new worker, counted as started and live, with
// the lowest index free. The caller holds mu, and starts it.
func (q *queue) newWorkerLocked() *worker {
	index := len(q.workers)
	if n := len(q.free); n > 0 {
		index = q.free[n-1]
		q.free = q.free[:n-1]
	}
	w := &worker{index: index, wake: make(chan struct{}, 1)}
	if q.timing {
		w.timing = &workerTiming{ran: -1}
	}
	if index == len(q.workers) {
		q.workers = append(q.workers, w)
	} else {
		q.workers[index] = w
	}
	q.started++
	q.live++
	return w
}

// reap retires the workers that have been idle since it last ran, a
// keepAlive ago: they exit, and their indices go to the next workers to
// start. It runs on a timer armed while workers are idle, so it costs
// nothing while they are busy, and a worker is retired once idle for
// between one and two keepAlives.
//
// Which workers have been idle all that time needs no clock: put takes
// idle workers from the end of idle, so the first minIdle of them, minIdle
// being the fewest idle since reap last ran, have not been taken since.
func (q *queue) reap() {
	q.mu.Lock()
	n := min(q.minIdle, len(q.idle))
	retired := make([]*worker, n)
	copy(retired, q.idle[:n])
	// Move the rest down, so that idle keeps no memory of them.
	rest := copy(q.idle, q.idle[n:])
	clear(q.idle[rest:])
	q.idle = q.idle[:rest]
	for _, w := range retired {
		q.workers[w.index] = nil
		q.free = append(q.free, w.index)
		q.started--
		q.retireLocked(w)
		w.next = nil // exit
	}
	if q.started == 0 {
		// Every index is free: start again from a clean slate.
		q.workers, q.free = nil, nil
	}
	q.minIdle = len(q.idle)
	if len(q.idle) > 0 && !q.closed {
		q.reaper.Reset(q.keepAlive)
	} else {
		q.reaping = false
	}
	q.mu.Unlock()
	for _, w := range retired {
		w.hand()
	}
}

// swap queues u, as hold does, and returns the next task for the worker that
// calls it, which has just run one: the oldest task in the list, which is u
// itself if the list is empty. So u takes its place in line, behind the
// tasks already queued, and the worker, busy, takes the next in one lock
// rather than two. If u is not queued (refused, dropped), swap returns nil
// and says why: the caller then completes u, and asks next for its task.
func (q *queue) swap(w *worker, u task) (task, pushResult) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tallyLocked(w)
	switch {
	case q.closed:
		return nil, refused
	case u.owner() != nil && u.owner().halted():
		// As in put: the owner takes its queued tasks out only once
		// it has halted.
		return nil, dropped
	case q.n == 0:
		if q.timing {
			w.stamp = now()
		}
		w.held = u
		return u, pushed
	}
	var stamp int64
	if q.timing {
		stamp = now()
	}
	q.link(u, stamp)
	t := q.popLocked()
	w.held = t
	w.stamp = q.popped
	return t, pushed
}

// get returns the next task for worker w, waiting for one if need be, or nil
// once the queue is closed and empty.
func (q *queue) get(w *worker) task {
	t, idle := q.next(w)
	if idle {
		t = q.await(w)
	}
	return t
}

// pop takes the oldest task out of the list, or returns nil.
func (q *queue) pop() task {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.popLocked()
}

// await waits for the task that a push hands to w, which is in idle: it
// spins briefly, then blocks. It returns nil if the queue was closed.
func (q *queue) await(w *worker) task {
	if q.spinning.Add(1) <= q.maxSpinning {
		for range spins {
			if w.state.Load() == handed {
				break
			}
			runtime.Gosched()
		}
	}
	q.spinning.Add(-1)
	if w.park() {
		<-w.wake
	}
	return w.handed()
}

// popLocked takes the oldest task out of the list, or returns nil.
func (q *queue) popLocked() task {
	for q.head < q.tail {
		i := q.head & uint64(len(q.ring)-1)
		t := q.ring[i]
		q.ring[i] = nil
		q.head++
		if t != nil {
			if q.timing {
				q.popped = q.stamps[i]
			}
			*t.queued() = 0
			q.left()
			return t
		}
	}
	return nil
}

// link adds t at the end of the list, stamped, with timing, with when it
// entered the queue. The caller holds mu.
func (q *queue) link(t task, stamp int64) {
	if q.tail-q.head == uint64(len(q.ring)) {
		if q.n < len(q.ring)/2 {
			// Half the slots are of tasks that left: take them back.
			q.resize(len(q.ring))
		} else {
			q.resize(max(8, 2*len(q.ring)))
		}
	}
	i := q.tail & uint64(len(q.ring)-1)
	q.ring[i] = t
	if q.timing {
		q.stamps[i] = stamp
	}
	q.tail++
	// A slot's index plus one fits in a task's uint32: the ring would
	// need more than 1<<31 tasks in it, 160 GiB of them at least, to
	// outgrow that.
	*t.queued() = uint32(i) + 1
	q.n++
}

// left counts out a task that has left the list, and makes room.
func (q *queue) left() {
	q.n--
	switch {
	case len(q.ring) > shrinkAbove && q.n < len(q.ring)/8:
		// Give back the memory of a burst, slowly enough that a
		// load that comes and goes does not resize at every turn.
		q.resize(len(q.ring) / 2)
	case q.n == 0:
		q.head, q.tail = 0, 0
		q.epoch++
	}
	q.signalRoomLocked()
}

// shrinkAbove is the size of ring that a queue keeps, however few tasks it
// holds: 8 KiB.
const shrinkAbove = 512

// resize moves the tasks of the list, in order and without the slots of
// those that left, into a ring of at least n slots: a power of two, so that
// a position's slot is a mask away.
func (q *queue) resize(n int) {
	ring := make([]task, 1<<bits.Len(uint(n-1)))
	var stamps []int64
	if q.timing {
		stamps = make([]int64, len(ring))
	}
	i := uint64(0)
	for pos := q.head; pos < q.tail; pos++ {
		if t := q.ring[pos&uint64(len(q.ring)-1)]; t != nil {
			ring[i] = t
			if q.timing {
				stamps[i] = q.stamps[pos&uint64(len(q.ring)-1)]
			}
			i++
			*t.queued() = uint32(i)
		}
	}
	q.ring, q.stamps, q.head, q.tail = ring, stamps, 0, i
	q.epoch++
}

// remove takes t out of the list and reports whether it was there. A task
// that completes without running calls it, so that the queue neither keeps
// it alive nor counts it; and a goroutine that means to run a queued task
// itself calls it first, to take the task from the workers.
func (q *queue) remove(t task) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	slot := t.queued()
	if *slot == 0 {
		return false
	}
	q.ring[*slot-1] = nil
	*slot = 0
	q.left()
	return true
}

// An owner is what the tasks of a set belong to, such as a group: the queue
// finds and removes the tasks of one owner, and queues none of an owner that
// has halted.
type owner interface {
	// halted reports whether the owner's tasks are no longer to run. Once
	// it reports true it always does; the owner calls removeOwned only
	// after that.
	halted() bool
	// cursor returns where findOwned last looked for a task of the
	// owner, guarded by the queue's mu.
	cursor() *cursor
}

// A cursor is a position in a queue's list, in one of its epochs.
type cursor struct{ pos, epoch uint64 }

// findOwned returns the oldest task of o in the list, or nil.
//
// It looks from where it last found one, if the list has not been
// renumbered since: the tasks before that position were not o's then, and
// tasks join the list only at its end. So a waiter that helps o's tasks one
// by one looks at each position of the list once, not once per task.
func (q *queue) findOwned(o owner) task {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := o.cursor()
	pos := q.head
	if c.epoch == q.epoch {
		pos = max(pos, c.pos)
	}
	for ; pos < q.tail; pos++ {
		if t := q.ring[pos&uint64(len(q.ring)-1)]; t != nil && t.owner() == o {
			c.pos, c.epoch = pos, q.epoch
			return t
		}
	}
	c.pos, c.epoch = pos, q.epoch
	return nil
}

// removeOwned takes every task of o out of the list and returns them, in
// order, for the caller to complete.
func (q *queue) removeOwned(o owner) []task {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ts []task
	for pos := q.head; pos < q.tail; pos++ {
		i := pos & uint64(len(q.ring)-1)
		if t := q.ring[i]; t != nil && t.owner() == o {
			q.ring[i] = nil
			*t.queued() = 0
			ts = append(ts, t)
		}
	}
	// One by one, as left may resize the ring.
	for range ts {
		q.left()
	}
	return ts
}

// close stops the queue from taking tasks and wakes the idle workers to exit;
// busy ones exit once the list is empty. It reports whether no worker is
// left, in which case none will ever exit.
func (q *queue) close() (none bool) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.closed = true
	idle := q.idle
	q.idle = nil
	none = q.live == 0
	if q.reaper != nil {
		q.reaper.Stop()
		q.reaping = false
	}
	q.mu.Unlock()
	close(q.done)
	for _, w := range idle {
		w.hand() // nil: exit
	}
	return none
}

// exit records that a worker's goroutine has ended for good, and reports
// whether it was the last one of a closed queue.
func (q *queue) exit() (last bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.live--
	return q.closed && q.live == 0
}

// stats sets in s what the queue knows: the worker goroutines not yet
// exited, the tasks in the list, the workers busy, the outcomes of the tasks
// the workers ran, retired or not, and with timing the timing of the retired
// workers and the run times of the others. A worker records its tasks' run
// times and outcomes under mu, so they agree here. It returns the workers
// not retired that have timing, for the caller to add their times in the
// queue without holding mu: a worker records that time without mu too, but
// after it took the task under mu and before it records the task's outcome
// under mu again, so every task with an outcome here has its time in the
// queue counted by then.
func (q *queue) stats(s *Stats) (timed []*worker) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s.Workers, s.Queued = q.live, q.n
	q.retired.addTo(s)
	if q.timing {
		q.retiredTiming.report(s)
		timed = make([]*worker, 0, q.started)
	}
	for _, w := range q.workers {
		if w == nil {
			continue
		}
		if w.timing != nil {
			w.timing.run.addTo(&s.RunTime)
			timed = append(timed, w)
		}
		w.tally.addTo(s)
		lent, running := w.lent.load()
		lent.addTo(s)
		if running || w.held != nil && w.held.running() {
			s.Busy++
		}
	}
	return timed
}

// retireLocked adds the counts and timing of w, retired, to the queue's. The
// caller holds mu.
func (q *queue) retireLocked(w *worker) {
	lent, _ := w.lent.load()
	q.retired.merge(w.tally)
	q.retired.merge(lent)
	if w.timing != nil {
		w.timing.addTo(&q.retiredTiming)
	}
}
