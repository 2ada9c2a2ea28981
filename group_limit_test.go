package futures_test

// The rules of WithLimit, each checked on every way into a group that it
// names. Run them alone with
//
//	go test -race -count=5 -run 'TestGroupLimit' .

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/go-futures/futures"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// glTry reports whether e never waits and may refuse: TryGo and TrySubmit.
func glTry(e grEntry) bool { return e.name == "TryGo" || e.name == "TrySubmit" }

// glWaits reports whether e waits for a slot: Submit, Map, MapSlice, Any.
func glWaits(e grEntry) bool { return e.ctx && e.name != "TrySubmit" }

// glAdd calls e.add on a goroutine of its own, as one that waits for a slot
// would block the test, and returns a channel closed once it has returned and
// its done channel is closed.
func glAdd(e grEntry, ctx context.Context, g *futures.Group, fn func(context.Context) error) <-chan struct{} {
	return grOnGoroutine(func() { <-e.add(ctx, g, fn) })
}

// glEach runs body for every entry of grEntries that keep accepts (all if
// keep is nil), each as a subtest in a synctest bubble of its own.
func glEach(t *testing.T, keep func(grEntry) bool, body func(t *testing.T, e grEntry)) {
	for _, e := range grEntries {
		if keep != nil && !keep(e) {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { body(t, e) })
		})
	}
}

// A gauge counts the tasks running at once and the most there were.
type gauge struct {
	running, peak, ran atomic.Int64
}

func (c *gauge) enter() {
	c.ran.Add(1)
	n := c.running.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
}

func (c *gauge) leave() { c.running.Add(-1) }

// task is a task that c counts, and that returns at once.
func (c *gauge) task(context.Context) error {
	c.enter()
	c.leave()
	return nil
}

// At most n tasks of the group run at once, however they were added, on a
// pool with more workers than that; a task that waits for a slot starts as
// one is given up.
func TestGroupLimitRuleBound(t *testing.T) {
	const limit, tasks = 2, 8
	glEach(t, nil, func(t *testing.T, e grEntry) {
		p := futures.NewTestPool(t, futures.WithWorkers(4), futures.WithQueueSize(16))
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(limit))
		gate := make(chan struct{})
		var c gauge
		fn := func(context.Context) error {
			c.enter()
			defer c.leave()
			<-gate
			return nil
		}
		dones := make([]<-chan struct{}, tasks)
		for i := range dones {
			dones[i] = glAdd(e, gcBG, g, fn)
		}
		synctest.Wait()
		assert.Equal(t, int64(limit), c.running.Load(), "tasks running while more wait")
		close(gate)
		for _, done := range dones {
			<-done
		}
		require.NoError(t, g.Wait())
		assert.LessOrEqual(t, c.peak.Load(), int64(limit), "tasks of the group running at once")
		want := int64(tasks)
		if glTry(e) {
			// Refused at the limit: the first two only.
			want = limit
		}
		assert.Equal(t, want, c.ran.Load(), "tasks run")
	})
}

// Go never waits: beyond the limit the group holds its tasks, which take
// none of the pool's queue and leave the other workers to other work.
func TestGroupLimitRuleGoHoldsOutsideThePool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(1))
		gate := make(chan struct{})
		var order []int
		var mu sync.Mutex
		for i := range 100 {
			g.Go(func(context.Context) error {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				<-gate
				return nil
			})
		}
		synctest.Wait()
		assert.Equal(t, 1, p.Stats().Busy, "workers busy with the group")
		assert.Zero(t, p.Stats().Queued, "held tasks in the pool's queue")
		// The other worker serves everyone else, even with no queue.
		v, err := futures.Submit(gcBG, p, func(context.Context) (int, error) { return 7, nil }).Result(gcBG)
		require.NoError(t, err)
		assert.Equal(t, 7, v)
		close(gate)
		require.NoError(t, g.Wait())
		want := make([]int, 100)
		for i := range want {
			want[i] = i
		}
		assert.Equal(t, want, order, "held tasks start in the order added")
	})
}

// At the limit, TryGo returns false and TrySubmit fails with ErrQueueFull,
// and their functions never run; neither fails the group.
func TestGroupLimitRuleTryRefusesAtTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(4), futures.WithQueueSize(16))
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(1))
		gate := make(chan struct{})
		g.Go(func(context.Context) error { <-gate; return nil })
		var ran atomic.Int64
		fn := func(context.Context) error { ran.Add(1); return nil }
		assert.False(t, g.TryGo(fn))
		f, err := futures.TrySubmit(gcBG, g, grValue(fn))
		assert.ErrorIs(t, err, futures.ErrQueueFull)
		assert.Nil(t, f)
		close(gate)
		require.NoError(t, g.Wait())
		assert.Zero(t, ran.Load())
	})
}

// Submit, Map, MapSlice and Any wait for a slot until their ctx ends: the
// task never runs, and that is no failure of the group.
func TestGroupLimitRuleWaitEndsWithItsContext(t *testing.T) {
	glEach(t, glWaits, func(t *testing.T, e grEntry) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(1))
		gate := make(chan struct{})
		g.Go(func(context.Context) error { <-gate; return nil })
		ctx, cancel := context.WithCancel(gcBG)
		var ran atomic.Bool
		done := glAdd(e, ctx, g, func(context.Context) error { ran.Store(true); return nil })
		assert.False(t, grReturnedBy(done), "returned while the group was at its limit")
		cancel()
		assert.True(t, grReturnedBy(done), "still waiting once its ctx ended")
		close(gate)
		require.NoError(t, g.Wait())
		assert.False(t, ran.Load())
	})
}

// A submission waiting for a slot of a group that fails gives up: its task
// never runs, and Wait returns the failure.
func TestGroupLimitRuleWaitEndsWhenTheGroupFails(t *testing.T) {
	boom := errors.New("boom")
	glEach(t, glWaits, func(t *testing.T, e grEntry) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(1))
		gate := make(chan struct{})
		g.Go(func(context.Context) error { <-gate; return boom })
		var ran atomic.Bool
		done := glAdd(e, gcBG, g, func(context.Context) error { ran.Store(true); return nil })
		assert.False(t, grReturnedBy(done))
		close(gate)
		<-done
		assert.ErrorIs(t, g.Wait(), boom)
		assert.False(t, ran.Load())
	})
}

// Held tasks of a group that fails never run; with WithAllErrors they all
// do.
func TestGroupLimitRuleHeldTasksOfAFailedGroup(t *testing.T) {
	boom := errors.New("boom")
	for _, all := range []bool{false, true} {
		t.Run(map[bool]string{false: "FailFast", true: "WithAllErrors"}[all], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := futures.NewTestPool(t, futures.WithWorkers(2))
				opts := []futures.GroupOption{futures.WithLimit(1)}
				if all {
					opts = append(opts, futures.WithAllErrors())
				}
				g, _ := futures.NewGroup(gcBG, p, opts...)
				gate := make(chan struct{})
				g.Go(func(context.Context) error { <-gate; return boom })
				var ran atomic.Int64
				for range 10 {
					g.Go(func(context.Context) error { ran.Add(1); return nil })
				}
				close(gate)
				assert.ErrorIs(t, g.Wait(), boom)
				if all {
					assert.Equal(t, int64(10), ran.Load())
				} else {
					assert.Zero(t, ran.Load())
				}
			})
		})
	}
}

// From a task of the group, with its context, adding a task at the limit
// never deadlocks, even on one worker with no queue: the task runs at once in
// the adder's place (Submit, Map, MapSlice, Any), or is held until the adder
// completes (Go), or is refused (TryGo, TrySubmit).
func TestGroupLimitRuleFromATaskOfTheGroup(t *testing.T) {
	glEach(t, nil, func(t *testing.T, e grEntry) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(1))
		var c gauge
		child := c.task
		var inPlace atomic.Bool
		g.Go(func(ctx context.Context) error {
			c.enter()
			defer c.leave()
			<-e.add(ctx, g, child)
			inPlace.Store(c.ran.Load() == 2)
			return nil
		})
		require.NoError(t, g.Wait())
		switch {
		case glTry(e):
			assert.Equal(t, int64(1), c.ran.Load(), "refused at the limit")
		case e.name == "Go":
			assert.Equal(t, int64(2), c.ran.Load())
			assert.False(t, inPlace.Load(), "Go ran its task before returning")
			assert.Equal(t, int64(1), c.peak.Load(), "tasks of the group running at once")
		default:
			assert.True(t, inPlace.Load(), "the child did not run in the adder's place")
			// The adder waits while the child runs in
			// its place: both count as one.
			assert.Equal(t, int64(2), c.peak.Load(), "the adder, and the child in its place")
		}
	})
}

// Tasks that each add the next to their own group limited to 1, on one
// worker with no queue, and wait for it, complete, at any depth, and take
// time in proportion to the depth: 10,000 levels take well under a second
// (a cost per level that grew with the depth, as it once did for Any, takes
// minutes).
func TestGroupLimitRuleNesting(t *testing.T) {
	depth := 10_000
	if testing.Short() {
		depth = 1000
	}
	for _, e := range grEntries {
		if !glWaits(e) {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
			g, gctx := futures.NewGroup(gcBG, p, futures.WithLimit(1))
			var level func(n int) func(context.Context) error
			var deepest atomic.Int64
			level = func(n int) func(context.Context) error {
				return func(ctx context.Context) error {
					deepest.Store(int64(n))
					if n < depth {
						<-e.add(ctx, g, level(n+1))
					}
					return nil
				}
			}
			<-e.add(gctx, g, level(1))
			require.NoError(t, g.Wait())
			assert.Equal(t, int64(depth), deepest.Load())
		})
	}
}

// A task outside the group that adds to it at the limit, with its own
// context, never deadlocks the pool, nor takes the group past its limit: it
// runs the group's queued tasks in its place while it waits.
func TestGroupLimitRuleFromATaskOutsideTheGroup(t *testing.T) {
	glEach(t, glWaits, func(t *testing.T, e grEntry) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(1))
		var c gauge
		fn := c.task
		f := futures.Submit(gcBG, p, func(ctx context.Context) (int, error) {
			g.Go(fn) // takes the slot, and waits in the queue
			for range 3 {
				<-e.add(ctx, g, fn)
			}
			return 0, nil
		})
		_, err := f.Result(gcBG)
		require.NoError(t, err)
		require.NoError(t, g.Wait())
		assert.Equal(t, int64(4), c.ran.Load())
		assert.Equal(t, int64(1), c.peak.Load(), "tasks of the group running at once")
	})
}

// A task that waits for a task of its group, and so runs it in its place,
// does not count while it waits: another task of the group may start.
func TestGroupLimitRuleWaiterDoesNotCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		// The second worker is busy with other work until release.
		release := grHold(t, p, 1)
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(2))
		third := make(chan struct{})
		g.Go(func(ctx context.Context) error {
			// The second task, queued: the group is at its limit.
			f := futures.Submit(ctx, g, func(context.Context) (int, error) {
				<-third // ... until the third task starts
				return 2, nil
			})
			// Beyond the limit: held.
			g.Go(func(context.Context) error { close(third); return nil })
			// This waits for f, running it in its place, and so
			// gives up f's slot to the third task.
			_, err := f.Result(ctx)
			return err
		})
		synctest.Wait()
		release()
		require.NoError(t, g.Wait())
	})
}

// A limit below 1 makes the group invalid; math.MaxInt is no limit.
func TestGroupLimitRuleValues(t *testing.T) {
	for _, n := range []int{0, -1, math.MinInt} {
		p := futures.NewTestPool(t, futures.WithWorkers(1))
		g, ctx := futures.NewGroup(gcBG, p, futures.WithLimit(n))
		for _, e := range grEntries {
			ran := false
			<-e.add(gcBG, g, func(context.Context) error { ran = true; return nil })
			assert.False(t, ran, "WithLimit(%d): %s ran its task", n, e.name)
		}
		assert.ErrorIs(t, g.Wait(), futures.ErrInvalidOption, "WithLimit(%d)", n)
		assert.ErrorIs(t, context.Cause(ctx), futures.ErrInvalidOption)
	}
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(3))
		g, _ := futures.NewGroup(gcBG, p, futures.WithLimit(math.MaxInt))
		gate := make(chan struct{})
		var c gauge
		for range 3 {
			g.Go(func(context.Context) error { c.enter(); defer c.leave(); <-gate; return nil })
		}
		synctest.Wait()
		assert.Equal(t, int64(3), c.running.Load())
		close(gate)
		require.NoError(t, g.Wait())
	})
}

type glKey struct{}

// A task of a group sees its context done once the group fails, whatever
// context it was submitted with, with the group's failure as the cause; its
// values are those of the context it was given.
func TestGroupRuleOneContext(t *testing.T) {
	boom := errors.New("boom")
	glEach(t, nil, func(t *testing.T, e grEntry) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		g, _ := futures.NewGroup(gcBG, p)
		ctx := context.WithValue(gcBG, glKey{}, "v")
		var cause error
		var value any
		started := make(chan struct{})
		done := e.add(ctx, g, func(ctx context.Context) error {
			value = ctx.Value(glKey{})
			close(started)
			<-ctx.Done()
			cause = context.Cause(ctx)
			return nil
		})
		<-started
		g.Go(func(context.Context) error { return boom })
		<-done
		assert.ErrorIs(t, g.Wait(), boom)
		assert.ErrorIs(t, cause, boom)
		if e.ctx {
			assert.Equal(t, "v", value)
		}
	})
}

// The same holds for the end of the group's parent context; and with
// WithAllErrors, a failure leaves the tasks' contexts alone.
func TestGroupRuleOneContextParentAndAllErrors(t *testing.T) {
	boom := errors.New("boom")
	glEach(t, func(e grEntry) bool { return e.ctx }, func(t *testing.T, e grEntry) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		parent, cancel := context.WithCancelCause(gcBG)
		g, _ := futures.NewGroup(parent, p)
		var cause error
		started := make(chan struct{})
		done := e.add(gcBG, g, func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			cause = context.Cause(ctx)
			return nil
		})
		<-started
		cancel(boom)
		<-done
		assert.ErrorIs(t, g.Wait(), boom)
		assert.ErrorIs(t, cause, boom)

		g, _ = futures.NewGroup(gcBG, p, futures.WithAllErrors())
		gate := make(chan struct{})
		var err error
		started = make(chan struct{})
		done = e.add(gcBG, g, func(ctx context.Context) error {
			close(started)
			<-gate
			err = ctx.Err()
			return nil
		})
		<-started
		g.Go(func(context.Context) error { return boom })
		synctest.Wait()
		close(gate)
		<-done
		assert.ErrorIs(t, g.Wait(), boom)
		assert.NoError(t, err, "WithAllErrors: a failure ended a task's context")
	})
}

// The context of a task submitted with a context that does not derive from
// the group's ends as the task completes: it holds on to neither.
func TestGroupRuleOneContextEndsWithTheTask(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1))
	g, _ := futures.NewGroup(gcBG, p)
	parent, cancel := context.WithCancel(gcBG)
	defer cancel()
	var got context.Context
	_, err := futures.Submit(parent, g, func(ctx context.Context) (int, error) {
		got = ctx
		return 0, ctx.Err()
	}).Result(gcBG)
	require.NoError(t, err)
	assert.Error(t, got.Err(), "the task's context outlived it")
	assert.NoError(t, parent.Err())
	require.NoError(t, g.Wait())
}

// A limited group made in a task, on one worker with no queue, is waited for
// with help: the tasks it held run one by one in the waiting task's place.
func TestGroupLimitRuleWaitRunsHeldTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		var c gauge
		_, err := futures.Submit(gcBG, p, func(ctx context.Context) (int, error) {
			g, _ := futures.NewGroup(ctx, p, futures.WithLimit(1))
			for range 5 {
				g.Go(c.task)
			}
			return 0, g.Wait()
		}).Result(gcBG)
		require.NoError(t, err)
		assert.Equal(t, int64(5), c.ran.Load())
	})
}
