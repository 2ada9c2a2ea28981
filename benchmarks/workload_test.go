package benchmarks

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A workload is the task every implementation runs in a benchmark, after
// the workloads of alitto/pond-benchmarks.
type workload struct {
	name    string
	batch   int // tasks per benchmark iteration
	workers int // the same for every implementation; 0 for GOMAXPROCS
	fn      func(uint64) uint64
	// closures gives each task a closure of its own, allocated as it is
	// submitted, that captures its input: how callers write tasks, and so
	// one allocation per task for every implementation. Without, one func
	// serves every task, which costs the implementations that need no
	// object per task nothing at all.
	closures bool
}

var workloads = []workload{
	{name: "tiny", batch: 1000, fn: tiny},
	{name: "tiny-closure", batch: 1000, fn: tiny, closures: true},
	{name: "cpu2us", batch: 1000, fn: cpu2us},
	{name: "sleep1ms", batch: 200, workers: 100, fn: sleep1ms},
}

// workerCount returns the workers of wl's benchmarks: GOMAXPROCS, read as
// each runs so that -cpu sets it, unless wl sets a number of its own.
func (wl workload) workerCount() int {
	if wl.workers == 0 {
		return runtime.GOMAXPROCS(0)
	}
	return wl.workers
}

// producerCounts are the numbers of goroutines submitting a batch at once.
var producerCounts = []int{1, 8}

func tiny(x uint64) uint64 { return x + 1 }

// cpu2usRounds was calibrated on the 2-core AMD EPYC machine the results
// were taken on: about 2.1 ns a round. BenchmarkWork reports the time of one
// call, so a run on another machine can tell how far it is from 2 µs.
const cpu2usRounds = 950

// cpu2us is about 2 µs of arithmetic that touches no memory: rounds of a
// xorshift generator seeded with x. The result depends on every round, so
// the loop cannot be optimised away as long as the result is used.
func cpu2us(x uint64) uint64 {
	x |= 1 // xorshift must not start at zero
	for range cpu2usRounds {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func sleep1ms(x uint64) uint64 {
	time.Sleep(time.Millisecond)
	return x + 1
}

// sink keeps results alive. consume never stores in practice (no workload
// returns zero), so workers do not contend on it, but the compiler cannot
// know that and must compute every result.
var sink atomic.Uint64

func consume(v uint64) {
	if v == 0 {
		sink.Add(1)
	}
}
