#!/usr/bin/env bash
# Compares the library at two revisions on the benchmarks of this module, for
# the before and after of a change to the queue, the worker loop or a group's
# hot path. Run from anywhere:
#
#   bash benchmarks/compare.sh OLD [NEW]
#
# OLD and NEW are git revisions of the repository; without NEW, the work tree
# as it is. Both are measured with the benchmarks of the work tree, so that
# they run the same code but for the library's. The two test binaries run in
# turn, a round each, so that a burst of load on a shared machine lands on
# both; benchstat then compares the time per task, the CPU time per task,
# and the allocations.
#
#   ROUNDS=6       rounds of each (benchstat wants 6 or more)
#   BENCHTIME=0.5s go test -benchtime of each sample
#   BENCH=...      go test -bench pattern; by default tiny, tiny-closure and
#                  2 µs tasks with 1 and 8 producers, Submit and a group's
#                  Go, and the large heap of BenchmarkHeap
#
# The raw results stay in benchmarks/results/compare-old.txt and
# compare-new.txt (not committed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ $# -lt 1 || $# -gt 2 ]]; then
	echo "usage: bash benchmarks/compare.sh OLD [NEW]" >&2
	exit 2
fi
old=$1
new=${2:-}

ROUNDS=${ROUNDS:-6}
BENCHTIME=${BENCHTIME:-0.5s}
BENCH=${BENCH:-'Pool/workload=(tiny|tiny-closure|cpu2us)/producers=(1|8)/impl=(futures|futures-group)$|Heap/heap=large/impl=(futures|futures-group)$'}
# As run.sh: golang.org/x/perf has no tagged releases.
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da

step() { printf '\n==> %s\n' "$*" >&2; }

tmp=$(mktemp -d)
cleanup() {
	for tree in "$tmp"/tree-*; do
		[[ -d $tree ]] && git worktree remove --force "$tree" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

step "benchstat $BENCHSTAT_VERSION"
GOBIN="$tmp/bin" go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION"

# build NAME REV writes $tmp/NAME.test: this module's benchmarks against the
# library at REV, or at the work tree if REV is empty.
build() {
	local name=$1 rev=$2
	if [[ -z $rev ]]; then
		step "go test -c: the work tree"
		go test -c -o "$tmp/$name.test" .
		return
	fi
	local tree=$tmp/tree-$name
	step "go test -c: $rev ($(git rev-parse --short "$rev"))"
	git worktree add --detach --quiet "$tree" "$rev"
	rm -rf "$tree/benchmarks"
	mkdir "$tree/benchmarks"
	cp go.mod go.sum ./*.go "$tree/benchmarks/"
	(cd "$tree/benchmarks" && go test -c -o "$tmp/$name.test" .)
}
build old "$old"
build new "$new"

mkdir -p results
: >results/compare-old.txt
: >results/compare-new.txt
for ((round = 1; round <= ROUNDS; round++)); do
	for name in old new; do
		step "round $round of $ROUNDS: $name"
		"$tmp/$name.test" -test.run '^$' -test.bench "$BENCH" -test.count=1 \
			-test.benchtime="$BENCHTIME" -test.timeout=0 >>"results/compare-$name.txt"
	done
done

step "benchstat: $old against ${new:-the work tree}"
"$tmp/bin/benchstat" -filter '.unit:(ns/task OR cpu-ns/task OR allocs/task OR B/task)' \
	old=results/compare-old.txt new=results/compare-new.txt
