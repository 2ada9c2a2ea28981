package futures_test

// Tests of the contract of Group and Any, from outside the package, as a user
// would write them against the docs: one or more per promise, and the
// adversarial cases (nesting, scale, retention, bad input, interleavings).
// Run them alone with
//
//	go test -race -count=3 -run 'TestGroupContract|TestAnyContract' .

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-futures/futures"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var gcBG = context.Background()

// gcNop is a task that does nothing; it captures nothing, so holding it
// allocates nothing.
func gcNop(context.Context) error { return nil }

// gcBound records how many tasks run at once, overall and per worker index,
// and how many reported no index: those run in the place of a task that
// waits for them.
type gcBound struct {
	mu       sync.Mutex
	active   int
	peak     int
	perIndex map[int]int
	noIndex  int
	bad      []string
}

func (b *gcBound) enter(ctx context.Context) {
	i, ok := futures.WorkerIndex(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active++
	b.peak = max(b.peak, b.active)
	if !ok {
		b.noIndex++
		return
	}
	if b.perIndex == nil {
		b.perIndex = map[int]int{}
	}
	b.perIndex[i]++
	if b.perIndex[i] > 1 {
		b.bad = append(b.bad, "two tasks ran at once with the same WorkerIndex")
	}
}

func (b *gcBound) leave(ctx context.Context) {
	i, ok := futures.WorkerIndex(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active--
	if ok {
		b.perIndex[i]--
	}
}

// --- 1. Go runs fn on the pool's workers with the group's context ----------

func TestGroupContractGoRunsOnWorkersWithGroupContext(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(2))
	type key struct{}
	parent := context.WithValue(gcBG, key{}, "v")
	g, gctx := futures.NewGroup(parent, p)
	require.NoError(t, gctx.Err(), "the group's context is done before Wait")
	assert.Equal(t, "v", gctx.Value(key{}), "the group's context is derived from ctx")
	var ran atomic.Int32
	for range 20 {
		g.Go(func(ctx context.Context) error {
			switch {
			case ctx.Value(key{}) != "v":
				return errors.New("the task's context is not derived from the parent")
			case ctx.Done() != gctx.Done():
				return errors.New("the task's context is not the group's")
			}
			if _, ok := futures.WorkerIndex(ctx); !ok {
				return errors.New("the task did not run on a worker")
			}
			ran.Add(1)
			return nil
		})
	}
	require.NoError(t, g.Wait())
	assert.Equal(t, int32(20), ran.Load())
	require.Error(t, gctx.Err(), "the group's context must be done once Wait has returned")
	assert.ErrorIs(t, context.Cause(gctx), context.Canceled)
}

// --- 1, 4. Wait waits for every task, however added ------------------------

func TestGroupContractWaitWaitsForTasksHoweverAdded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(16))
		g, gctx := futures.NewGroup(gcBG, p)
		gate := make(chan struct{})
		var ran atomic.Int32
		task := func(context.Context) error { <-gate; ran.Add(1); return nil }
		ftask := func(context.Context) (int, error) { <-gate; ran.Add(1); return 1, nil }

		g.Go(task)
		require.True(t, g.TryGo(task), "a worker could start for it")
		f1 := futures.Submit(gcBG, g, ftask)
		f2, err := futures.TrySubmit(gcBG, g, ftask)
		require.NoError(t, err)
		var added []*futures.Future[int]
		var addedMu sync.Mutex
		// A task that adds tasks while Wait waits.
		g.Go(func(ctx context.Context) error {
			<-gate
			g.Go(task)
			f := futures.Submit(ctx, g, ftask)
			addedMu.Lock()
			added = append(added, f)
			addedMu.Unlock()
			ran.Add(1)
			return nil
		})
		mapped := make(chan []int, 1)
		go func() {
			out, _ := futures.MapSlice(gcBG, g, []int{1, 2}, func(_ context.Context, i int) (int, error) {
				<-gate
				ran.Add(1)
				return i, nil
			})
			mapped <- out
		}()
		var mapRes []int
		mapDone := make(chan struct{})
		go func() {
			defer close(mapDone)
			for v, err := range futures.Map(gcBG, g, slices.Values([]int{3, 4}), func(_ context.Context, i int) (int, error) {
				<-gate
				ran.Add(1)
				return i, nil
			}) {
				if err == nil {
					mapRes = append(mapRes, v)
				}
			}
		}()

		waited := make(chan error, 1)
		go func() { waited <- g.Wait() }()
		synctest.Wait()
		require.Empty(t, waited, "Wait returned while tasks of the group were blocked")
		require.NoError(t, gctx.Err())
		close(gate)
		require.NoError(t, <-waited)
		// Go, TryGo, Submit, TrySubmit, the adder and its 2, MapSlice 2, Map 2.
		assert.Equal(t, int32(11), ran.Load(), "Wait returned before every task had run")
		for _, f := range append([]*futures.Future[int]{f1, f2}, added...) {
			assert.Equal(t, futures.Finished, f.State(), "a future of the group is not complete after Wait")
		}
		assert.Equal(t, []int{1, 2}, <-mapped)
		<-mapDone
		assert.Equal(t, []int{3, 4}, mapRes)
	})
}

// --- 2. Fail-fast ----------------------------------------------------------

func TestGroupContractFailFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(8))
		g, gctx := futures.NewGroup(gcBG, p)
		boom := errors.New("boom")
		gate := make(chan struct{})
		sawCause := make(chan error, 1)
		g.Go(func(ctx context.Context) error { // running: sees its context done
			<-ctx.Done()
			sawCause <- context.Cause(ctx)
			return errors.New("a later failure, not the first")
		})
		g.Go(func(context.Context) error { <-gate; return boom })
		var queuedRuns atomic.Int32
		g.Go(func(context.Context) error { queuedRuns.Add(1); return nil })
		f := futures.Submit(gcBG, g, func(context.Context) (int, error) { queuedRuns.Add(1); return 1, nil })
		ft, err := futures.TrySubmit(gcBG, g, func(context.Context) (int, error) { queuedRuns.Add(1); return 1, nil })
		require.NoError(t, err)
		synctest.Wait()
		require.Equal(t, 2, p.Stats().Busy)
		require.Equal(t, 3, p.Stats().Queued)

		close(gate)
		<-gctx.Done()
		assert.Same(t, boom, context.Cause(gctx), "the first failure is the cause of the group's context")
		// Go once the group has failed: fn never runs.
		g.Go(func(context.Context) error { queuedRuns.Add(1); return nil })
		assert.False(t, g.TryGo(func(context.Context) error { queuedRuns.Add(1); return nil }))

		assert.Same(t, boom, g.Wait())
		assert.Same(t, boom, <-sawCause)
		assert.Same(t, boom, context.Cause(gctx))
		assert.Zero(t, queuedRuns.Load(), "a task queued when the group failed ran")
		for _, f := range []*futures.Future[int]{f, ft} {
			assert.Equal(t, futures.Cancelled, f.State())
			assert.ErrorIs(t, f.Err(), futures.ErrCancelled)
		}
		assert.Same(t, boom, g.Wait(), "a second Wait returns the same error")
	})
}

// Many tasks fail at once: Wait returns one of their errors, the very one
// that is the cause of the group's context, and every queued task is
// skipped.
func TestGroupContractFirstFailureIsTheCause(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(4))
	for range rounds {
		g, gctx := futures.NewGroup(gcBG, p)
		gate := make(chan struct{})
		errs := make([]error, 4)
		for i := range errs {
			errs[i] = errors.New("failure")
			g.Go(func(context.Context) error { <-gate; return errs[i] })
		}
		var wg sync.WaitGroup
		// Helpers that fail from outside too: Submit and a panic.
		wg.Go(func() {
			<-gate
			futures.Submit(gcBG, g, func(context.Context) (int, error) { panic("p") })
		})
		close(gate)
		err := g.Wait()
		wg.Wait()
		require.Error(t, err)
		require.Equal(t, context.Cause(gctx), err, "Wait's error is not the cause of the group's context")
	}
}

// --- 3. Panic and Goexit ---------------------------------------------------

func TestGroupContractPanicAndGoexitFailTheGroup(t *testing.T) {
	oops := errors.New("oops")
	tasks := map[string]func(context.Context) error{
		"panic":        func(context.Context) error { panic(oops) },
		"panicNil":     func(context.Context) error { panic(nil) },
		"goexit":       func(context.Context) error { runtime.Goexit(); return nil },
		"panicString":  func(context.Context) error { panic("str") },
		"goexitAfter1": func(ctx context.Context) error { defer runtime.Goexit(); return nil },
	}
	check := func(t *testing.T, name string, err error) {
		t.Helper()
		require.Error(t, err, "the group lost the failure")
		if name == "goexit" || name == "goexitAfter1" {
			assert.ErrorIs(t, err, futures.ErrGoexit)
			return
		}
		var pe *futures.PanicError
		require.ErrorAs(t, err, &pe)
		if name == "panic" {
			assert.ErrorIs(t, err, oops)
		}
	}
	for name, fn := range tasks {
		t.Run(name+"/Go", func(t *testing.T) {
			p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
			g, gctx := futures.NewGroup(gcBG, p)
			g.Go(fn)
			err := g.Wait()
			check(t, name, err)
			assert.Equal(t, err, context.Cause(gctx))
			// The pool still works.
			v, err := futures.Submit(gcBG, p, func(context.Context) (int, error) { return 7, nil }).Result(gcBG)
			require.NoError(t, err)
			assert.Equal(t, 7, v)
		})
		t.Run(name+"/Submit", func(t *testing.T) {
			p := futures.NewTestPool(t, futures.WithWorkers(1))
			g, _ := futures.NewGroup(gcBG, p)
			f := futures.Submit(gcBG, g, func(ctx context.Context) (int, error) { return 0, fn(ctx) })
			check(t, name, g.Wait())
			check(t, name, f.Err())
		})
		t.Run(name+"/HelpedInTask", func(t *testing.T) {
			p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
			err := futures.InTask(t, p, func(ctx context.Context) error {
				g, _ := futures.NewGroup(ctx, p, futures.WithAllErrors())
				var after atomic.Int32
				g.Go(fn)
				g.Go(func(context.Context) error { after.Add(1); return nil })
				err := g.Wait()
				if after.Load() != 1 {
					return errors.New("WithAllErrors: a task after the failing one did not run")
				}
				return err
			})
			check(t, name, err)
		})
	}
}

// --- 4. Futures of Submit, TrySubmit, Map and MapSlice belong to the group --

func TestGroupContractExecutorFuturesFailTheGroup(t *testing.T) {
	boom := errors.New("boom")
	fail := func(context.Context) (int, error) { return 0, boom }
	cases := map[string]func(g *futures.Group){
		"Submit": func(g *futures.Group) { futures.Submit(gcBG, g, fail) },
		"TrySubmit": func(g *futures.Group) {
			for {
				if _, err := futures.TrySubmit(gcBG, g, fail); err == nil {
					return
				}
				runtime.Gosched()
			}
		},
		"MapSlice": func(g *futures.Group) {
			futures.MapSlice(gcBG, g, []int{1, 2, 3}, func(_ context.Context, i int) (int, error) {
				if i == 2 {
					return 0, boom
				}
				return i, nil
			})
		},
		"Map": func(g *futures.Group) {
			for range futures.Map(gcBG, g, slices.Values([]int{1, 2, 3}), func(_ context.Context, i int) (int, error) {
				if i == 3 {
					return 0, boom
				}
				return i, nil
			}) {
			}
		},
	}
	for name, add := range cases {
		t.Run(name, func(t *testing.T) {
			p := futures.NewTestPool(t, futures.WithWorkers(2))
			g, gctx := futures.NewGroup(gcBG, p)
			add(g)
			assert.ErrorIs(t, g.Wait(), boom)
			assert.ErrorIs(t, context.Cause(gctx), boom)
		})
	}
}

// Breaking out of Map on a group cancels the tasks left with Future.Cancel,
// which is not a failure.
func TestGroupContractMapBreakIsNotAFailure(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(8))
	g, _ := futures.NewGroup(gcBG, p)
	for range futures.Map(gcBG, g, slices.Values([]int{1, 2, 3, 4, 5, 6}),
		func(_ context.Context, i int) (int, error) { return i, nil }, futures.WithBuffer(6)) {
		break
	}
	assert.NoError(t, g.Wait())
}

// --- 5. WithAllErrors ------------------------------------------------------

func TestGroupContractWithAllErrorsRunsEveryTask(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
	g, gctx := futures.NewGroup(gcBG, p, futures.WithAllErrors())
	e1, e2, e3 := errors.New("e1"), errors.New("e2"), errors.New("e3")
	var ran atomic.Int32
	ctxDone := make(chan bool, 1)
	g.Go(func(context.Context) error { ran.Add(1); return e1 })
	g.Go(func(context.Context) error { ran.Add(1); return nil })
	g.Go(func(context.Context) error { ran.Add(1); panic(e2) })
	f := futures.Submit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, e3 })
	g.Go(func(context.Context) error { ran.Add(1); runtime.Goexit(); return nil })
	g.Go(func(ctx context.Context) error { ran.Add(1); ctxDone <- ctx.Err() != nil; return nil })
	err := g.Wait()
	assert.Equal(t, int32(6), ran.Load(), "WithAllErrors: every task runs")
	assert.False(t, <-ctxDone, "WithAllErrors: an error cancelled the group's context")
	require.Error(t, err)
	for _, want := range []error{e1, e2, e3, futures.ErrGoexit} {
		assert.ErrorIs(t, err, want)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "Wait's error is not an errors.Join")
	got := joined.Unwrap()
	require.Len(t, got, 4)
	// In the order they happened: one worker runs them in order.
	assert.Same(t, e1, got[0])
	assert.ErrorIs(t, got[1], e2)
	assert.Same(t, e3, got[2])
	assert.ErrorIs(t, got[3], futures.ErrGoexit)
	assert.Same(t, e3, f.Err())
	assert.Error(t, gctx.Err(), "the group's context is done once Wait has returned")

	g2, _ := futures.NewGroup(gcBG, p, futures.WithAllErrors())
	g2.Go(gcNop)
	assert.NoError(t, g2.Wait(), "WithAllErrors with no failure")
}

// --- 6. Go never waits; nesting cannot deadlock -----------------------------

// 100k tasks held on a 1-worker pool with no queue: Go returns at once for
// each, the held tasks take the queue's room, and all run on the worker.
func TestGroupContractGoHoldsHundredThousandTasks(t *testing.T) {
	const n = 100_000
	p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
	g, _ := futures.NewGroup(gcBG, p)
	_, release := futures.HoldWorker(t, g)
	var ran, offWorker atomic.Int32
	task := func(ctx context.Context) error {
		if i, ok := futures.WorkerIndex(ctx); !ok || i != 0 {
			offWorker.Add(1)
		}
		ran.Add(1)
		return nil
	}
	added := make(chan struct{})
	go func() {
		defer close(added)
		for range n {
			g.Go(task)
		}
	}()
	select {
	case <-added:
	case <-time.After(20 * time.Second): // a bound on failure only
		release()
		t.Fatal("Go waited for room")
	}
	assert.Zero(t, ran.Load(), "a held task ran on the caller's goroutine")
	s := p.Stats()
	assert.Equal(t, n, s.Queued)
	assert.Equal(t, 1, s.Workers)
	// The held tasks take the room: nothing else gets in.
	_, err := futures.TrySubmit(gcBG, p, func(context.Context) (int, error) { return 0, nil })
	assert.ErrorIs(t, err, futures.ErrQueueFull)
	assert.False(t, g.TryGo(task))
	release()
	require.NoError(t, g.Wait())
	assert.Equal(t, int32(n), ran.Load())
	assert.Zero(t, offWorker.Load())
}

// A held task costs about 100 bytes besides its function.
func TestGroupContractHeldTaskCostsAbout100Bytes(t *testing.T) {
	const n = 50_000
	p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
	g, _ := futures.NewGroup(gcBG, p)
	_, release := futures.HoldWorker(t, g)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		g.Go(gcNop)
	}
	runtime.ReadMemStats(&after)
	perTask := float64(after.TotalAlloc-before.TotalAlloc) / n
	release()
	require.NoError(t, g.Wait())
	t.Logf("%.0f bytes allocated per held task", perTask)
	assert.Less(t, perTask, 200.0, "a held task costs far more than about 100 bytes")
}

type gcNode struct{ kids []*gcNode }

func gcTree(depth, fan int) (*gcNode, int) {
	n := &gcNode{}
	count := 1
	if depth > 0 {
		for range fan {
			k, c := gcTree(depth-1, fan)
			n.kids = append(n.kids, k)
			count += c
		}
	}
	return n, count
}

func gcWalk(g *futures.Group, n *gcNode, visited *atomic.Int64, b *gcBound) func(context.Context) error {
	return func(ctx context.Context) error {
		b.enter(ctx)
		visited.Add(1)
		b.leave(ctx)
		for _, k := range n.kids {
			g.Go(gcWalk(g, k, visited, b))
		}
		return nil
	}
}

func TestGroupContractTreeWalkOnOneWorker(t *testing.T) {
	root, count := gcTree(6, 4) // 5461 nodes
	t.Run("FromOutside", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p)
		var visited atomic.Int64
		var b gcBound
		g.Go(gcWalk(g, root, &visited, &b))
		require.NoError(t, g.Wait())
		assert.Equal(t, int64(count), visited.Load())
		assert.Equal(t, 1, b.peak)
		assert.Empty(t, b.bad)
	})
	t.Run("InTask", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		var visited atomic.Int64
		var b gcBound
		err := futures.InTask(t, p, func(ctx context.Context) error {
			g, _ := futures.NewGroup(ctx, p)
			g.Go(gcWalk(g, root, &visited, &b))
			return g.Wait()
		})
		require.NoError(t, err)
		assert.Equal(t, int64(count), visited.Load())
		assert.Equal(t, 1, b.peak)
		assert.Empty(t, b.bad)
	})
}

// A chain 10k deep: each task adds the next.
func TestGroupContractChainTenThousandDeep(t *testing.T) {
	const depth = 10_000
	var chain func(g *futures.Group, n int, count *atomic.Int32) func(context.Context) error
	chain = func(g *futures.Group, n int, count *atomic.Int32) func(context.Context) error {
		return func(context.Context) error {
			count.Add(1)
			if n > 1 {
				g.Go(chain(g, n-1, count))
			}
			return nil
		}
	}
	t.Run("FromOutside", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p)
		var count atomic.Int32
		g.Go(chain(g, depth, &count))
		require.NoError(t, g.Wait())
		assert.Equal(t, int32(depth), count.Load())
	})
	t.Run("InTask", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		var count atomic.Int32
		require.NoError(t, futures.InTask(t, p, func(ctx context.Context) error {
			g, _ := futures.NewGroup(ctx, p)
			g.Go(chain(g, depth, &count))
			return g.Wait()
		}))
		assert.Equal(t, int32(depth), count.Load())
	})
}

// Groups nested 10k deep, each made in a task of the one above with the
// task's context, on one worker with no queue.
func TestGroupContractNestedGroupsTenThousandDeep(t *testing.T) {
	depth := 10_000
	if raceEnabledHint() {
		depth = 3_000 // a goroutine per level; the race detector makes each dear
	}
	p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
	var deepest atomic.Int32
	var level func(ctx context.Context, n int) error
	level = func(ctx context.Context, n int) error {
		// The worker runs the first level; each waiter runs the next in
		// its place, on its behalf, and keeps the index.
		if i, ok := futures.WorkerIndex(ctx); ok != (n == depth) || i != 0 {
			return fmt.Errorf("level %d: WorkerIndex = %d, %v", n, i, ok)
		}
		if n == 0 {
			deepest.Add(1)
			return nil
		}
		g, _ := futures.NewGroup(ctx, p)
		g.Go(func(ctx context.Context) error { return level(ctx, n-1) })
		return g.Wait()
	}
	require.NoError(t, futures.InTask(t, p, func(ctx context.Context) error { return level(ctx, depth) }))
	assert.Equal(t, int32(1), deepest.Load())
}

// raceEnabledHint reports whether the binary was built with -race. It only
// scales a test down.
func raceEnabledHint() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// A task holding a lock waits for its group while an unrelated task queued
// ahead of the group's tasks needs the lock: Wait must run only the group's
// own tasks in the task's place.
func TestGroupContractHelpingRunsOnlyTheGroupsTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(8))
		lock := make(chan struct{}, 1) // a lock that synctest sees blocking
		var strangerRan, otherGroupRan atomic.Int32
		var own atomic.Int32
		var other *futures.Group
		var stranger *futures.Future[int]
		err := futures.InTask(t, p, func(ctx context.Context) error {
			lock <- struct{}{}
			// Queued ahead of the group's tasks, both need the lock.
			stranger = futures.Submit(gcBG, p, func(context.Context) (int, error) {
				lock <- struct{}{}
				strangerRan.Add(1)
				<-lock
				return 0, nil
			})
			other, _ = futures.NewGroup(gcBG, p)
			other.Go(func(context.Context) error {
				lock <- struct{}{}
				otherGroupRan.Add(1)
				<-lock
				return nil
			})
			g, _ := futures.NewGroup(ctx, p)
			for range 3 {
				g.Go(func(ctx context.Context) error {
					own.Add(1)
					g.Go(func(context.Context) error { own.Add(1); return nil })
					return nil
				})
			}
			futures.Submit(ctx, g, func(context.Context) (int, error) { own.Add(1); return 0, nil })
			err := g.Wait()
			if strangerRan.Load()+otherGroupRan.Load() != 0 {
				err = errors.Join(err, errors.New("Wait ran a task of another group or of none"))
			}
			<-lock
			return err
		})
		require.NoError(t, err)
		require.NoError(t, other.Wait())
		_, err = stranger.Result(gcBG)
		require.NoError(t, err)
		assert.Equal(t, int32(7), own.Load())
		assert.Equal(t, int32(1), strangerRan.Load())
		assert.Equal(t, int32(1), otherGroupRan.Load())
	})
}

// The pool's bound and WorkerIndex's exclusivity hold through every way of
// adding tasks to a group, nested groups and Any included.
func TestGroupContractPoolBoundAndWorkerIndexHold(t *testing.T) {
	const workers = 2
	p := futures.NewTestPool(t, futures.WithWorkers(workers), futures.WithQueueSize(0))
	var b gcBound
	work := func(ctx context.Context) { b.enter(ctx); runtime.Gosched(); b.leave(ctx) }
	g, _ := futures.NewGroup(gcBG, p)
	for range 20 {
		g.Go(func(ctx context.Context) error {
			work(ctx)
			inner, _ := futures.NewGroup(ctx, p)
			for range 3 {
				inner.Go(func(ctx context.Context) error {
					work(ctx)
					inner.Go(func(ctx context.Context) error { work(ctx); return nil })
					return nil
				})
				futures.Submit(ctx, inner, func(ctx context.Context) (int, error) { work(ctx); return 0, nil })
			}
			futures.Submit(ctx, g, func(ctx context.Context) (int, error) { work(ctx); return 0, nil })
			_, _ = futures.MapSlice(ctx, inner, []int{1, 2, 3}, func(ctx context.Context, i int) (int, error) {
				work(ctx)
				return i, nil
			})
			_, err := futures.Any(ctx, p,
				func(ctx context.Context) (int, error) { work(ctx); return 0, errors.New("no") },
				func(ctx context.Context) (int, error) { work(ctx); return 1, nil })
			if err != nil {
				return err
			}
			if err := inner.Wait(); err != nil {
				return err
			}
			work(ctx)
			return nil
		})
	}
	require.NoError(t, g.Wait())
	b.mu.Lock()
	defer b.mu.Unlock()
	assert.LessOrEqual(t, b.peak, workers, "more tasks ran at once than the pool has workers")
	assert.Empty(t, b.bad)
}

// Submit to a group waits for room with its context, as on a pool; from a
// task it runs the task in the caller's place instead.
func TestGroupContractSubmitWaitsForRoomWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p, futures.WithAllErrors())
		gate := make(chan struct{})
		g.Go(func(context.Context) error { <-gate; return nil })
		synctest.Wait()
		var ran atomic.Int32
		ctx, cancel := context.WithTimeout(gcBG, time.Second)
		defer cancel()
		start := time.Now()
		f := futures.Submit(ctx, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
		assert.Equal(t, time.Second, time.Since(start), "Submit did not wait for room until its deadline")
		assert.Equal(t, futures.Cancelled, f.State())
		assert.ErrorIs(t, f.Err(), futures.ErrCancelled)
		assert.ErrorIs(t, f.Err(), context.DeadlineExceeded)
		close(gate)
		// From a task of the pool: no room, so it runs in the task's place.
		err := futures.InTask(t, p, func(ctx context.Context) error {
			f := futures.Submit(ctx, g, func(context.Context) (int, error) { ran.Add(1); return 1, nil })
			_, err := f.Result(ctx)
			return err
		})
		require.NoError(t, err)
		assert.Equal(t, int32(1), ran.Load())
		_ = g.Wait() // the cancelled Submit's failure, documented as one
	})
}

// Submit and Map to a group, waiting for room from outside, stop waiting
// once the group fails: the task would never run.
func TestGroupContractSubmitStopsWaitingWhenTheGroupFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p)
		gate := make(chan struct{})
		boom := errors.New("boom")
		g.Go(func(context.Context) error { <-gate; return boom })
		synctest.Wait()
		var ran atomic.Int32
		submitted := make(chan *futures.Future[int], 1)
		go func() {
			submitted <- futures.Submit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
		}()
		mapped := make(chan error, 1)
		go func() {
			_, err := futures.MapSlice(gcBG, g, []int{1, 2}, func(context.Context, int) (int, error) { ran.Add(1); return 0, nil })
			mapped <- err
		}()
		synctest.Wait()
		require.Empty(t, submitted, "Submit did not wait for room")
		close(gate)
		f := <-submitted
		// It may have got room as the worker freed up, just before the
		// failure: it then ends Cancelled as the worker comes to it.
		<-f.Done()
		assert.Equal(t, futures.Cancelled, f.State())
		assert.ErrorIs(t, f.Err(), futures.ErrCancelled)
		assert.ErrorIs(t, f.Err(), boom)
		assert.ErrorIs(t, <-mapped, futures.ErrCancelled)
		assert.Same(t, boom, g.Wait())
		assert.Zero(t, ran.Load())
	})
}

// --- 7. A pool shut down, ShutdownNow'd or broken ---------------------------

func TestGroupContractOnStoppedPool(t *testing.T) {
	initErr := errors.New("init failed")
	cases := map[string]struct {
		stop func(t *testing.T, p *futures.Pool)
		want error
		opts []futures.Option
	}{
		"Shutdown":    {stop: func(t *testing.T, p *futures.Pool) { require.NoError(t, p.Shutdown(gcBG)) }, want: futures.ErrShutdown},
		"ShutdownNow": {stop: func(t *testing.T, p *futures.Pool) { require.NoError(t, p.ShutdownNow(gcBG)) }, want: futures.ErrShutdown},
		"Broken": {
			stop: func(t *testing.T, p *futures.Pool) {
				// Break it with a first task.
				_, err := futures.Submit(gcBG, p, func(context.Context) (int, error) { return 0, nil }).Result(gcBG)
				require.ErrorIs(t, err, futures.ErrBroken)
			},
			want: futures.ErrBroken,
			opts: []futures.Option{futures.WithInitializer(func(context.Context) error { return initErr })},
		},
		"BrokenByFirstGroupTask": {
			stop: func(*testing.T, *futures.Pool) {},
			want: futures.ErrBroken,
			opts: []futures.Option{futures.WithInitializer(func(context.Context) error { return initErr })},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := futures.NewTestPool(t, append([]futures.Option{futures.WithWorkers(2)}, c.opts...)...)
			c.stop(t, p)
			for _, all := range []bool{false, true} {
				var opts []futures.GroupOption
				if all {
					opts = append(opts, futures.WithAllErrors())
				}
				g, _ := futures.NewGroup(gcBG, p, opts...)
				var ran atomic.Int32
				for range 3 {
					g.Go(func(context.Context) error { ran.Add(1); return nil })
				}
				f := futures.Submit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
				tried := g.TryGo(func(context.Context) error { ran.Add(1); return nil })
				if name != "BrokenByFirstGroupTask" || all {
					assert.False(t, tried, "TryGo took a task on a stopped pool")
				}
				err := g.Wait()
				assert.ErrorIs(t, err, c.want)
				assert.ErrorIs(t, f.Err(), c.want)
				assert.Zero(t, ran.Load())
				_, err = futures.Any(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
				assert.Error(t, err)
				assert.Zero(t, ran.Load())
			}
		})
	}
}

func TestGroupContractPoolShutdownNowDuring(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(1))
		g, gctx := futures.NewGroup(gcBG, p)
		sawDone := make(chan bool, 1)
		g.Go(func(ctx context.Context) error {
			<-ctx.Done() // ShutdownNow's cancellation of the queued fails the group
			sawDone <- true
			return nil
		})
		var ran atomic.Int32
		f := futures.Submit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
		for range 5 {
			g.Go(func(context.Context) error { ran.Add(1); return nil }) // held
		}
		synctest.Wait()
		shut := make(chan error, 1)
		go func() { shut <- p.ShutdownNow(gcBG) }()
		err := g.Wait()
		assert.ErrorIs(t, err, futures.ErrShutdown)
		assert.True(t, <-sawDone)
		assert.Error(t, gctx.Err())
		assert.Zero(t, ran.Load(), "a task queued at ShutdownNow ran")
		assert.Equal(t, futures.Cancelled, f.State())
		assert.ErrorIs(t, f.Err(), futures.ErrShutdown)
		require.NoError(t, <-shut)
	})
}

func TestGroupContractPoolBrokenDuring(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		initErr := errors.New("second worker cannot start")
		p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(4),
			futures.WithInitializer(func(ctx context.Context) error {
				if i, _ := futures.WorkerIndex(ctx); i == 1 {
					return initErr
				}
				return nil
			}))
		g, _ := futures.NewGroup(gcBG, p)
		gate := make(chan struct{})
		first := make(chan struct{})
		g.Go(func(ctx context.Context) error {
			close(first)
			select {
			case <-gate:
				return errors.New("the group's context was not cancelled")
			case <-ctx.Done():
				return nil
			}
		})
		<-first
		var ran atomic.Int32
		for range 4 {
			g.Go(func(context.Context) error { ran.Add(1); return nil })
		}
		err := g.Wait()
		assert.ErrorIs(t, err, futures.ErrBroken)
		assert.ErrorIs(t, err, initErr)
		assert.Zero(t, ran.Load())
		close(gate)
	})
}

// The pool's graceful Shutdown runs the held tasks of a group.
func TestGroupContractPoolShutdownRunsHeldTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p)
		gate := make(chan struct{})
		var ran atomic.Int32
		g.Go(func(context.Context) error { <-gate; ran.Add(1); return nil })
		for range 5 {
			g.Go(func(context.Context) error { ran.Add(1); return nil })
		}
		shut := make(chan error, 1)
		go func() { shut <- p.Shutdown(gcBG) }()
		synctest.Wait()
		close(gate)
		require.NoError(t, g.Wait())
		assert.Equal(t, int32(6), ran.Load())
		require.NoError(t, <-shut)
	})
}

// --- 7. Group.Shutdown -------------------------------------------------------

func TestGroupContractShutdownStopsTheGroupNotThePool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		g, gctx := futures.NewGroup(gcBG, p)
		gate := make(chan struct{})
		var ran atomic.Int32
		g.Go(func(context.Context) error { <-gate; ran.Add(1); return nil })

		// A done ctx: Shutdown returns its cause, the group is closed.
		cause := errors.New("impatient")
		done, cancel := context.WithCancelCause(gcBG)
		cancel(cause)
		assert.Same(t, cause, g.Shutdown(done))

		shut := make(chan error, 1)
		go func() { shut <- g.Shutdown(gcBG) }()
		synctest.Wait()
		require.Empty(t, shut, "Shutdown returned while a task of the group ran")

		// The group takes nothing now; the pool serves others.
		g.Go(func(context.Context) error { ran.Add(1); return nil })
		assert.False(t, g.TryGo(func(context.Context) error { ran.Add(1); return nil }))
		f := futures.Submit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
		assert.Equal(t, futures.Finished, f.State())
		assert.ErrorIs(t, f.Err(), futures.ErrShutdown)
		_, err := futures.TrySubmit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
		assert.ErrorIs(t, err, futures.ErrShutdown)
		v, err := futures.Submit(gcBG, p, func(context.Context) (int, error) { return 5, nil }).Result(gcBG)
		require.NoError(t, err)
		assert.Equal(t, 5, v)

		close(gate)
		require.NoError(t, <-shut)
		assert.Equal(t, int32(1), ran.Load())
		assert.NoError(t, gctx.Err(), "Shutdown cancelled the group's context")
		err = g.Wait()
		assert.ErrorIs(t, err, futures.ErrShutdown, "Go after Shutdown: the next Wait reports it")
		assert.Error(t, gctx.Err())
	})
}

func TestGroupContractShutdownFromOwnTaskDoesNotWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1))
		g, _ := futures.NewGroup(gcBG, p)
		res := make(chan error, 2)
		g.Go(func(ctx context.Context) error {
			//futuresvet:ignore the test checks that these return at once
			res <- g.Shutdown(ctx)
			derived, cancel := context.WithCancel(ctx)
			defer cancel()
			//futuresvet:ignore
			res <- g.Shutdown(derived)
			return nil
		})
		require.NoError(t, g.Wait())
		assert.Error(t, <-res)
		assert.Error(t, <-res)
	})
}

// Shutdown from a task of a group nested in a task of g, with a context
// derived from g's, would wait for itself: it returns an error instead, as
// from a task of g itself.
func TestGroupContractShutdownFromNestedGroupTaskDoesNotWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		g1, _ := futures.NewGroup(gcBG, p)
		res := make(chan error, 1)
		g1.Go(func(ctx1 context.Context) error {
			g2, _ := futures.NewGroup(ctx1, p)
			g2.Go(func(ctx2 context.Context) error {
				// ctx2 is derived from g1's context, through ctx1.
				bounded, cancel := context.WithTimeout(ctx2, time.Hour)
				defer cancel()
				res <- g1.Shutdown(bounded)
				return nil
			})
			return g2.Wait()
		})
		require.NoError(t, g1.Wait())
		err := <-res
		require.Error(t, err)
		assert.NotErrorIs(t, err, context.DeadlineExceeded,
			"Shutdown with a context derived from the group's waited for itself until its deadline")
	})
}

// --- 7. Go after Wait; Wait twice, concurrently -----------------------------

func TestGroupContractGoAfterWait(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(2))
	g, _ := futures.NewGroup(gcBG, p)
	g.Go(gcNop)
	require.NoError(t, g.Wait())
	var ran atomic.Int32
	require.NotPanics(t, func() {
		g.Go(func(context.Context) error { ran.Add(1); return nil })
	})
	assert.False(t, g.TryGo(func(context.Context) error { ran.Add(1); return nil }))
	f := futures.Submit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
	assert.ErrorIs(t, f.Err(), futures.ErrShutdown)
	_, err := futures.TrySubmit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
	assert.ErrorIs(t, err, futures.ErrShutdown)
	_, err = futures.MapSlice(gcBG, g, []int{1}, func(context.Context, int) (int, error) { ran.Add(1); return 0, nil })
	assert.ErrorIs(t, err, futures.ErrShutdown)
	_, err = futures.Any(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
	assert.ErrorIs(t, err, futures.ErrShutdown)
	err = g.Wait()
	assert.ErrorIs(t, err, futures.ErrShutdown, "Go after Wait was lost silently")
	assert.ErrorIs(t, g.Wait(), futures.ErrShutdown, "a later Wait forgot it")
	require.NoError(t, p.Close())
	assert.Zero(t, ran.Load())
}

// Go racing Wait from another goroutine: either the task runs before Wait
// returns, or it never runs and a Wait (this one or the next) reports
// ErrShutdown.
func TestGroupContractGoRacingWaitLosesNothing(t *testing.T) {
	rounds := 300
	for round := range rounds {
		p, err := futures.New(futures.WithWorkers(2), futures.WithQueueSize(0))
		require.NoError(t, err)
		g, _ := futures.NewGroup(gcBG, p)
		g.Go(gcNop)
		var goRan, submitRan atomic.Bool
		var f *futures.Future[int]
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			g.Go(func(context.Context) error { goRan.Store(true); return nil })
		})
		wg.Go(func() {
			<-start
			f = futures.Submit(gcBG, g, func(context.Context) (int, error) { submitRan.Store(true); return 1, nil })
		})
		close(start)
		err = g.Wait()
		goAtWait, submitAtWait := goRan.Load(), submitRan.Load()
		wg.Wait()
		require.NoError(t, p.Close()) // every task the pool took has run
		if err != nil {
			// A Go refused as Wait closed the group, reported at once.
			require.ErrorIs(t, err, futures.ErrShutdown, "round %d", round)
			require.False(t, goAtWait, "round %d", round)
		}
		require.Equal(t, goAtWait, goRan.Load(), "round %d: Go's task ran after Wait returned", round)
		require.Equal(t, submitAtWait, submitRan.Load(), "round %d: a future of the group ran after Wait returned", round)
		if !goAtWait {
			require.ErrorIs(t, g.Wait(), futures.ErrShutdown, "round %d: Go after Wait lost silently", round)
		}
		if submitAtWait {
			require.NoError(t, f.Err())
		} else {
			require.ErrorIs(t, f.Err(), futures.ErrShutdown, "round %d", round)
		}
	}
}

func TestGroupContractWaitConcurrentlyAndTwice(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(1))
	for round := range 100 {
		g, _ := futures.NewGroup(gcBG, p)
		var pending atomic.Int32 // tasks running
		boom := errors.New("boom")
		for i := range 10 {
			g.Go(func(context.Context) error {
				pending.Add(1)
				defer pending.Add(-1)
				g.Go(func(context.Context) error { pending.Add(1); pending.Add(-1); return nil })
				if i == 7 && round%2 == 0 {
					return boom
				}
				return nil
			})
		}
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				errs[i] = g.Wait()
				if n := pending.Load(); n != 0 {
					errs[i] = errors.Join(errs[i], errors.New("Wait returned with tasks still running"))
				}
			})
		}
		wg.Wait()
		for _, err := range append(errs, g.Wait()) {
			if round%2 == 0 {
				require.Same(t, boom, err)
			} else {
				require.NoError(t, err)
			}
		}
	}
}

// --- 8. Bad input never panics -----------------------------------------------

func TestGroupContractBadInputNeverPanics(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1))
	var nilPool *futures.Pool
	var zeroPool futures.Pool
	var nilGroup *futures.Group
	var zeroGroup futures.Group
	fn := func(context.Context) error { panic("a task of a bad group ran") }
	cases := map[string]func() (*futures.Group, context.Context){
		"nilCtx": func() (*futures.Group, context.Context) {
			//lint:ignore SA1012 a nil ctx is what this checks
			return futures.NewGroup(nil, p)
		},
		"nilExecutor": func() (*futures.Group, context.Context) { return futures.NewGroup(gcBG, nil) },
		"nilPool":     func() (*futures.Group, context.Context) { return futures.NewGroup(gcBG, nilPool) },
		"zeroPool":    func() (*futures.Group, context.Context) { return futures.NewGroup(gcBG, &zeroPool) },
		"nilGroup":    func() (*futures.Group, context.Context) { return futures.NewGroup(gcBG, nilGroup) },
		"zeroGroup":   func() (*futures.Group, context.Context) { return futures.NewGroup(gcBG, &zeroGroup) },
		"nilOption":   func() (*futures.Group, context.Context) { return futures.NewGroup(gcBG, p, nil) },
		"nilOption2nd": func() (*futures.Group, context.Context) {
			return futures.NewGroup(gcBG, p, futures.WithAllErrors(), nil)
		},
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			require.NotPanics(t, func() {
				g, ctx := make()
				require.NotNil(t, g)
				require.NotNil(t, ctx)
				require.Error(t, ctx.Err(), "the context of a bad group is done")
				assert.ErrorIs(t, context.Cause(ctx), futures.ErrInvalidOption)
				g.Go(fn)
				g.Go(nil)
				assert.False(t, g.TryGo(fn))
				assert.ErrorIs(t, futures.Submit(gcBG, g, func(context.Context) (int, error) { panic("ran") }).Err(), futures.ErrInvalidOption)
				_, err := futures.TrySubmit(gcBG, g, func(context.Context) (int, error) { panic("ran") })
				assert.ErrorIs(t, err, futures.ErrInvalidOption)
				_, err = futures.MapSlice(gcBG, g, []int{1}, func(context.Context, int) (int, error) { panic("ran") })
				assert.ErrorIs(t, err, futures.ErrInvalidOption)
				_, err = futures.Any(gcBG, g, func(context.Context) (int, error) { panic("ran") })
				assert.ErrorIs(t, err, futures.ErrInvalidOption)
				g2, _ := futures.NewGroup(gcBG, g)
				assert.ErrorIs(t, g2.Wait(), futures.ErrInvalidOption)
				assert.ErrorIs(t, g.Wait(), futures.ErrInvalidOption)
				assert.ErrorIs(t, g.Wait(), futures.ErrInvalidOption)
				assert.ErrorIs(t, g.Shutdown(gcBG), futures.ErrInvalidOption)
				//lint:ignore SA1012 a nil ctx is what this checks
				assert.Error(t, g.Shutdown(nil))
			})
		})
	}
	for name, g := range map[string]*futures.Group{"zero Group": &zeroGroup, "nil *Group": nilGroup} {
		t.Run(name, func(t *testing.T) {
			require.NotPanics(t, func() {
				g.Go(fn)
				g.Go(nil)
				assert.False(t, g.TryGo(fn))
				assert.ErrorIs(t, g.Wait(), futures.ErrInvalidOption)
				assert.ErrorIs(t, g.Shutdown(gcBG), futures.ErrInvalidOption)
				//lint:ignore SA1012 a nil ctx is what this checks
				assert.ErrorIs(t, g.Shutdown(nil), futures.ErrInvalidOption)
				assert.ErrorIs(t, futures.Submit(gcBG, g, func(context.Context) (int, error) { panic("ran") }).Err(), futures.ErrInvalidOption)
				for _, err := range futures.Map(gcBG, g, slices.Values([]int{1}), func(context.Context, int) (int, error) { panic("ran") }) {
					assert.ErrorIs(t, err, futures.ErrInvalidOption)
				}
				_, err := futures.Any(gcBG, g, func(context.Context) (int, error) { panic("ran") })
				assert.ErrorIs(t, err, futures.ErrInvalidOption)
			})
		})
	}
	t.Run("nilFunc", func(t *testing.T) {
		for _, opts := range [][]futures.GroupOption{nil, {futures.WithAllErrors()}} {
			g, gctx := futures.NewGroup(gcBG, p, opts...)
			var ran atomic.Int32
			require.NotPanics(t, func() { g.Go(nil) })
			g.Go(func(context.Context) error { ran.Add(1); return nil })
			assert.ErrorIs(t, g.Wait(), futures.ErrInvalidOption)
			assert.Error(t, gctx.Err())
			g2, _ := futures.NewGroup(gcBG, p, opts...)
			assert.False(t, g2.TryGo(nil))
			assert.ErrorIs(t, g2.Wait(), futures.ErrInvalidOption)
		}
	})
	t.Run("nilShutdownCtx", func(t *testing.T) {
		g, _ := futures.NewGroup(gcBG, p)
		//lint:ignore SA1012 a nil ctx is what this checks
		assert.ErrorIs(t, g.Shutdown(nil), futures.ErrInvalidOption)
		g.Go(gcNop)
		assert.NoError(t, g.Wait(), "a nil ctx to Shutdown left the group as it was")
	})
}

// Submit or Map to a group with a nil fn or ctx fails the group, as Go with a
// nil fn does: the caller may drop the future, but Wait reports it.
func TestGroupContractInvalidSubmitFailsTheGroup(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1))
	nilFn := func(context.Context, int) (int, error) { return 0, nil }
	nilFn = nil
	var nilCtx context.Context
	cases := map[string]func(g *futures.Group) error{
		"SubmitNilFn": func(g *futures.Group) error { return futures.Submit[int](gcBG, g, nil).Err() },
		"SubmitNilCtx": func(g *futures.Group) error {
			return futures.Submit(nilCtx, g, func(context.Context) (int, error) { return 0, nil }).Err()
		},
		"TrySubmitNilFn": func(g *futures.Group) error {
			_, err := futures.TrySubmit[int](gcBG, g, nil)
			return err
		},
		"MapSliceNilFn": func(g *futures.Group) error {
			_, err := futures.MapSlice(gcBG, g, []int{1}, nilFn)
			return err
		},
		"MapSliceNilCtx": func(g *futures.Group) error {
			_, err := futures.MapSlice(nilCtx, g, []int{1}, func(context.Context, int) (int, error) { return 0, nil })
			return err
		},
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			g, gctx := futures.NewGroup(gcBG, p)
			require.ErrorIs(t, call(g), futures.ErrInvalidOption)
			assert.Error(t, gctx.Err(), "the group's context, after an invalid task")
			assert.ErrorIs(t, g.Wait(), futures.ErrInvalidOption,
				"a task of the group was invalid and Wait returned nil")
		})
	}
}

// --- 8. A parent ctx done ------------------------------------------------------

func TestGroupContractParentContextDone(t *testing.T) {
	t.Run("Before", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1))
		cause := errors.New("parent gone")
		parent, cancel := context.WithCancelCause(gcBG)
		cancel(cause)
		for _, opts := range [][]futures.GroupOption{nil, {futures.WithAllErrors()}} {
			g, gctx := futures.NewGroup(parent, p, opts...)
			require.Error(t, gctx.Err())
			assert.Same(t, cause, context.Cause(gctx))
			var ran atomic.Int32
			for range 3 {
				g.Go(func(context.Context) error { ran.Add(1); return nil })
			}
			f := futures.Submit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
			assert.False(t, g.TryGo(func(context.Context) error { ran.Add(1); return nil }))
			err := g.Wait()
			assert.ErrorIs(t, err, cause)
			assert.Zero(t, ran.Load())
			assert.Equal(t, futures.Cancelled, f.State())
			assert.ErrorIs(t, f.Err(), futures.ErrCancelled)
		}
	})
	t.Run("During", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(1))
			for _, opts := range [][]futures.GroupOption{nil, {futures.WithAllErrors()}} {
				cause := errors.New("parent gone")
				parent, cancel := context.WithCancelCause(gcBG)
				g, gctx := futures.NewGroup(parent, p, opts...)
				saw := make(chan error, 1)
				g.Go(func(ctx context.Context) error { <-ctx.Done(); saw <- context.Cause(ctx); return nil })
				var ran atomic.Int32
				f := futures.Submit(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
				for range 4 {
					g.Go(func(context.Context) error { ran.Add(1); return nil }) // held
				}
				synctest.Wait()
				cancel(cause)
				err := g.Wait()
				assert.ErrorIs(t, err, cause)
				assert.Same(t, cause, <-saw)
				assert.Same(t, cause, context.Cause(gctx))
				assert.Zero(t, ran.Load(), "a task queued when the parent ended ran")
				assert.Equal(t, futures.Cancelled, f.State())
				assert.ErrorIs(t, f.Err(), futures.ErrCancelled)
			}
		})
	})
}

// --- 9. TryGo never waits ------------------------------------------------------

func TestGroupContractTryGoNeverWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(1))
		g, _ := futures.NewGroup(gcBG, p)
		var ran atomic.Int32
		count := func(context.Context) error { ran.Add(1); return nil }
		gate := make(chan struct{})
		require.True(t, g.TryGo(func(context.Context) error { <-gate; return nil }), "a worker could start")
		synctest.Wait()
		require.True(t, g.TryGo(count), "the queue had room for one")
		assert.False(t, g.TryGo(count), "the queue had no room")
		// Held tasks take the room too.
		close(gate)
		require.NoError(t, g.Wait())
		assert.Equal(t, int32(1), ran.Load())

		g2, _ := futures.NewGroup(gcBG, p)
		gate2 := make(chan struct{})
		g2.Go(func(context.Context) error { <-gate2; return nil })
		g2.Go(count)
		g2.Go(count)
		synctest.Wait()
		assert.False(t, g2.TryGo(count), "TryGo got past held tasks")
		close(gate2)
		require.NoError(t, g2.Wait(), "TryGo's false failed the group")
		assert.Equal(t, int32(3), ran.Load())

		// In a task, on a pool with no room: false, never run in place.
		p1 := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		require.NoError(t, futures.InTask(t, p1, func(ctx context.Context) error {
			g, _ := futures.NewGroup(ctx, p1)
			if g.TryGo(count) {
				return errors.New("TryGo took a task with no room")
			}
			return g.Wait()
		}))
		assert.Equal(t, int32(3), ran.Load())
	})
}

// --- Stats reconcile --------------------------------------------------------------

func TestGroupContractStatsReconcile(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(1))
	for _, all := range []bool{false, true} {
		var opts []futures.GroupOption
		if all {
			opts = append(opts, futures.WithAllErrors())
		}
		g, _ := futures.NewGroup(gcBG, p, opts...)
		for i := range 50 {
			switch i % 6 {
			case 0:
				g.Go(func(context.Context) error { return errors.New("x") })
			case 1:
				g.Go(func(context.Context) error { panic("p") })
			case 2:
				g.Go(func(context.Context) error { runtime.Goexit(); return nil })
			case 3:
				g.TryGo(gcNop)
			case 4:
				futures.Submit(gcBG, g, func(context.Context) (int, error) { return 0, nil }).Cancel()
			default:
				_, _ = futures.Any(gcBG, g,
					func(context.Context) (int, error) { return 0, nil },
					func(context.Context) (int, error) { return 0, nil })
			}
		}
		_ = g.Wait()
		g.Go(gcNop) // after Wait: not submitted
		s := p.Stats()
		assert.Equal(t, s.Submitted, s.Succeeded+s.Failed+s.Panicked+s.Cancelled+s.Rejected, "%+v", s)
		assert.Zero(t, s.Busy)
		assert.Zero(t, s.Queued)
	}
}

// --- Retention ---------------------------------------------------------------------

// gcHolding returns a task whose closure holds x.
func gcHolding(x *futures.Payload, gate <-chan struct{}) func(context.Context) error {
	return func(context.Context) error {
		<-gate
		_ = x[0]
		return nil
	}
}

type gcPayloadError struct{ x *futures.Payload }

func (e *gcPayloadError) Error() string { return "payload error" }

func TestGroupContractRetention(t *testing.T) {
	open := make(chan struct{})
	close(open)
	t.Run("CompletedTaskClosure", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1))
		g, gctx := futures.NewGroup(gcBG, p)
		x := new(futures.Payload)
		gone := futures.Collected(x)
		g.Go(gcHolding(x, open))
		x = nil
		require.NoError(t, g.Wait())
		futures.RequireCollected(t, gone, "the closure of a completed group task")
		runtime.KeepAlive(g)
		runtime.KeepAlive(gctx)
	})
	t.Run("FlushedTaskClosure", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p)
		gate := make(chan struct{})
		started := make(chan struct{})
		g.Go(func(context.Context) error { close(started); <-gate; return errors.New("fail") })
		<-started
		x := new(futures.Payload)
		gone := futures.Collected(x)
		g.Go(gcHolding(x, open)) // held, then flushed by the failure
		x = nil
		close(gate)
		require.Error(t, g.Wait())
		futures.RequireCollected(t, gone, "the closure of a task that never ran")
		runtime.KeepAlive(g)
	})
	t.Run("RefusedTryGoClosure", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		g, _ := futures.NewGroup(gcBG, p)
		_, release := futures.HoldWorker(t, g)
		x := new(futures.Payload)
		gone := futures.Collected(x)
		require.False(t, g.TryGo(gcHolding(x, open)))
		x = nil
		futures.RequireCollected(t, gone, "the closure of a refused TryGo")
		release()
		require.NoError(t, g.Wait())
	})
	t.Run("GroupAndItsErrorAfterWait", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		parent, cancel := context.WithCancel(gcBG) // lives on: it must not keep the group
		defer cancel()
		x := new(futures.Payload)
		goneX := futures.Collected(x)
		groupGone := func() <-chan struct{} {
			g, _ := futures.NewGroup(parent, p)
			ch := make(chan struct{})
			runtime.AddCleanup(g, func(ch chan struct{}) { close(ch) }, ch)
			err := &gcPayloadError{x: x}
			g.Go(func(context.Context) error { return err })
			futures.Submit(gcBG, g, func(context.Context) (*futures.Payload, error) { return new(futures.Payload), nil })
			_ = g.Wait()
			return ch
		}()
		x = nil
		futures.RequireCollected(t, goneX, "a failed task's error, once its group is dropped")
		futures.RequireCollected(t, groupGone, "a waited-for group, by its pool or parent")
		runtime.KeepAlive(p)
	})
	t.Run("HelpedTaskClosure", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		x := new(futures.Payload)
		gone := futures.Collected(x)
		fn := gcHolding(x, open)
		x = nil
		require.NoError(t, futures.InTask(t, p, func(ctx context.Context) error {
			g, _ := futures.NewGroup(ctx, p)
			g.Go(fn)
			return g.Wait()
		}))
		fn = nil
		futures.RequireCollected(t, gone, "the closure of a task run by a helping Wait")
	})
	t.Run("AnyClosures", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		x := new(futures.Payload)
		gone := futures.Collected(x)
		loser := func(x *futures.Payload) func(ctx context.Context) (int, error) {
			return func(ctx context.Context) (int, error) { <-ctx.Done(); return len(x), ctx.Err() }
		}(x)
		x = nil
		v, err := futures.Any(gcBG, p, loser, func(context.Context) (int, error) { return 3, nil })
		require.NoError(t, err)
		assert.Equal(t, 3, v)
		loser = nil
		futures.RequireCollected(t, gone, "the closure of Any's loser")
	})
}

// --- Suspicious: when Wait returns ------------------------------------------------

// When Wait returns, every future of the group has closed its Done channel
// and run its OnDone callbacks: a caller that gathers results in OnDone reads
// them after Wait without a race.
func TestGroupContractFuturesFullyCompleteWhenWaitReturns(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(2))
	missedCallback, openDone := 0, 0
	rounds := 20000
	if raceEnabledHint() {
		rounds = 5000
	}
	for range rounds {
		g, _ := futures.NewGroup(gcBG, p)
		var got atomic.Int32
		fs := make([]*futures.Future[int], 4)
		dones := make([]<-chan struct{}, len(fs))
		for i := range fs {
			fs[i] = futures.Submit(gcBG, g, func(context.Context) (int, error) { return 1, nil })
			fs[i].OnDone(func(*futures.Future[int]) { got.Add(1) })
			dones[i] = fs[i].Done()
		}
		require.NoError(t, g.Wait())
		if got.Load() != int32(len(fs)) {
			missedCallback++
		}
		for _, d := range dones {
			select {
			case <-d:
			default:
				openDone++
			}
		}
		for _, f := range fs {
			require.Equal(t, futures.Finished, f.State())
		}
		for _, f := range fs {
			<-f.Done() // let the callbacks finish before the next round
		}
	}
	assert.Zero(t, missedCallback, "rounds where Wait returned before a future's OnDone callback ran")
	assert.Zero(t, openDone, "futures whose Done channel was still open when Wait returned")
}

// --- Wait from a goroutine of the task that made the group ---------------------

// Wait helps in the place of the task that made the group, whoever calls it:
// a task that waits for its group through a goroutine of its own, so as to
// give up after a while, does not deadlock a pool of one worker.
// A goroutine of the task that made a group, waiting for it, runs its queued
// tasks in the task's place: WorkerIndex reports nothing for them.
func TestGroupContractWaitFromAGoroutineOfTheMakerHelps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		var b gcBound
		f := futures.Submit(gcBG, p, func(ctx context.Context) (int, error) {
			g, _ := futures.NewGroup(ctx, p)
			for range 3 {
				g.Go(func(ctx context.Context) error {
					b.enter(ctx)
					defer b.leave(ctx)
					return nil
				})
			}
			waited := make(chan error, 1)
			go func() { waited <- g.Wait() }()
			select {
			case err := <-waited:
				return 0, err
			case <-time.After(time.Hour):
				return 0, errors.New("the group's Wait, from a goroutine of the task, never returned")
			}
		})
		_, err := f.Result(gcBG)
		require.NoError(t, err)
		b.mu.Lock()
		defer b.mu.Unlock()
		assert.Equal(t, 1, b.peak, "tasks ran at once in the task's place")
		assert.Empty(t, b.bad)
		// The task keeps its index while its goroutine waits: the
		// tasks run in its place report none.
		assert.Equal(t, 3, b.noIndex, "a task run in its maker's place reported an index")
	})
}

// --- A group on a group -------------------------------------------------------------

func TestGroupContractGroupOnGroupBelongsToTheNewGroupOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		g1, _ := futures.NewGroup(gcBG, p)
		g2, _ := futures.NewGroup(gcBG, g1)
		gate := make(chan struct{})
		boom := errors.New("boom")
		g2.Go(func(context.Context) error { <-gate; return boom })
		synctest.Wait()
		require.NoError(t, g1.Wait(), "g1 waited for, or failed by, a task of g2")
		close(gate)
		assert.Same(t, boom, g2.Wait())
	})
}

// --- 10. Any -------------------------------------------------------------------------

// Regression test: the functions still queued when the first succeeds never
// run. Before a0c54b7, Any cancelled them only once its own goroutine woke
// up, while the worker that ran the winner had already taken the next queued
// function (Pool.serve takes the next task before publishing) and ran it.
// One processor makes that interleaving likely; the promise holds for any.
func TestAnyContractFirstSuccessCancelsTheOthers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(8))
		gate := make(chan struct{})
		var ctxs [4]context.Context
		loserCause := make(chan error, 1)
		var queuedRan atomic.Int32
		fns := []func(context.Context) (int, error){
			func(ctx context.Context) (int, error) {
				ctxs[0] = ctx
				<-ctx.Done()
				loserCause <- context.Cause(ctx)
				return 0, ctx.Err()
			},
			func(ctx context.Context) (int, error) { ctxs[1] = ctx; <-gate; return 42, nil },
			func(ctx context.Context) (int, error) { queuedRan.Add(1); return 2, nil },
			func(ctx context.Context) (int, error) { queuedRan.Add(1); return 3, nil },
		}
		type result struct {
			v   int
			err error
		}
		res := make(chan result, 1)
		go func() {
			v, err := futures.Any(gcBG, p, fns...)
			res <- result{v, err}
		}()
		synctest.Wait()
		require.Equal(t, 2, p.Stats().Queued)
		close(gate)
		r := <-res
		require.NoError(t, r.err)
		assert.Equal(t, 42, r.v)
		// Any returns without waiting for the loser still running.
		cause := <-loserCause
		require.Error(t, cause)
		assert.NotErrorIs(t, cause, context.Canceled, "the cause should be Any's own")
		require.NoError(t, p.Shutdown(gcBG))
		assert.Zero(t, queuedRan.Load(), "a function still queued ran after Any returned")
		for i := range 2 {
			assert.Error(t, ctxs[i].Err(), "the context of function %d is not done once Any returned", i)
		}
	})
}

func TestAnyContractAllFail(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(2))
	e0, e1 := errors.New("e0"), errors.New("e1")
	boom := errors.New("boom")
	v, err := futures.Any(gcBG, p,
		func(context.Context) (int, error) { return 7, e0 },
		func(context.Context) (int, error) { panic(boom) },
		nil,
		func(context.Context) (int, error) { runtime.Goexit(); return 0, nil },
		func(context.Context) (int, error) { return 8, e1 },
	)
	assert.Zero(t, v)
	require.Error(t, err)
	for _, want := range []error{e0, boom, futures.ErrInvalidOption, futures.ErrGoexit, e1} {
		assert.ErrorIs(t, err, want)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok)
	errs := joined.Unwrap()
	require.Len(t, errs, 5)
	assert.Same(t, e0, errs[0], "in the order of fns")
	var pe *futures.PanicError
	assert.ErrorAs(t, errs[1], &pe)
	assert.ErrorIs(t, errs[2], futures.ErrInvalidOption)
	assert.ErrorIs(t, errs[3], futures.ErrGoexit)
	assert.Same(t, e1, errs[4])
}

func TestAnyContractBadInput(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1))
	var zeroPool futures.Pool
	var zeroGroup futures.Group
	ok := func(context.Context) (int, error) { return 1, nil }
	cases := map[string]func() (int, error){
		"noFns":  func() (int, error) { return futures.Any[int](gcBG, p) },
		"nilFns": func() (int, error) { return futures.Any(gcBG, p, []func(context.Context) (int, error){}...) },
		//lint:ignore SA1012 a nil ctx is what this checks
		"nilCtx":    func() (int, error) { return futures.Any(nil, p, ok) },
		"nilEx":     func() (int, error) { return futures.Any(gcBG, nil, ok) },
		"nilPool":   func() (int, error) { return futures.Any(gcBG, (*futures.Pool)(nil), ok) },
		"zeroPool":  func() (int, error) { return futures.Any(gcBG, &zeroPool, ok) },
		"nilGroup":  func() (int, error) { return futures.Any(gcBG, (*futures.Group)(nil), ok) },
		"zeroGroup": func() (int, error) { return futures.Any(gcBG, &zeroGroup, ok) },
		"allNil":    func() (int, error) { return futures.Any[int](gcBG, p, nil, nil) },
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			var v int
			var err error
			require.NotPanics(t, func() { v, err = call() })
			assert.Zero(t, v)
			assert.ErrorIs(t, err, futures.ErrInvalidOption)
		})
	}
	v, err := futures.Any(gcBG, p, nil, ok)
	require.NoError(t, err, "a nil function fails alone")
	assert.Equal(t, 1, v)
}

func TestAnyContractContextDone(t *testing.T) {
	t.Run("Before", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1))
		cause := errors.New("gone")
		ctx, cancel := context.WithCancelCause(gcBG)
		cancel(cause)
		var ran atomic.Int32
		v, err := futures.Any(ctx, p, func(context.Context) (int, error) { ran.Add(1); return 1, nil })
		assert.Zero(t, v)
		assert.ErrorIs(t, err, cause)
		require.NoError(t, p.Close())
		assert.Zero(t, ran.Load())
	})
	t.Run("During", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(4))
			cause := errors.New("gone")
			ctx, cancel := context.WithCancelCause(gcBG)
			var queuedRan atomic.Int32
			fnCause := make(chan error, 1)
			res := make(chan error, 1)
			go func() {
				_, err := futures.Any(ctx, p,
					func(ctx context.Context) (int, error) {
						<-ctx.Done()
						fnCause <- context.Cause(ctx)
						return 0, ctx.Err()
					},
					func(context.Context) (int, error) { queuedRan.Add(1); return 1, nil })
				res <- err
			}()
			synctest.Wait()
			cancel(cause)
			assert.Same(t, cause, <-res)
			assert.ErrorIs(t, <-fnCause, cause)
			require.NoError(t, p.Shutdown(gcBG))
			assert.Zero(t, queuedRan.Load())
		})
	})
}

// With ctx done before the call, Any returns context.Cause of ctx, as when
// it ends during the wait, and runs nothing.
func TestAnyContractContextDoneBeforeReturnsItsCause(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1))
	cause := errors.New("gone")
	ctx, cancel := context.WithCancelCause(gcBG)
	cancel(cause)
	var ran atomic.Int32
	_, err := futures.Any(ctx, p,
		func(context.Context) (int, error) { ran.Add(1); return 1, nil },
		func(context.Context) (int, error) { ran.Add(1); return 2, nil })
	assert.Same(t, cause, err, "the doc says Any returns context.Cause of ctx")
	require.NoError(t, p.Shutdown(gcBG))
	assert.Zero(t, ran.Load(), "a function of Any ran with ctx done before the call")
	assert.Zero(t, p.Stats().Submitted, "Any submitted with ctx done before the call")
}

// From a task, on one worker with no queue: Any runs the functions in the
// task's place, one at a time, without deadlock.
func TestAnyContractFromTaskOnOneWorker(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
	var b gcBound
	var after atomic.Int32
	err := futures.InTask(t, p, func(ctx context.Context) error {
		v, err := futures.Any(ctx, p,
			func(ctx context.Context) (int, error) { b.enter(ctx); b.leave(ctx); return 0, errors.New("a") },
			func(ctx context.Context) (int, error) {
				// Nested: Any inside a function of Any.
				return futures.Any(ctx, p,
					func(ctx context.Context) (int, error) { b.enter(ctx); b.leave(ctx); return 0, errors.New("b") },
					func(ctx context.Context) (int, error) { b.enter(ctx); b.leave(ctx); return 5, nil })
			},
			func(ctx context.Context) (int, error) { after.Add(1); return 6, nil })
		if err != nil {
			return err
		}
		if v != 5 {
			return errors.New("Any returned the wrong value")
		}
		_, err = futures.Any(ctx, p,
			func(context.Context) (int, error) { return 0, errors.New("x") },
			func(context.Context) (int, error) { return 0, errors.New("y") })
		if err == nil {
			return errors.New("Any of failures succeeded")
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, p.Close())
	assert.Zero(t, after.Load(), "a function after the winner ran")
	assert.Empty(t, b.bad)
	assert.LessOrEqual(t, b.peak, 1)
}

// Any from a task helps the queued functions in order, and waits for the one
// it helps to return. A hedged function that runs until its context is
// cancelled must not keep Any from returning when another function succeeds
// on another worker meanwhile. (This deadlocked, here cut by a deadline,
// before a0c54b7 made a success cancel the others at once.)
func TestAnyContractHedgedFromTaskReturnsFirstSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2), futures.WithQueueSize(4))
		holdGate := make(chan struct{})
		holdStarted := make(chan struct{})
		futures.Submit(gcBG, p, func(context.Context) (int, error) { close(holdStarted); <-holdGate; return 0, nil })
		<-holdStarted
		slowStarted := make(chan struct{})
		type result struct {
			v   int
			err error
		}
		res := make(chan result, 1)
		futures.Submit(gcBG, p, func(ctx context.Context) (int, error) {
			bounded, cancel := context.WithTimeout(ctx, time.Hour)
			defer cancel()
			v, err := futures.Any(bounded, p,
				func(ctx context.Context) (int, error) { // a hedge that runs until cancelled
					close(slowStarted)
					<-ctx.Done()
					return 0, ctx.Err()
				},
				func(context.Context) (int, error) { return 1, nil })
			res <- result{v, err}
			return 0, nil
		})
		<-slowStarted
		synctest.Wait()
		close(holdGate) // the other worker is free: it runs the fast function
		r := <-res
		assert.NoError(t, r.err, "Any did not return when a function succeeded")
		assert.Equal(t, 1, r.v)
	})
}

func TestAnyContractOnGroup(t *testing.T) {
	t.Run("WaitWaitsForLosers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := futures.NewTestPool(t, futures.WithWorkers(2))
			g, _ := futures.NewGroup(gcBG, p)
			gate := make(chan struct{})
			loserStarted := make(chan struct{})
			loserDone := make(chan struct{})
			v, err := futures.Any(gcBG, g,
				func(context.Context) (int, error) {
					close(loserStarted)
					<-gate
					close(loserDone)
					return 0, errors.New("late")
				},
				func(context.Context) (int, error) { <-loserStarted; return 1, nil })
			require.NoError(t, err)
			assert.Equal(t, 1, v)
			waited := make(chan error, 1)
			go func() { waited <- g.Wait() }()
			synctest.Wait()
			require.Empty(t, waited, "the group's Wait did not wait for Any's running function")
			close(gate)
			<-loserDone
			assert.NoError(t, <-waited, "a failure of Any's function failed the group")
		})
	})
	t.Run("FailuresAreAnys", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(2))
		g, gctx := futures.NewGroup(gcBG, p)
		_, err := futures.Any(gcBG, g,
			func(context.Context) (int, error) { return 0, errors.New("a") },
			func(context.Context) (int, error) { panic("b") },
			func(context.Context) (int, error) { runtime.Goexit(); return 0, nil })
		require.Error(t, err)
		require.NoError(t, gctx.Err())
		assert.NoError(t, g.Wait())
	})
	t.Run("InTaskOnOneWorker", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1), futures.WithQueueSize(0))
		require.NoError(t, futures.InTask(t, p, func(ctx context.Context) error {
			g, _ := futures.NewGroup(ctx, p)
			v, err := futures.Any(ctx, g,
				func(context.Context) (int, error) { return 0, errors.New("a") },
				func(context.Context) (int, error) { return 2, nil })
			if err != nil || v != 2 {
				return errors.Join(err, errors.New("wrong result"))
			}
			return g.Wait()
		}))
	})
	t.Run("FailedGroup", func(t *testing.T) {
		p := futures.NewTestPool(t, futures.WithWorkers(1))
		g, _ := futures.NewGroup(gcBG, p)
		boom := errors.New("boom")
		g.Go(func(context.Context) error { return boom })
		var ran atomic.Int32
		for {
			_, err := futures.Any(gcBG, g, func(context.Context) (int, error) { ran.Add(1); return 1, nil })
			if err != nil {
				assert.ErrorIs(t, err, boom)
				break
			}
			// The group had not failed yet: try again.
			ran.Store(0)
		}
		assert.Zero(t, ran.Load())
		assert.Same(t, boom, g.Wait())
	})
}

// Any starts no goroutine and leaves none behind.
func TestAnyContractLeavesNoGoroutine(t *testing.T) {
	p := futures.NewTestPool(t, futures.WithWorkers(2))
	// Start the workers first.
	for range 4 {
		futures.Submit(gcBG, p, func(context.Context) (int, error) { return 0, nil })
	}
	_, _ = futures.Submit(gcBG, p, func(context.Context) (int, error) { return 0, nil }).Result(gcBG)
	ignore := goleak.IgnoreCurrent()
	for range 50 {
		started := make(chan struct{})
		v, err := futures.Any(gcBG, p,
			func(ctx context.Context) (int, error) { close(started); <-ctx.Done(); return 0, ctx.Err() },
			func(context.Context) (int, error) { <-started; return 1, nil })
		require.NoError(t, err)
		require.Equal(t, 1, v)
		_, err = futures.Any(gcBG, p,
			func(context.Context) (int, error) { return 0, errors.New("x") },
			func(context.Context) (int, error) { return 0, errors.New("y") })
		require.Error(t, err)
		ctx, cancel := context.WithCancel(gcBG)
		go cancel()
		_, _ = futures.Any(ctx, p, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
	}
	require.NoError(t, goleak.Find(ignore))
}
