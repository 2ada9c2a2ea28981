// Package benchmarks measures github.com/go-futures/futures side by side with
// other Go worker pools: ants, pond, conc, errgroup, gammazero/workerpool and
// rill, plus two baselines (a bare channel-fed pool and a goroutine per task).
//
// It is a module of its own so that the library's go.mod carries none of
// these dependencies. The package holds only tests and benchmarks; run them
// with run.sh beside this file, which also writes RESULTS.md and a chart.
package benchmarks
