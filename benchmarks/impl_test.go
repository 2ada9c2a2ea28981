package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/destel/rill"
	"github.com/gammazero/workerpool"
	"github.com/go-futures/futures"
	"github.com/panjf2000/ants/v2"
	concpool "github.com/sourcegraph/conc/pool"
	"github.com/sourcegraph/conc/stream"
	"golang.org/x/sync/errgroup"
)

// A runner is one implementation, set up with its workers for a benchmark.
// Each uses its library the way its documentation suggests for "run these
// tasks and wait for all of them"; the ones that need no per-task handle
// wait with a sync.WaitGroup, as a caller would.
type runner interface {
	// run runs n tasks of fn, submitted at once by producers goroutines
	// (n/producers each), and returns when all of them have run. A runner
	// that collects results returns their sum, the others 0. A failure
	// that the benchmark cannot go on from panics. With closures, each
	// task is a new closure that captures its own input, as callers
	// write them (for _, u := range urls { g.Go(func() ... u ...) }), so
	// that every implementation allocates one per task; without, one
	// func of fn(1) serves every task.
	run(n, producers int, fn func(uint64) uint64, closures bool) uint64
	close() error
}

type poolImpl struct {
	name    string
	results bool // run returns the sum of the tasks' results
	open    func(workers int) (runner, error)
}

var poolImpls = []poolImpl{
	{name: "futures", open: openFutures(waitGroup)},
	{name: "futures-wait", open: openFutures(waitAll)},
	{name: "futures-result", results: true, open: openFutures(waitEach)},
	{name: "futures-group", open: openFuturesGroup},
	{name: "futures-group-limit", open: openFuturesGroupLimit},
	{name: "chanpool", open: openChanPool},
	{name: "goroutines", open: openGoroutines},
	{name: "ants", open: openAnts},
	{name: "pond", open: openPond},
	{name: "pond-task", open: openPondTask},
	{name: "pond-result", results: true, open: openPondResult},
	{name: "conc", open: openConc},
	{name: "conc-result", results: true, open: openConcResult},
	{name: "errgroup", open: openErrgroup},
	{name: "workerpool", open: openWorkerpool},
}

// tasks returns what gives a runner the task for input x: with closures, a
// new closure per call, made by mk; without, the one func mk(1) every time.
func tasks[F any](closures bool, mk func(x uint64) F) func(x uint64) F {
	if closures {
		return mk
	}
	shared := mk(1)
	return func(uint64) F { return shared }
}

// spread calls fn on producers goroutines at once, each with its share
// [lo, hi) of [0, n), waits for all, and returns the sum of what they
// return. With one producer it calls fn(0, n) on the caller's goroutine.
func spread(n, producers int, fn func(lo, hi int) uint64) uint64 {
	if producers == 1 {
		return fn(0, n)
	}
	var sum atomic.Uint64
	var wg sync.WaitGroup
	for i := range producers {
		lo, hi := i*n/producers, (i+1)*n/producers
		wg.Go(func() { sum.Add(fn(lo, hi)) })
	}
	wg.Wait()
	return sum.Load()
}

// countDown runs n tasks of fn, handing each to submit from producers
// goroutines, and waits for them with a sync.WaitGroup: how a caller waits
// for a pool that hands back nothing per task.
func countDown(n, producers int, fn func(uint64) uint64, closures bool, submit func(task func())) {
	var wg sync.WaitGroup
	wg.Add(n)
	task := tasks(closures, func(x uint64) func() {
		return func() {
			consume(fn(x))
			wg.Done()
		}
	})
	spread(n, producers, func(lo, hi int) uint64 {
		for i := lo; i < hi; i++ {
			submit(task(uint64(i)))
		}
		return 0
	})
	wg.Wait()
}

// futuresRunner submits with futures.Submit. How it waits depends on
// wait: waitGroup ignores the futures and counts the tasks down with a
// sync.WaitGroup, as the runners of the libraries without futures do;
// waitAll keeps them and waits with futures.Wait; waitEach sums every
// result, waiting with Result on each future in turn.
type futuresRunner struct {
	p    *futures.Pool
	wait futuresWait
	fs   []*futures.Future[uint64]
}

type futuresWait int

const (
	waitGroup futuresWait = iota
	waitAll
	waitEach
)

func openFutures(wait futuresWait) func(int) (runner, error) {
	return func(workers int) (runner, error) {
		p, err := futures.New(futures.WithWorkers(workers))
		if err != nil {
			return nil, err
		}
		return &futuresRunner{p: p, wait: wait}, nil
	}
}

func (r *futuresRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	ctx := context.Background()
	if r.wait == waitGroup {
		var wg sync.WaitGroup
		wg.Add(n)
		task := tasks(closures, func(x uint64) func(context.Context) (uint64, error) {
			return func(context.Context) (uint64, error) {
				consume(fn(x))
				wg.Done()
				return 0, nil
			}
		})
		spread(n, producers, func(lo, hi int) uint64 {
			for i := lo; i < hi; i++ {
				futures.Submit(ctx, r.p, task(uint64(i)))
			}
			return 0
		})
		wg.Wait()
		return 0
	}
	if len(r.fs) < n {
		r.fs = make([]*futures.Future[uint64], n)
	}
	task := tasks(closures, func(x uint64) func(context.Context) (uint64, error) {
		return func(context.Context) (uint64, error) { return fn(x), nil }
	})
	return spread(n, producers, func(lo, hi int) uint64 {
		fs := r.fs[lo:hi]
		for i := range fs {
			fs[i] = futures.Submit(ctx, r.p, task(uint64(lo+i)))
		}
		var sum uint64
		if r.wait == waitAll {
			if _, pending, err := futures.Wait(ctx, fs, futures.AllCompleted); err != nil || len(pending) > 0 {
				panic(fmt.Sprintf("Wait: %d pending, %v", len(pending), err))
			}
		} else {
			for _, f := range fs {
				v, err := f.Result(ctx)
				if err != nil {
					panic(err)
				}
				sum += v
			}
		}
		clear(fs)
		return sum
	})
}

func (r *futuresRunner) close() error { return r.p.Close() }

// futuresGroupRunner makes a futures.Group on its pool per batch, adds every
// task with the group's Go and waits with its Wait: the counterpart of
// errgroup and conc, whose groups also serve one batch, on a pool that
// outlives the batch.
type futuresGroupRunner struct {
	p *futures.Pool
	// opts are the group's: futures-group-limit limits it to as many
	// tasks at once as errgroup's SetLimit and conc's WithMaxGoroutines.
	opts []futures.GroupOption
}

func openFuturesGroup(workers int) (runner, error) {
	p, err := futures.New(futures.WithWorkers(workers))
	if err != nil {
		return nil, err
	}
	return &futuresGroupRunner{p: p}, nil
}

func openFuturesGroupLimit(workers int) (runner, error) {
	p, err := futures.New(futures.WithWorkers(workers))
	if err != nil {
		return nil, err
	}
	return &futuresGroupRunner{p: p, opts: []futures.GroupOption{futures.WithLimit(workers)}}, nil
}

func (r *futuresGroupRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	g, _ := futures.NewGroup(context.Background(), r.p, r.opts...)
	task := tasks(closures, func(x uint64) func(context.Context) error {
		return func(context.Context) error {
			consume(fn(x))
			return nil
		}
	})
	spread(n, producers, func(lo, hi int) uint64 {
		for i := lo; i < hi; i++ {
			g.Go(task(uint64(i)))
		}
		return 0
	})
	if err := g.Wait(); err != nil {
		panic(err)
	}
	return 0
}

func (r *futuresGroupRunner) close() error { return r.p.Close() }

// chanPool is the bare baseline: a fixed set of goroutines fed by a channel
// of funcs, with room for 64 tasks per worker as the futures pool has.
type chanPool struct {
	tasks chan func()
	wg    sync.WaitGroup
}

func openChanPool(workers int) (runner, error) {
	p := &chanPool{tasks: make(chan func(), 64*workers)}
	for range workers {
		p.wg.Go(func() {
			for fn := range p.tasks {
				fn()
			}
		})
	}
	return p, nil
}

func (p *chanPool) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	countDown(n, producers, fn, closures, func(task func()) {
		p.tasks <- task
	})
	return 0
}

func (p *chanPool) close() error {
	close(p.tasks)
	p.wg.Wait()
	return nil
}

// goroutines is the other baseline: a goroutine per task, at most workers
// at once.
type goroutines struct {
	sem chan struct{}
}

func openGoroutines(workers int) (runner, error) {
	return &goroutines{sem: make(chan struct{}, workers)}, nil
}

func (g *goroutines) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	var wg sync.WaitGroup
	task := tasks(closures, func(x uint64) func() {
		return func() {
			consume(fn(x))
			<-g.sem
		}
	})
	spread(n, producers, func(lo, hi int) uint64 {
		for i := lo; i < hi; i++ {
			g.sem <- struct{}{}
			wg.Go(task(uint64(i)))
		}
		return 0
	})
	wg.Wait()
	return 0
}

func (g *goroutines) close() error { return nil }

type antsRunner struct {
	p *ants.Pool
}

func openAnts(workers int) (runner, error) {
	p, err := ants.NewPool(workers)
	if err != nil {
		return nil, err
	}
	return &antsRunner{p: p}, nil
}

func (r *antsRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	countDown(n, producers, fn, closures, func(task func()) {
		if err := r.p.Submit(task); err != nil {
			panic(err)
		}
	})
	return 0
}

// close waits for the pool's goroutines: Release alone does not.
func (r *antsRunner) close() error { return r.p.ReleaseTimeout(10 * time.Second) }

// pondRunner uses Go, pond's submission without a per-task handle.
type pondRunner struct {
	p pond.Pool
}

func openPond(workers int) (runner, error) {
	return &pondRunner{p: pond.NewPool(workers)}, nil
}

func (r *pondRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	countDown(n, producers, fn, closures, func(task func()) {
		if err := r.p.Go(task); err != nil {
			panic(err)
		}
	})
	return 0
}

func (r *pondRunner) close() error {
	r.p.StopAndWait()
	return nil
}

// pondTaskRunner uses Submit, pond's submission that returns a Task to wait
// on, and ignores the Task: the counterpart of futures.
type pondTaskRunner struct {
	pondRunner
}

func openPondTask(workers int) (runner, error) {
	return &pondTaskRunner{pondRunner{p: pond.NewPool(workers)}}, nil
}

func (r *pondTaskRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	countDown(n, producers, fn, closures, func(task func()) {
		r.p.Submit(task)
	})
	return 0
}

// pondResultRunner is pond's counterpart of futures-result: a result pool,
// Submit per task, and Wait on each task.
type pondResultRunner struct {
	p  pond.ResultPool[uint64]
	ts []pond.ResultTask[uint64]
}

func openPondResult(workers int) (runner, error) {
	return &pondResultRunner{p: pond.NewResultPool[uint64](workers)}, nil
}

func (r *pondResultRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	if len(r.ts) < n {
		r.ts = make([]pond.ResultTask[uint64], n)
	}
	task := tasks(closures, func(x uint64) func() uint64 {
		return func() uint64 { return fn(x) }
	})
	return spread(n, producers, func(lo, hi int) uint64 {
		ts := r.ts[lo:hi]
		for i := range ts {
			ts[i] = r.p.Submit(task(uint64(lo + i)))
		}
		var sum uint64
		for i, t := range ts {
			v, err := t.Wait()
			if err != nil {
				panic(err)
			}
			sum += v
			ts[i] = nil
		}
		return sum
	})
}

func (r *pondResultRunner) close() error {
	r.p.StopAndWait()
	return nil
}

// concRunner makes a conc pool per batch: a conc pool cannot be reused
// after Wait.
type concRunner struct {
	workers int
}

func openConc(workers int) (runner, error) { return concRunner{workers}, nil }

func (r concRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	p := concpool.New().WithMaxGoroutines(r.workers)
	task := tasks(closures, func(x uint64) func() {
		return func() { consume(fn(x)) }
	})
	spread(n, producers, func(lo, hi int) uint64 {
		for i := lo; i < hi; i++ {
			p.Go(task(uint64(i)))
		}
		return 0
	})
	p.Wait()
	return 0
}

func (concRunner) close() error { return nil }

// concResultRunner makes a conc ResultErrorPool per batch.
type concResultRunner struct {
	workers int
}

func openConcResult(workers int) (runner, error) { return concResultRunner{workers}, nil }

func (r concResultRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	p := concpool.NewWithResults[uint64]().WithErrors().WithMaxGoroutines(r.workers)
	task := tasks(closures, func(x uint64) func() (uint64, error) {
		return func() (uint64, error) { return fn(x), nil }
	})
	spread(n, producers, func(lo, hi int) uint64 {
		for i := lo; i < hi; i++ {
			p.Go(task(uint64(i)))
		}
		return 0
	})
	vs, err := p.Wait()
	if err != nil {
		panic(err)
	}
	var sum uint64
	for _, v := range vs {
		sum += v
	}
	return sum
}

func (concResultRunner) close() error { return nil }

// errgroupRunner makes a group per batch, limited to workers goroutines: a
// group is done once Wait returns.
type errgroupRunner struct {
	workers int
}

func openErrgroup(workers int) (runner, error) { return errgroupRunner{workers}, nil }

func (r errgroupRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	var g errgroup.Group
	g.SetLimit(r.workers)
	task := tasks(closures, func(x uint64) func() error {
		return func() error {
			consume(fn(x))
			return nil
		}
	})
	spread(n, producers, func(lo, hi int) uint64 {
		for i := lo; i < hi; i++ {
			g.Go(task(uint64(i)))
		}
		return 0
	})
	if err := g.Wait(); err != nil {
		panic(err)
	}
	return 0
}

func (errgroupRunner) close() error { return nil }

type workerpoolRunner struct {
	wp *workerpool.WorkerPool
}

func openWorkerpool(workers int) (runner, error) {
	return &workerpoolRunner{wp: workerpool.New(workers)}, nil
}

func (r *workerpoolRunner) run(n, producers int, fn func(uint64) uint64, closures bool) uint64 {
	countDown(n, producers, fn, closures, func(task func()) {
		r.wp.Submit(task)
	})
	return 0
}

func (r *workerpoolRunner) close() error {
	r.wp.StopWait()
	return nil
}

// A mapper is an ordered parallel map, set up with its workers for a
// benchmark.
type mapper interface {
	// mapInto sets out[i] = fn(xs[i]) for every i, running fn on the
	// workers, and returns once out is complete.
	mapInto(out, xs []uint64, fn func(uint64) uint64) error
	close() error
}

type mapImpl struct {
	name string
	open func(workers int) (mapper, error)
}

var mapImpls = []mapImpl{
	{name: "futures", open: openFuturesMap},
	{name: "rill", open: openRillMap},
	{name: "pond", open: openPondMap},
	{name: "conc", open: openConcMap},
}

// mapBuffer bounds how many items futures.Map and the pond map have
// submitted and not yet delivered.
const mapBuffer = 64

type futuresMap struct {
	p *futures.Pool
}

func openFuturesMap(workers int) (mapper, error) {
	p, err := futures.New(futures.WithWorkers(workers))
	if err != nil {
		return nil, err
	}
	return futuresMap{p}, nil
}

func (m futuresMap) mapInto(out, xs []uint64, fn func(uint64) uint64) error {
	task := func(_ context.Context, x uint64) (uint64, error) { return fn(x), nil }
	i := 0
	for v, err := range futures.Map(context.Background(), m.p, slices.Values(xs), task, futures.WithBuffer(mapBuffer)) {
		if err != nil {
			return err
		}
		out[i] = v
		i++
	}
	return checkCount(i, len(xs))
}

func (m futuresMap) close() error { return m.p.Close() }

// rillMap runs rill.OrderedMap with workers goroutines; rill starts them
// per call and they exit once the output is drained.
type rillMap struct {
	workers int
}

func openRillMap(workers int) (mapper, error) { return rillMap{workers}, nil }

func (m rillMap) mapInto(out, xs []uint64, fn func(uint64) uint64) error {
	task := func(x uint64) (uint64, error) { return fn(x), nil }
	results := rill.OrderedMap(rill.FromSlice(xs, nil), m.workers, task)
	i := 0
	for r := range results {
		if r.Error != nil {
			rill.DrainNB(results)
			return r.Error
		}
		out[i] = r.Value
		i++
	}
	return checkCount(i, len(xs))
}

func (rillMap) close() error { return nil }

// pondMap keeps a window of mapBuffer result tasks, as futures.Map does:
// it waits for the oldest before submitting past the window.
type pondMap struct {
	p pond.ResultPool[uint64]
}

func openPondMap(workers int) (mapper, error) {
	return pondMap{pond.NewResultPool[uint64](workers)}, nil
}

func (m pondMap) mapInto(out, xs []uint64, fn func(uint64) uint64) error {
	var window [mapBuffer]pond.ResultTask[uint64]
	wait := func(i int) error {
		v, err := window[i%mapBuffer].Wait()
		window[i%mapBuffer] = nil
		out[i] = v
		return err
	}
	for i, x := range xs {
		if i >= mapBuffer {
			if err := wait(i - mapBuffer); err != nil {
				return err
			}
		}
		window[i%mapBuffer] = m.p.Submit(func() uint64 { return fn(x) })
	}
	for i := max(0, len(xs)-mapBuffer); i < len(xs); i++ {
		if err := wait(i); err != nil {
			return err
		}
	}
	return nil
}

func (m pondMap) close() error {
	m.p.StopAndWait()
	return nil
}

// concMap uses conc's stream, which runs callbacks in submission order; a
// stream cannot be reused after Wait.
type concMap struct {
	workers int
}

func openConcMap(workers int) (mapper, error) { return concMap{workers}, nil }

func (m concMap) mapInto(out, xs []uint64, fn func(uint64) uint64) error {
	s := stream.New().WithMaxGoroutines(m.workers)
	for i, x := range xs {
		s.Go(func() stream.Callback {
			v := fn(x)
			return func() { out[i] = v }
		})
	}
	s.Wait()
	return nil
}

func (concMap) close() error { return nil }

var errShort = errors.New("benchmarks: map yielded the wrong number of results")

func checkCount(got, want int) error {
	if got != want {
		return fmt.Errorf("%w: %d of %d", errShort, got, want)
	}
	return nil
}
