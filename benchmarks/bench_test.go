package benchmarks

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/go-futures/futures"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The benchmarks run every implementation on the same workloads, with the
// same number of workers, in one binary, so that their ratios can be read
// with benchstat: run.sh pivots the results on the impl key.

func TestMain(m *testing.M) {
	// ants starts a pool of its own when the package is initialised, before
	// any test: only goroutines started after this point count as leaks.
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}

// TestPoolImplsRunEveryTask checks that every implementation runs each task
// of every batch, once, never more than its workers at a time, so that no
// benchmark can measure an implementation that skips work.
func TestPoolImplsRunEveryTask(t *testing.T) {
	const workers, batch, batches = 4, 1000, 3
	for _, im := range poolImpls {
		for _, tt := range []struct {
			producers int
			closures  bool
		}{{1, false}, {8, false}, {1, true}, {8, true}} {
			producers := tt.producers
			t.Run(fmt.Sprintf("producers=%d/closures=%v/impl=%s", producers, tt.closures, im.name), func(t *testing.T) {
				var ran, running, peak atomic.Int64
				fn := func(x uint64) uint64 {
					ran.Add(1)
					n := running.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					runtime.Gosched() // give other tasks a chance to overlap
					running.Add(-1)
					return x
				}
				r, err := im.open(workers)
				require.NoError(t, err)
				var sum uint64
				for range batches {
					sum += r.run(batch, producers, fn, tt.closures)
				}
				require.NoError(t, r.close())

				assert.Equal(t, int64(batch*batches), ran.Load(), "tasks run")
				assert.LessOrEqual(t, peak.Load(), int64(workers), "tasks running at once")
				want := uint64(batch * batches) // fn(1) for every task
				if tt.closures {
					want = batches * batch * (batch - 1) / 2 // fn(i) for task i
				}
				if im.results {
					assert.Equal(t, want, sum, "sum of the results")
				} else {
					assert.Zero(t, sum)
				}
			})
		}
	}
}

// TestMapImplsKeepOrder checks that every map implementation maps each item
// once and delivers the results in input order.
func TestMapImplsKeepOrder(t *testing.T) {
	const workers, items = 4, 10_000
	xs := make([]uint64, items)
	want := make([]uint64, items)
	for i := range xs {
		xs[i] = uint64(i)
		want[i] = cpu2us(uint64(i))
	}
	for _, im := range mapImpls {
		t.Run("impl="+im.name, func(t *testing.T) {
			var ran atomic.Int64
			fn := func(x uint64) uint64 {
				ran.Add(1)
				if x%7 == 0 {
					runtime.Gosched() // finish out of order
				}
				return cpu2us(x)
			}
			m, err := im.open(workers)
			require.NoError(t, err)
			for range 2 {
				out := make([]uint64, items)
				require.NoError(t, m.mapInto(out, xs, fn))
				require.Equal(t, want, out)
			}
			require.NoError(t, m.close())
			assert.Equal(t, int64(2*items), ran.Load())
		})
	}
}

// TestCPU2usIsDeterministic checks that the CPU workload computes the same
// value every time, and one the compiler cannot fold into a constant.
func TestCPU2usIsDeterministic(t *testing.T) {
	assert.Equal(t, cpu2us(1), cpu2us(1))
	assert.NotEqual(t, cpu2us(1), cpu2us(2))
	assert.NotZero(t, cpu2us(0))
}

// measure runs batch in a b.Loop and reports the time, allocations and
// bytes per task (per is "task") or per item, for n of them a batch. It also
// reports the CPU time per task that the whole process spent, on every core
// (cpu-ns/task): the work a task costs, collector included, where ns/task is
// what a caller waits. Time spent waiting to be scheduled does not count in
// it, but a shared machine slows the work itself too: compare it, as ns/task,
// over repeated runs.
func measure(b *testing.B, n int, per string, batch func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpuBefore := cpuTime()
	for b.Loop() {
		batch()
	}
	cpuAfter := cpuTime()
	runtime.ReadMemStats(&after)
	total := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/"+per)
	if cpuBefore >= 0 && cpuAfter >= 0 {
		b.ReportMetric(float64(cpuAfter-cpuBefore)/total, "cpu-ns/"+per)
	}
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/"+per)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/total, "B/"+per)
}

// BenchmarkWork times one call of each workload's task on its own, the
// floor under every implementation's ns/task.
func BenchmarkWork(b *testing.B) {
	for _, wl := range workloads {
		b.Run("workload="+wl.name, func(b *testing.B) {
			b.ReportAllocs()
			x := uint64(1)
			for b.Loop() {
				x = wl.fn(x)
			}
			consume(x)
		})
	}
}

// BenchmarkPool submits a batch of tasks per iteration, from one goroutine
// or from eight at once, and waits for all of them.
func BenchmarkPool(b *testing.B) {
	for _, wl := range workloads {
		for _, producers := range producerCounts {
			for _, im := range poolImpls {
				name := fmt.Sprintf("workload=%s/producers=%d/impl=%s", wl.name, producers, im.name)
				b.Run(name, func(b *testing.B) {
					r, err := im.open(wl.workerCount())
					if err != nil {
						b.Fatal(err)
					}
					measure(b, wl.batch, "task", func() { r.run(wl.batch, producers, wl.fn, wl.closures) })
					if err := r.close(); err != nil {
						b.Fatal(err)
					}
				})
			}
		}
	}
}

// BenchmarkMap maps 100k ints in order per iteration, GOMAXPROCS workers.
func BenchmarkMap(b *testing.B) {
	const items = 100_000
	xs := make([]uint64, items)
	for i := range xs {
		xs[i] = uint64(i)
	}
	out := make([]uint64, items)
	for _, wl := range workloads[:2] { // 100k sleeps would take too long
		for _, im := range mapImpls {
			b.Run(fmt.Sprintf("workload=%s/impl=%s", wl.name, im.name), func(b *testing.B) {
				m, err := im.open(runtime.GOMAXPROCS(0))
				if err != nil {
					b.Fatal(err)
				}
				measure(b, items, "item", func() {
					if err := m.mapInto(out, xs, wl.fn); err != nil {
						b.Fatal(err)
					}
				})
				if err := m.close(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkMapMemory pushes 10M items from an endless generator through
// futures.Map and reports the largest live heap seen, sampled after a GC
// every 1M items (live-B), beside the live heap before the first item
// (base-B). A Map whose memory grows with the input shows here.
func BenchmarkMapMemory(b *testing.B) {
	const items, every = 10_000_000, 1_000_000
	p, err := futures.New()
	if err != nil {
		b.Fatal(err)
	}
	endless := func(yield func(uint64) bool) {
		for i := uint64(0); yield(i); i++ {
		}
	}
	square := func(_ context.Context, x uint64) (uint64, error) { return x*x + 1, nil }
	liveHeap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := liveHeap()
	var peak uint64
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for v, err := range futures.Map(context.Background(), p, endless, square, futures.WithBuffer(64)) {
			if err != nil {
				b.Fatal(err)
			}
			consume(v)
			if n++; n%every == 0 {
				peak = max(peak, liveHeap())
				if n == items {
					break
				}
			}
		}
	}
	b.ReportMetric(float64(peak), "live-B")
	b.ReportMetric(float64(base), "base-B")
	if err := p.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSleepBound runs 2000 tasks of a 1 ms sleep on 200 workers per
// iteration and reports the wall time over the ideal 10 ms (x-ideal). The
// ideal assumes that time.Sleep(time.Millisecond) takes 1 ms, which it does
// not: impl=waves is the floor with the sleeps this machine really gives, 200
// goroutines each sleeping 10 times in a row, with no pool at all. The bare
// channel pool shows what a pool adds to that.
func BenchmarkSleepBound(b *testing.B) {
	const tasks, workers = 2000, 200
	const ideal = tasks * time.Millisecond / workers
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed())/(float64(b.N)*float64(ideal)), "x-ideal")
	}
	b.Run("impl=waves", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for range tasks / workers {
						consume(sleep1ms(1))
					}
				})
			}
			wg.Wait()
		}
		report(b)
	})
	for _, im := range []poolImpl{implNamed("futures"), implNamed("futures-wait"), implNamed("chanpool")} {
		b.Run("impl="+im.name, func(b *testing.B) {
			r, err := im.open(workers)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				r.run(tasks, 1, sleep1ms, false)
			}
			report(b)
			if err := r.close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func implNamed(name string) poolImpl {
	for _, im := range poolImpls {
		if im.name == name {
			return im
		}
	}
	panic("benchmarks: no implementation named " + name)
}

// BenchmarkHeap asks how much of a pool's cost a task is its allocations'
// toll on the garbage collector, which depends on the program's heap rather
// than on the pool. It runs batches of 1000 tiny tasks, each a closure of
// its own, from one producer on 2 workers: with futures' Submit, with a
// group's Go, with pond's Go, and with pond's Go carrying a record per task
// of 80 bytes (the size of a group's task) or 144 (a future's), the
// allocation that futures' API needs, which the worker writes as a task's
// completion does: a value and a pointer. Each runs in a heap as the
// benchmark leaves it, a few MiB live, so that a collection comes every few
// MiB allocated (heap=small), and beside 256 MiB live, as in a long-running
// program, where collections are rare (heap=large). Where pond with a record
// is level with futures in the large heap, the pool adds nothing to the
// allocation its API forces; where it is not, the difference is the pool's
// own.
func BenchmarkHeap(b *testing.B) {
	const workers, batch = 2, 1000
	type record80 struct {
		p [5]*uint64
		x [5]uint64
	}
	type record144 struct {
		p [10]*uint64
		x [8]uint64
	}
	pondRecord := func(task func(x uint64, wg *sync.WaitGroup) func()) func(int) (runner, error) {
		return func(workers int) (runner, error) {
			return &pondRecordRunner{pondRunner{p: pond.NewPool(workers)}, task}, nil
		}
	}
	impls := []poolImpl{
		implNamed("futures"),
		implNamed("futures-group"),
		implNamed("pond"),
		{name: "pond+record80", open: pondRecord(func(x uint64, wg *sync.WaitGroup) func() {
			r := new(record80)
			return func() { r.x[0] = tiny(x); r.p[0] = &r.x[0]; consume(*r.p[0]); wg.Done() }
		})},
		{name: "pond+record144", open: pondRecord(func(x uint64, wg *sync.WaitGroup) func() {
			r := new(record144)
			return func() { r.x[0] = tiny(x); r.p[0] = &r.x[0]; consume(*r.p[0]); wg.Done() }
		})},
	}
	for _, heap := range []struct {
		name string
		live int
	}{{"small", 0}, {"large", 256 << 20}} {
		// No pointers in it: the collector never scans it, but counts it
		// in the live heap that paces collections. Made once for every
		// implementation, then settled in, so that none pays for the
		// heap's growth: the memory that the tasks' garbage will take
		// until the next collection is touched once first, as the first
		// implementation would otherwise fault it in.
		ballast := make([]byte, heap.live)
		for range 2 * heap.live / len(warmup) {
			warmup = make([]byte, len(warmup))
		}
		runtime.GC()
		for _, im := range impls {
			b.Run(fmt.Sprintf("heap=%s/impl=%s", heap.name, im.name), func(b *testing.B) {
				r, err := im.open(workers)
				if err != nil {
					b.Fatal(err)
				}
				measure(b, batch, "task", func() { r.run(batch, 1, tiny, true) })
				if err := r.close(); err != nil {
					b.Fatal(err)
				}
			})
		}
		runtime.KeepAlive(ballast)
	}
}

// warmup is the garbage that settles BenchmarkHeap's large heap in.
var warmup = make([]byte, 64<<10)

// pondRecordRunner is pond's Go with tasks of tiny that each carry a record,
// made by task, which also counts the task down on wg when it has run.
type pondRecordRunner struct {
	pondRunner
	task func(x uint64, wg *sync.WaitGroup) func()
}

func (r *pondRecordRunner) run(n, producers int, _ func(uint64) uint64, _ bool) uint64 {
	var wg sync.WaitGroup
	wg.Add(n)
	spread(n, producers, func(lo, hi int) uint64 {
		for i := lo; i < hi; i++ {
			if err := r.p.Go(r.task(uint64(i), &wg)); err != nil {
				panic(err)
			}
		}
		return 0
	})
	wg.Wait()
	return 0
}
