#!/usr/bin/env bash
# Runs the side-by-side benchmarks and writes results/raw.txt, RESULTS.md and
# results/chart.svg. Run from anywhere: bash benchmarks/run.sh
#
#   COUNT=6        samples of every benchmark
#   BENCHTIME=1s   go test -benchtime of each sample
#   BENCH=.        go test -bench pattern
#   INTERLEAVE=1   take the samples in COUNT rounds of -count=1, so that a
#                  burst of load on a shared machine lands on every
#                  implementation rather than on all samples of one;
#                  INTERLEAVE=0 runs a single go test -count=COUNT
#   CPUS=1,2,4,8   the GOMAXPROCS values of the scaling run (go test -cpu),
#                  which charts throughput against processors in
#                  results/scaling.svg and RESULTS.md's Scaling section;
#                  CPUS= (empty) skips it. Above the machine's cores the
#                  processors are oversubscribed: that measures contention.
#   SCALING_COUNT=3  rounds of the scaling run
#   OBSERVE=1      also run the library's own benchmarks of what seeing
#                  inside costs (BenchmarkTiming, BenchmarkWorkerComeback)
#                  into results/observability.txt and RESULTS.md's
#                  Observability section; OBSERVE=0 skips them
#   SCALING_BENCH  its go test -bench pattern: the pool benchmarks of tiny
#                  tasks (a closure each) and 2 µs tasks, 8 producers
#
# With the defaults a run takes about half an hour on 2 cores: about 4.5
# minutes a round, and 4 for the scaling run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
BENCH=${BENCH:-.}
INTERLEAVE=${INTERLEAVE:-1}
CPUS=${CPUS-1,2,4,8}
SCALING_COUNT=${SCALING_COUNT:-3}
OBSERVE=${OBSERVE:-1}
SCALING_BENCH=${SCALING_BENCH:-'Pool/workload=(tiny-closure|cpu2us)/producers=8/impl=(futures|futures-group|pond|conc|errgroup|chanpool)$'}

# Pinned: golang.org/x/perf has no tagged releases; this is its commit of
# 2026-09-08.
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da

step() { printf '\n==> %s\n' "$*" >&2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "benchstat $BENCHSTAT_VERSION"
GOBIN="$tmp/bin" go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION"
benchstat="$tmp/bin/benchstat"
# The machine is described once in RESULTS.md, not above every table.
bstat() { "$benchstat" "$@" | sed '/^\(goos\|goarch\|pkg\|cpu\): /d'; }

mkdir -p results
raw=results/raw.txt
: >"$raw"

if [[ $INTERLEAVE == 1 ]]; then
	rounds=$COUNT
	per=1
else
	rounds=1
	per=$COUNT
fi
# One test binary for every round: the library may change in the work tree
# while the benchmarks run, and all samples must measure the same code.
step "go test -c"
go test -c -o "$tmp/benchmarks.test" .
cmd=("$tmp/benchmarks.test" -test.run '^$' -test.bench "$BENCH" -test.count="$per" -test.benchtime="$BENCHTIME" -test.timeout=0)
shown="go test -run '^\$' -bench '$BENCH' -count=$per -benchtime=$BENCHTIME -timeout=0 ."
library=$(git -C .. rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C .. status --porcelain -- . ':!benchmarks' 2>/dev/null) ]]; then
	library+=", with uncommitted changes"
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
for ((round = 1; round <= rounds; round++)); do
	step "round $round of $rounds: $shown"
	"${cmd[@]}" | tee -a "$raw"
done
scaling=results/scaling.txt
: >"$tmp/scaling.md"
if [[ -n $CPUS ]]; then
	: >"$scaling"
	for ((round = 1; round <= SCALING_COUNT; round++)); do
		step "scaling round $round of $SCALING_COUNT: -cpu $CPUS -bench '$SCALING_BENCH'"
		"$tmp/benchmarks.test" -test.run '^$' -test.bench "$SCALING_BENCH" -test.cpu "$CPUS" \
			-test.count=1 -test.benchtime="$BENCHTIME" -test.timeout=0 | tee -a "$scaling"
	done
	go run ./cmd/chart -scaling -in "$scaling" -svg results/scaling.svg -md "$tmp/scaling.md"
fi
: >"$tmp/scaling-section.md"
if [[ -s $tmp/scaling.md ]]; then
	{
		printf '\n## Scaling\n\n'
		printf 'Throughput against GOMAXPROCS: %s rounds of `go test -run '"'"'^$'"'"' -bench '"'"'%s'"'"' -cpu %s`\n' \
			"$SCALING_COUNT" "$SCALING_BENCH" "$CPUS"
		printf 'with the same binary, medians per cell, on the machine above (%s cores). GOMAXPROCS above\n' "$(nproc)"
		printf 'the cores oversubscribes them, so those columns measure the cost of contention, not speed-up:\n'
		printf 'run the script on a machine with more cores for the rest. Raw results in `results/scaling.txt`.\n\n'
		printf '![throughput against GOMAXPROCS](results/scaling.svg)\n\n'
		cat "$tmp/scaling.md"
	} >"$tmp/scaling-section.md"
fi
# What seeing inside costs, measured by the library's own benchmarks: the
# same COUNT, interleaved as above.
observability=results/observability.txt
: >"$tmp/observability.md"
if [[ $OBSERVE == 1 ]]; then
	step "go test -c (the library)"
	(cd .. && go test -c -o "$tmp/futures.test" .)
	: >"$observability"
	for ((round = 1; round <= COUNT; round++)); do
		step "observability round $round of $COUNT"
		"$tmp/futures.test" -test.run '^$' -test.bench '^Benchmark(Timing|WorkerComeback)$' \
			-test.count=1 -test.benchtime="$BENCHTIME" -test.timeout=0 | tee -a "$observability"
	done
	{
		printf '\n## Observability\n\n'
		printf 'What seeing inside costs: %s rounds of the library'"'"'s own\n' "$COUNT"
		printf '`go test -run '"'"'^$'"'"' -bench '"'"'^Benchmark(Timing|WorkerComeback)$'"'"' -benchtime=%s .`,\n' "$BENCHTIME"
		printf 'raw results in `results/observability.txt`. `Timing`: tiny tasks on 2 workers,\n'
		printf 'without and with `WithTiming()`; the difference is its cost a task, three readings of the\n'
		printf 'clock among it. `WorkerComeback`: a task that finds its worker idle, and one that must start\n'
		printf 'it again after the keep-alive retired it.\n\n```\n'
		bstat -col /timing -filter '.name:Timing' "$observability"
		printf '\n'
		bstat -col /comeback -filter '.name:WorkerComeback' "$observability"
		printf '```\n'
	} >"$tmp/observability.md"
fi
elapsed=$(($(date +%s) - started))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

step "chart and tables"
go run ./cmd/chart -in "$raw" -svg results/chart.svg -md "$tmp/tables.md"

step "benchstat"
# One table per peer, beside impl=futures, so that each stays readable.
impls=$(sed -n 's/^BenchmarkPool\/[^ ]*\/impl=\([^ ]*\)-[0-9]* .*/\1/p' "$raw" | awk '!seen[$0]++')
{
	for impl in $impls; do
		[[ $impl == futures ]] && continue
		printf '### futures vs %s\n\n```\n' "$impl"
		bstat -col /impl -filter ".name:Pool .unit:ns/task /impl:(futures OR $impl)" "$raw"
		printf '```\n\n'
	done
	# The peers of a futures.Group, with futures-group as the base: a
	# group per batch (errgroup with SetLimit, conc with
	# WithMaxGoroutines), pond's Go with a sync.WaitGroup, and Submit.
	printf '### futures-group vs pond, errgroup, conc and futures\n\n```\n'
	bstat -col '/impl@(futures-group pond errgroup conc futures)' -filter '.name:Pool .unit:ns/task' "$raw"
	printf '```\n\n'
	# A pool's cost beside its allocations' toll on the collector:
	# futures against pond carrying a record the size of its task.
	printf '### Heap: futures vs pond carrying a record as large as its task\n\n```\n'
	bstat -col /impl -filter '.name:Heap .unit:ns/task' "$raw"
	printf '```\n\n'
	printf '### Map (ns/item)\n\n```\n'
	bstat -col /impl -filter '.name:Map .unit:ns/item' "$raw"
	printf '```\n\n### MapMemory, SleepBound and the workloads alone\n\n```\n'
	bstat -filter '.name:(MapMemory OR SleepBound OR Work) -.unit:(B/op OR allocs/op)' "$raw"
	printf '```\n'
} >"$tmp/benchstat.md"

machine_cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
versions=$(go list -m -f '{{.Path}} {{.Version}}' \
	github.com/panjf2000/ants/v2 github.com/alitto/pond/v2 github.com/sourcegraph/conc \
	golang.org/x/sync github.com/gammazero/workerpool github.com/destel/rill)
if ((rounds > 1)); then
	how="$rounds rounds of"
else
	how="One run of"
fi

step "RESULTS.md"
{
	cat <<EOF
# Benchmark results

Taken $(date -u '+%Y-%m-%d %H:%M UTC'), by \`COUNT=$COUNT BENCHTIME=$BENCHTIME BENCH=$BENCH INTERLEAVE=$INTERLEAVE bash benchmarks/run.sh\`.
These are ratios on the machine below, nothing more: on another machine, run the script again.

## Machine

- $(go version)
- GOOS/GOARCH: $(go env GOOS)/$(go env GOARCH)
- CPU: ${machine_cpu:-unknown}, nproc $(nproc)
- load average (1, 5, 15 min): $load_before before, $load_after after; the machine is shared, so
  expect noise
- took ${elapsed}s

Peers:

\`\`\`
$versions
\`\`\`

## Command

$how the following, in \`benchmarks/\` (as one binary built by \`go test -c\`, run once per round),
against the library at $library:

\`\`\`
$shown
\`\`\`

## Medians and ratios to impl=futures

Per workload, the median of each implementation and its ratio to \`impl=futures\` in the same
group (below 1: faster than futures). CPU time (the whole process's, on every core, collector
included), allocations and bytes are per task (per item for Map).
\`futures\` submits with \`futures.Submit\`, ignores the futures and waits with a \`sync.WaitGroup\`,
as the runners of the libraries without futures do (\`pond\` uses pond's \`Go\`, which returns no
handle); \`futures-wait\` keeps the futures and waits with \`futures.Wait\`; \`pond-task\` uses
pond's \`Submit\`, which returns a \`Task\` (ignored). \`futures-group\` makes a
\`futures.Group\` per batch on a pool that outlives it, adds each task with the group's \`Go\`
and waits with its \`Wait\`, as \`errgroup\` (\`SetLimit(workers)\`) and \`conc\`
(\`WithMaxGoroutines(workers)\`) do with a group of their own per batch;
\`futures-group-limit\` does the same with the group made \`WithLimit(workers)\`.
\`futures-result\`, \`pond-result\` and \`conc-result\` also collect every result; the others
wait with a \`sync.WaitGroup\` or their own group. See \`impl_test.go\`.

The floors to read them against: for \`tiny\`, \`chanpool\` (a channel send and receive per task);
for \`cpu2us\`, \`Work/workload=cpu2us\` divided by the 2 workers, reached only when both cores are
free for this process; for \`sleep1ms\`, \`Work/workload=sleep1ms\` divided by the 100 workers.
In SleepBound, \`impl=waves\` is the floor of that benchmark: its sleeps with no pool at all.
All of them are in the last table of this section.

![median ns/task per implementation](results/chart.svg)

$(cat "$tmp/tables.md")

## benchstat

Pivoted by implementation (\`-col /impl\`); \`~\` means the difference is within the noise.

$(cat "$tmp/benchstat.md")
$(cat "$tmp/scaling-section.md")
$(cat "$tmp/observability.md")
EOF
} >RESULTS.md

step "wrote $(pwd)/RESULTS.md, $(pwd)/$raw and $(pwd)/results/chart.svg in ${elapsed}s"
