package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/go-futures/futures/benchmarks
cpu: AMD EPYC
BenchmarkPool/workload=tiny/producers=1/impl=futures-2   	  10	    366956 ns/op	 128.9 B/task	 1.003 allocs/task	 600 cpu-ns/task	 300.0 ns/task	  128908 B/op	    1002 allocs/op
BenchmarkPool/workload=tiny/producers=1/impl=futures-2   	  10	    366956 ns/op	 128.9 B/task	 1.003 allocs/task	 700 cpu-ns/task	 400.0 ns/task	  128908 B/op	    1002 allocs/op
BenchmarkPool/workload=tiny/producers=1/impl=futures-2   	  10	    366956 ns/op	 128.9 B/task	 1.003 allocs/task	 800 cpu-ns/task	 500.0 ns/task	  128908 B/op	    1002 allocs/op
BenchmarkPool/workload=tiny/producers=1/impl=a<b-2       	  10	     74740 ns/op	 0.07 B/task	 0.003 allocs/task	 800.0 ns/task	      75 B/op	       3 allocs/op
BenchmarkPool/workload=tiny/producers=1/impl=a<b-2       	  10	     74740 ns/op	 0.07 B/task	 0.003 allocs/task	 1000 ns/task	      75 B/op	       3 allocs/op
BenchmarkMap/workload=tiny/impl=futures-2  	  10	  41556728 ns/op	 415.6 ns/item	 1 allocs/item	 144 B/item	14400813 B/op	  100011 allocs/op
BenchmarkSleepBound/impl=futures-2     	      10	  15553316 ns/op	  1.555 x-ideal	  261545 B/op	    2032 allocs/op
PASS
ok  	github.com/go-futures/futures/benchmarks	74.743s
`

func TestParseAndSummarize(t *testing.T) {
	results, cfg, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	require.Len(t, results, 7)
	assert.Equal(t, "linux/amd64, AMD EPYC, GOMAXPROCS=2", cfg.String())
	assert.Equal(t, "Pool", results[0].bench)
	assert.Equal(t, "futures", results[0].get("impl"))
	assert.Equal(t, "1", results[0].get("producers"))

	panels := summarize(results)
	require.Len(t, panels, 2, "SleepBound has no time per task")
	p := panels[0]
	assert.Equal(t, "Pool, workload=tiny", p.title)
	assert.Equal(t, "ns/task", p.unit)
	require.Len(t, p.groups, 1)
	g := p.groups[0]
	assert.Equal(t, "producers=1", g.label)
	require.Len(t, g.bars, 2)
	assert.Equal(t, bar{impl: "futures", median: 400, cpu: 700, allocs: 1.003, bytes: 128.9, n: 3}, g.bars[0])
	assert.Equal(t, -1.0, g.bars[1].cpu, "no CPU time reported")
	assert.Equal(t, 900.0, g.bars[1].median, "the mean of the middle two of an even count")
	assert.InDelta(t, 2.25, g.ratio(g.bars[1]), 1e-9)
	assert.Equal(t, "ns/item", panels[1].unit)
	assert.Equal(t, 1.0, panels[1].groups[0].bars[0].allocs)
}

func TestDrawSVGIsWellFormed(t *testing.T) {
	results, cfg, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, drawSVG(&b, summarize(results), cfg.String()))
	dec := xml.NewDecoder(&b)
	var texts []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if cd, ok := tok.(xml.CharData); ok && strings.TrimSpace(string(cd)) != "" {
			texts = append(texts, string(cd))
		}
	}
	assert.Contains(t, texts, "a<b", "names are escaped")
	assert.Contains(t, texts, "Pool, workload=tiny")
	assert.Contains(t, texts, "900 ns · 2.25×")
}

func TestWriteTables(t *testing.T) {
	results, _, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, writeTables(&b, summarize(results), results))
	assert.Contains(t, b.String(), "| producers=1 | futures | 400 | 1.00 | 700 | 1.00 | 129 |")
	assert.Contains(t, b.String(), "| producers=1 | a<b | 900 | 2.25 | – | 0.00 | 0.07 |")
	assert.Contains(t, b.String(), "| SleepBound/impl=futures | x-ideal | 1.55 |")
}

func TestTicks(t *testing.T) {
	tests := []struct {
		give              float64
		wantStep, wantEnd float64
	}{
		{give: 1644, wantStep: 500, wantEnd: 2000},
		{give: 36140, wantStep: 10000, wantEnd: 40000},
		{give: 83.9, wantStep: 20, wantEnd: 100},
		{give: 0, wantStep: 1, wantEnd: 1},
	}
	for _, tt := range tests {
		step, end := ticks(tt.give)
		assert.InDelta(t, tt.wantStep, step, 1e-9, "step for %v", tt.give)
		assert.InDelta(t, tt.wantEnd, end, 1e-9, "end for %v", tt.give)
	}
}

func TestFormatNum(t *testing.T) {
	tests := []struct {
		give float64
		want string
	}{
		{0, "0"}, {1.5, "1.50"}, {12.34, "12.3"}, {367, "367"}, {1234567, "1,234,567"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatNum(tt.give))
	}
}

const scalingSample = `goos: linux
goarch: amd64
cpu: AMD EPYC
BenchmarkPool/workload=tiny/producers=8/impl=futures     	  10	 1 ns/op	 500.0 ns/task
BenchmarkPool/workload=tiny/producers=8/impl=futures     	  10	 1 ns/op	 400.0 ns/task
BenchmarkPool/workload=tiny/producers=8/impl=futures     	  10	 1 ns/op	 600.0 ns/task
BenchmarkPool/workload=tiny/producers=8/impl=pond        	  10	 1 ns/op	 250.0 ns/task
BenchmarkPool/workload=tiny/producers=8/impl=futures-2   	  10	 1 ns/op	 250.0 ns/task
BenchmarkPool/workload=tiny/producers=8/impl=pond-2      	  10	 1 ns/op	 200.0 ns/task
BenchmarkPool/workload=tiny/producers=8/impl=futures-4   	  10	 1 ns/op	 200.0 ns/task
`

func TestScaling(t *testing.T) {
	results, cfg, err := parse(strings.NewReader(scalingSample))
	require.NoError(t, err)
	assert.Equal(t, "linux/amd64, AMD EPYC", cfg.machine())
	assert.Equal(t, []int{1, 1, 1, 1, 2, 2, 4}, []int{results[0].procs, results[1].procs, results[2].procs,
		results[3].procs, results[4].procs, results[5].procs, results[6].procs})

	panels := summarizeScaling(results)
	require.Len(t, panels, 1)
	p := panels[0]
	assert.Equal(t, "Pool, workload=tiny, producers=8", p.title)
	assert.Equal(t, []int{1, 2, 4}, p.procs)
	require.Len(t, p.rows, 2)
	assert.Equal(t, "futures", p.rows[0].impl)
	// Medians of 500 ns (of 400, 500, 600), 250 ns and 200 ns per task.
	assert.InDeltaSlice(t, []float64{2e6, 4e6, 5e6}, p.rows[0].perSec, 1)
	assert.InDeltaSlice(t, []float64{4e6, 5e6, 0}, p.rows[1].perSec, 1, "pond was not measured at 4")

	var md bytes.Buffer
	require.NoError(t, writeScalingTables(&md, panels))
	assert.Contains(t, md.String(), "| futures | 2.00 | 4.00 | 5.00 | 2.50× |")
	assert.Contains(t, md.String(), "| pond | 4.00 | 5.00 | | |")

	var svg bytes.Buffer
	require.NoError(t, drawScalingSVG(&svg, panels, cfg.machine()))
	require.NoError(t, xml.Unmarshal(svg.Bytes(), new(struct{})), "the SVG is not well-formed XML")
	assert.Equal(t, 2, strings.Count(svg.String(), "<polyline"))
}
