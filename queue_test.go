package futures

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stuck is how long the tests below let a task wait before they call it
// lost: far longer than any wait of theirs takes, even under the race detector
// on a loaded machine.
const stuck = 10 * time.Second

// numbered is a task that only carries a number, for testing the queue alone.
// It completes when it is started or aborted.
type numbered struct {
	n    int
	done bool // started or aborted; guarded by the test
	slot uint32
	o    *testOwner
}

// testOwner is an owner of numbered tasks, for testing the queue alone.
type testOwner struct {
	halt bool
	c    cursor
}

func (o *testOwner) halted() bool    { return o.halt }
func (o *testOwner) cursor() *cursor { return &o.c }

func (t *numbered) start(*worker) bool {
	if t.done {
		return false
	}
	t.done = true
	return true
}
func (t *numbered) publish(*worker) {}
func (t *numbered) abort(State, error) bool {
	if t.done {
		return false
	}
	t.done = true
	return true
}
func (t *numbered) pending() bool        { return !t.done }
func (t *numbered) running() bool        { return false }
func (t *numbered) queued() *uint32      { return &t.slot }
func (t *numbered) group() *Group        { return nil }
func (t *numbered) setSlotted(bool) bool { return false }
func (t *numbered) owner() owner {
	if t.o == nil {
		return nil
	}
	return t.o
}
func (t *numbered) context() *taskContext {
	return nil
}

// TestQueueHandsOverEveryTaskOnce pushes numbered tasks from several
// goroutines into a queue whose workers take them, and checks that each comes
// out exactly once, and in the order pushed for each pusher and worker.
func TestQueueHandsOverEveryTaskOnce(t *testing.T) {
	const workers, pushers, each = 4, 3, 20000
	for _, size := range []int{0, 1, 2, 5, 64} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			got := make([][]int, workers)
			var popped sync.WaitGroup
			var q *queue
			q = newQueue(size, workers, func(w *worker, tk task) {
				popped.Go(func() {
					for tk != nil {
						got[w.index] = append(got[w.index], tk.(*numbered).n)
						tk = q.get(w)
					}
				})
			})
			// A lost wake-up leaves the tasks queued and the workers
			// waiting: give up then rather than hang.
			deadline := time.Now().Add(stuck)
			var producers sync.WaitGroup
			for j := range pushers {
				producers.Go(func() {
					for k := range each {
						for q.tryPush(&numbered{n: j*each + k}) != pushed {
							if time.Now().After(deadline) {
								n := q.queued()
								t.Errorf("pusher %d stuck at task %d with %d queued", j, k, n)
								return
							}
							runtime.Gosched()
						}
					}
				})
			}
			producers.Wait()
			q.close()
			popped.Wait()

			seen := make([]int, pushers*each)
			for _, g := range got {
				last := make([]int, pushers)
				for i := range last {
					last[i] = -1
				}
				for _, n := range g {
					seen[n]++
					// One worker takes a pusher's tasks in the
					// order they were pushed.
					j := n / each
					assert.Greater(t, n, last[j], "pusher %d's tasks out of order", j)
					last[j] = n
				}
			}
			for n, c := range seen {
				if c != 1 {
					require.Failf(t, "task not handed over once", "task %d came out %d times", n, c)
				}
			}
			n := q.queued()
			assert.Zero(t, n)
		})
	}
}

// TestQueueRoomIsIdleWorkersUnstartedWorkersAndTheList checks the room a
// queue offers, with workers that never take a task: first the workers not
// yet started, then the list.
func TestQueueRoomIsIdleWorkersUnstartedWorkersAndTheList(t *testing.T) {
	for _, workers := range []int{1, 3} {
		for _, size := range []int{0, 1, 3} {
			var started []task
			q := newQueue(size, workers, func(_ *worker, tk task) { started = append(started, tk) })
			for i := range workers + size {
				require.Equal(t, pushed, q.tryPush(&numbered{n: i}), "workers %d, size %d: push %d", workers, size, i)
			}
			assert.Equal(t, full, q.tryPush(&numbered{n: -1}), "workers %d, size %d: push beyond the room", workers, size)
			assert.Len(t, started, workers, "a worker started for each of the first pushes")
			live, n := q.liveAndQueued()
			assert.Equal(t, workers, live)
			assert.Equal(t, size, n)
			if size > 0 {
				tk := q.pop()
				assert.Equal(t, workers, tk.(*numbered).n, "first in, first out")
				assert.Equal(t, pushed, q.tryPush(&numbered{}), "push after a pop")
			}
		}
	}
}

// TestQueueRemoveFreesRoom checks that a task taken out of the list, as a
// cancelled one is, gives its room back and leaves nothing behind.
func TestQueueRemoveFreesRoom(t *testing.T) {
	q := newQueue(2, 1, func(*worker, task) {})
	require.Equal(t, pushed, q.tryPush(&numbered{})) // starts the worker
	a, b := &numbered{n: 1}, &numbered{n: 2}
	require.Equal(t, pushed, q.tryPush(a))
	require.Equal(t, pushed, q.tryPush(b))
	require.Equal(t, full, q.tryPush(&numbered{}))
	require.True(t, q.remove(a))
	assert.False(t, q.remove(a), "removed twice")
	assert.Zero(t, a.slot, "a removed task's slot")
	n := q.queued()
	assert.Equal(t, 1, n)
	assert.Equal(t, pushed, q.tryPush(&numbered{n: 3}))
	assert.Equal(t, 2, q.pop().(*numbered).n)
	assert.Equal(t, 3, q.pop().(*numbered).n)
	assert.Nil(t, q.pop())
}

// TestQueueProtocolExhaustively explores every interleaving of pushes (and
// the held pushes of a group's Go), cancellations, closing and the steps of
// the workers, for small queues, and checks after every step the invariants
// that make the wake-up protocol lose nothing: a task in the list only while
// no worker waits, every waiting worker either in idle or with a token, and
// a held push never refused for want of room; and at the end of each
// interleaving, that every task pushed ran or was cancelled, once.
//
// Each step is one call of the queue's, made by the test on its own
// goroutine: a push (with the hand-over to a worker after releasing the
// lock), a cancellation, close, a worker taking its next task or becoming
// idle, a waiting worker parking (or finding its task handed over already),
// or a parked worker receiving its token. The queue does its work under its
// lock in one critical section per call, so the calls are atomic but for the
// hand-over; that is one atomic swap, and its token for a parked worker only
// delays that worker, whose one step while parked is to receive it.
func TestQueueProtocolExhaustively(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		for _, size := range []int{0, 1, 2} {
			t.Run(fmt.Sprintf("workers=%d/size=%d", workers, size), func(t *testing.T) {
				seen := make(map[string]bool)
				exploreQueue(t, workers, size, 4, nil, seen)
				t.Logf("%d states", len(seen))
				assert.Greater(t, len(seen), workers*10)
			})
		}
	}
}

// A queueModel is a queue driven one step at a time.
type queueModel struct {
	q       *queue
	tasks   []*numbered // pushed so far; each pushed once, full or not
	refused int         // pushes that found no room or a closed queue
	workers []*modelWorker
	closed  bool
	ran     map[int]int // runs by task
	bad     string      // what a step found wrong, if anything
}

type modelWorker struct {
	w       *worker
	task    *numbered // the task it runs, or nil
	waiting bool      // in await
	parked  bool      // blocked on its wake channel
	exited  bool
}

func newQueueModel(workers, size int) *queueModel {
	m := &queueModel{ran: make(map[int]int)}
	m.q = newQueue(size, workers, func(w *worker, tk task) {
		m.workers = append(m.workers, &modelWorker{w: w})
		m.run(m.workers[len(m.workers)-1], tk)
	})
	// Idle workers are retired by the step "reap", which stands for the
	// reaper's timer: a long keep-alive keeps the real one from firing.
	m.q.keepAlive = time.Hour
	return m
}

func (m *queueModel) run(mw *modelWorker, tk task) {
	mw.task = tk.(*numbered)
	if mw.task.start(mw.w) {
		m.ran[mw.task.n]++
	}
}

// steps lists the steps possible now, as names.
func (m *queueModel) steps(tasks int) []string {
	var s []string
	if len(m.tasks) < tasks && !m.closed {
		s = append(s, "push", "hold")
	}
	for i, tk := range m.tasks {
		if !tk.done {
			s = append(s, fmt.Sprintf("cancel %d", i))
		}
	}
	if !m.closed {
		s = append(s, "close")
	}
	// Retiring workers is explored with up to 2 of them: 3 take the
	// states from 2,500 to 29,000 for nothing the idle list of 2 does not
	// show.
	if m.q.reaping && m.q.max <= 2 {
		s = append(s, "reap")
	}
	for i, mw := range m.workers {
		switch {
		case mw.exited:
		case mw.task != nil:
			s = append(s, fmt.Sprintf("next %d", i))
			if len(m.tasks) < tasks && !m.closed {
				// The worker passes its group's slot to a
				// new task, and takes its next.
				s = append(s, fmt.Sprintf("swap %d", i))
			}
		case mw.waiting && !mw.parked:
			s = append(s, fmt.Sprintf("park %d", i))
		case mw.parked && len(mw.w.wake) > 0:
			s = append(s, fmt.Sprintf("receive %d", i))
		}
	}
	return s
}

func (m *queueModel) step(s string) {
	var i int
	switch {
	case s == "push" || s == "hold":
		tk := &numbered{n: len(m.tasks)}
		m.tasks = append(m.tasks, tk)
		r := m.q.put(tk, s == "hold")
		if r == full && s == "hold" {
			m.bad = "a held task found the queue full"
		}
		if r != pushed {
			tk.done = true
			m.refused++
		}
	case s == "close":
		m.closed = true
		m.q.close()
	case s == "reap":
		m.q.reap()
	case scan(s, "cancel %d", &i):
		if m.tasks[i].abort(Cancelled, nil) {
			m.q.remove(m.tasks[i])
		}
	case scan(s, "next %d", &i):
		mw := m.workers[i]
		mw.task = nil
		tk, idle := m.q.next(mw.w)
		switch {
		case tk != nil:
			m.run(mw, tk)
		case idle:
			mw.waiting = true
		default:
			mw.exited = true
		}
	case scan(s, "swap %d", &i):
		mw := m.workers[i]
		mw.task = nil
		tk := &numbered{n: len(m.tasks)}
		m.tasks = append(m.tasks, tk)
		next, r := m.q.swap(mw.w, tk)
		switch {
		case r != pushed:
			tk.done = true
			m.refused++
			next, idle := m.q.next(mw.w)
			switch {
			case next != nil:
				m.run(mw, next)
			case idle:
				mw.waiting = true
			default:
				mw.exited = true
			}
		case next == nil:
			m.bad = "swap returned no task"
		default:
			m.run(mw, next.(*numbered))
		}
	case scan(s, "park %d", &i):
		// What await does once done spinning.
		mw := m.workers[i]
		if mw.w.park() {
			mw.parked = true
		} else {
			m.handed(mw)
		}
	case scan(s, "receive %d", &i):
		mw := m.workers[i]
		<-mw.w.wake
		m.handed(mw)
	}
}

// handed ends the wait of mw, which has been handed a task, or nil to exit.
func (m *queueModel) handed(mw *modelWorker) {
	mw.waiting, mw.parked = false, false
	if tk := mw.w.handed(); tk != nil {
		m.run(mw, tk)
	} else {
		mw.exited = true
	}
}

func scan(s, format string, i *int) bool {
	_, err := fmt.Sscanf(s, format, i)
	return err == nil
}

// check returns what is wrong with the model's state, if anything.
func (m *queueModel) check() string {
	if m.bad != "" {
		return m.bad
	}
	q := m.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n > 0 && len(q.idle) > 0 {
		return fmt.Sprintf("%d tasks queued while %d workers are idle", q.n, len(q.idle))
	}
	if q.n > 0 && q.started < q.max {
		return fmt.Sprintf("%d tasks queued while %d workers could start", q.n, q.max-q.started)
	}
	// A worker holds the task it took, or was handed, until it asks for
	// another, and nothing while it waits for one: Stats counts it busy
	// by what it holds.
	for i, mw := range m.workers {
		var want task
		switch {
		case mw.task != nil:
			want = mw.task
		case mw.waiting:
			want = mw.w.next // nil unless handed
		}
		if mw.w.held != want {
			return fmt.Sprintf("worker %d holds %v, not %v", i, mw.w.held, want)
		}
	}
	// Every task pushed and not yet run nor cancelled is somewhere: in
	// the list, or handed to a worker.
	for _, tk := range m.tasks {
		if tk.done {
			continue
		}
		found := false
		for pos := q.head; pos < q.tail && !found; pos++ {
			found = q.ring[pos&uint64(len(q.ring)-1)] == task(tk)
		}
		for _, mw := range m.workers {
			found = found || mw.w.next == task(tk)
		}
		if !found {
			return fmt.Sprintf("task %d is lost: neither queued nor handed", tk.n)
		}
	}
	for i, mw := range m.workers {
		if !mw.waiting {
			continue
		}
		inIdle := false
		for _, w := range q.idle {
			inIdle = inIdle || w == mw.w
		}
		state, token := mw.w.state.Load(), len(mw.w.wake) > 0
		switch {
		case inIdle && (state == handed || token),
			!inIdle && state != handed,
			!inIdle && mw.parked && !token:
			return fmt.Sprintf("waiting worker %d: in idle %v, state %d, parked %v, token %v",
				i, inIdle, state, mw.parked, token)
		}
	}
	return ""
}

// final returns what is wrong with a state from which no step is possible.
func (m *queueModel) final() string {
	for _, tk := range m.tasks {
		if !tk.done {
			return fmt.Sprintf("task %d never ran", tk.n)
		}
		if m.ran[tk.n] > 1 {
			return fmt.Sprintf("task %d ran %d times", tk.n, m.ran[tk.n])
		}
	}
	for i, mw := range m.workers {
		if !mw.exited {
			return fmt.Sprintf("worker %d did not exit", i)
		}
	}
	return ""
}

// signature describes the model's state: two sequences of steps that end in
// the same signature have the same futures.
func (m *queueModel) signature() string {
	q := m.q
	var b strings.Builder
	fmt.Fprintf(&b, "pushed %d closed %v list", len(m.tasks), m.closed)
	for pos := q.head; pos < q.tail; pos++ {
		if tk := q.ring[pos&uint64(len(q.ring)-1)]; tk != nil {
			fmt.Fprintf(&b, " %d", tk.(*numbered).n)
		}
	}
	b.WriteString(" idle")
	for _, w := range q.idle {
		fmt.Fprintf(&b, " %d", w.index)
	}
	fmt.Fprintf(&b, " started %d free %v minIdle %d reaping %v", q.started, q.free, q.minIdle, q.reaping)
	for _, tk := range m.tasks {
		fmt.Fprintf(&b, " t%d:%v:%d", tk.n, tk.done, m.ran[tk.n])
	}
	for i, mw := range m.workers {
		n := -1
		if mw.task != nil {
			n = mw.task.n
		}
		fmt.Fprintf(&b, " w%d:%d:%v:%v:%v:%d:%d", i, n, mw.waiting, mw.parked, mw.exited,
			mw.w.state.Load(), len(mw.w.wake))
	}
	return b.String()
}

// exploreQueue explores, depth first, every sequence of steps that extends
// prefix, replaying each from a new queue, and records in seen the states
// it reaches; it does not explore again from a state seen before.
func exploreQueue(t *testing.T, workers, size, tasks int, prefix []string, seen map[string]bool) {
	m := newQueueModel(workers, size)
	for _, s := range prefix {
		m.step(s)
	}
	if msg := m.check(); msg != "" {
		t.Fatalf("after %q: %s", prefix, msg)
	}
	sig := m.signature()
	if seen[sig] {
		return
	}
	seen[sig] = true
	steps := m.steps(tasks)
	if len(steps) == 0 {
		if msg := m.final(); msg != "" {
			t.Fatalf("after %q: %s", prefix, msg)
		}
		return
	}
	for _, s := range steps {
		exploreQueue(t, workers, size, tasks, append(prefix[:len(prefix):len(prefix)], s), seen)
	}
}

var pairRounds = flag.Int("pair.rounds", 2000, "rounds of TestStressPairWaitingForEachOther")

// TestStressPairWaitingForEachOther is the scenario of a lost wake-up:
// two goroutines each submit one of a pair of tasks that wait for each other
// to start, so both must run at once on the pool's two workers. A task left
// queued while a worker sleeps hangs the pair. .ci/stress runs it for many
// more rounds.
func TestStressPairWaitingForEachOther(t *testing.T) {
	rounds := *pairRounds
	for _, size := range []int{0, 1, 64} {
		t.Run(fmt.Sprintf("queue=%d", size), func(t *testing.T) {
			p := newPool(t, WithWorkers(2), WithQueueSize(size))
			ctx, cancel := context.WithTimeout(context.Background(), stuck)
			defer cancel()
			for round := range rounds {
				a, b := make(chan struct{}), make(chan struct{})
				pair := func(mine, other chan struct{}) func(context.Context) (int, error) {
					return func(ctx context.Context) (int, error) {
						close(mine)
						select {
						case <-other:
							return 1, nil
						case <-ctx.Done():
							return 0, context.Cause(ctx)
						}
					}
				}
				fs := make([]*Future[int], 2)
				var wg sync.WaitGroup
				wg.Go(func() { fs[0] = Submit(ctx, p, pair(a, b)) })
				wg.Go(func() { fs[1] = Submit(ctx, p, pair(b, a)) })
				wg.Wait()
				for _, f := range fs {
					if _, err := f.Result(ctx); err != nil {
						require.FailNow(t, "a task of the pair was left waiting",
							"round %d: %v; stats %+v", round, err, p.Stats())
					}
				}
			}
		})
	}
}

// TestQueueRingFollowsItsTasks checks that the ring's memory follows the
// tasks in it: tasks that leave early give their slots back as it grows, and
// it shrinks as it empties.
func TestQueueRingFollowsItsTasks(t *testing.T) {
	const n = 10_000
	q := newQueue(math.MaxInt, 1, func(*worker, task) {})
	require.Equal(t, pushed, q.tryPush(&numbered{})) // starts the worker
	tasks := make([]*numbered, n)
	for i := range tasks {
		tasks[i] = &numbered{n: i}
		require.Equal(t, pushed, q.tryPush(tasks[i]))
	}
	assert.LessOrEqual(t, len(q.ring), 2*n)
	for i := 0; i < n; i += 2 {
		require.True(t, q.remove(tasks[i]))
	}
	// Room for the removed ones, without growing.
	size := len(q.ring)
	for i := range n / 2 {
		require.Equal(t, pushed, q.tryPush(&numbered{n: n + i}))
	}
	assert.Equal(t, size, len(q.ring), "the ring grew with half its tasks gone")
	for i := 1; i < n; i += 2 {
		assert.Equal(t, i, q.pop().(*numbered).n, "first in, first out")
	}
	for range n / 2 {
		require.NotNil(t, q.pop())
	}
	assert.Nil(t, q.pop())
	assert.LessOrEqual(t, len(q.ring), shrinkAbove, "the ring of an empty queue")
}

// TestQueueFindOwned checks findOwned, which looks from where it last found
// a task of the group, against a model of the list: after every step of a
// random mix of pushes and held pushes of two groups' tasks, pops, removals
// and lookups, across the ring's growth, shrinking and emptying, it returns
// the oldest task of the group in the list.
func TestQueueFindOwned(t *testing.T) {
	groups := []*testOwner{{}, {}}
	rng := rand.New(rand.NewPCG(1, 2))
	q := newQueue(4, 1, func(*worker, task) {})
	require.Equal(t, pushed, q.tryPush(&numbered{})) // starts the worker
	var model []*numbered                            // the list, oldest first
	oldest := func(o *testOwner) task {
		for _, t := range model {
			if t.o == o {
				return t
			}
		}
		return nil
	}
	for i := range 200_000 {
		// Phases of growth to thousands of tasks, and of shrinking.
		grow := i/20_000%2 == 0
		switch op := rng.IntN(10); {
		case op < 4 || grow && op < 6:
			nt := &numbered{n: i, o: groups[rng.IntN(2)]}
			if q.hold(nt) == pushed {
				model = append(model, nt)
			}
		case op < 6 && len(model) > 0:
			require.Same(t, model[0], q.pop())
			model = model[1:]
		case op < 7 && len(model) > 0:
			j := rng.IntN(len(model))
			require.True(t, q.remove(model[j]))
			model = append(model[:j], model[j+1:]...)
		case op < 8 && !grow && len(model) > 0 && rng.IntN(1000) == 0:
			// Empty the list at times, so that it starts over.
			for range model {
				require.NotNil(t, q.pop())
			}
			model = nil
		default:
			g := groups[rng.IntN(2)]
			want := oldest(g)
			got := q.findOwned(g)
			if want == nil {
				require.Nil(t, got, "step %d", i)
			} else {
				require.Same(t, want, got, "step %d", i)
			}
		}
	}
}

// waiters returns the number of submitters waiting for room.
func (q *queue) waiters() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting
}

// TestQueueReapRetiresOnlyWorkersIdleAllAlong checks that reap retires a
// worker only once it has been idle since reap last ran: one taken for a
// task meanwhile stays, however soon it is idle again; and that a retired
// worker exits, and its index goes to the next worker to start.
func TestQueueReapRetiresOnlyWorkersIdleAllAlong(t *testing.T) {
	m := newQueueModel(2, 0)
	for _, s := range []string{
		"push", "push", // workers 0 and 1 start, with tasks 0 and 1
		"next 0", // worker 0 is idle: the reaper is armed
		"next 1", // and worker 1, since after that
		"reap",   // worker 0 has been idle all along; worker 1 has not
	} {
		m.step(s)
		require.Empty(t, m.check(), "after %s", s)
	}
	require.Len(t, m.q.idle, 1)
	assert.Same(t, m.workers[1].w, m.q.idle[0], "the worker idle for less than a round was retired")
	m.step("park 0")
	assert.True(t, m.workers[0].exited, "the retired worker did not exit")
	assert.Equal(t, []int{0}, m.q.free)

	for _, s := range []string{
		"push", "park 1", // worker 1, idle all along, takes task 2
		"next 1", // and is idle again
		"reap",   // so it has not been idle all along
	} {
		m.step(s)
		require.Empty(t, m.check(), "after %s", s)
	}
	require.Len(t, m.q.idle, 1, "the worker taken meanwhile was retired")

	m.step("reap") // worker 1 has now been idle since the last reap
	m.step("park 1")
	assert.True(t, m.workers[1].exited)
	assert.Zero(t, m.q.started)
	assert.False(t, m.q.reaping, "the reaper is armed with no worker idle")

	m.step("push") // a new worker, with index 0
	require.Len(t, m.workers, 3)
	assert.Equal(t, 0, m.workers[2].w.index)
	m.step("next 2")
	m.step("close")
	m.step("park 2")
	assert.Empty(t, m.final())
}

// queued returns the tasks in the list.
func (q *queue) queued() int {
	var s Stats
	q.stats(&s)
	return s.Queued
}

// liveAndQueued returns the worker goroutines not yet exited and the tasks in
// the list.
func (q *queue) liveAndQueued() (live, queued int) {
	var s Stats
	q.stats(&s)
	return s.Workers, s.Queued
}
