package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A config is what go test prints about the machine before the results.
type config struct {
	goos, goarch, cpu string
	procs             string // the -N suffix of the benchmark names
}

// machine describes the machine alone, without GOMAXPROCS.
func (c config) machine() string {
	c.procs = ""
	return c.String()
}

func (c config) String() string {
	var parts []string
	if c.goos != "" || c.goarch != "" {
		parts = append(parts, c.goos+"/"+c.goarch)
	}
	if c.cpu != "" {
		parts = append(parts, c.cpu)
	}
	if c.procs != "" {
		parts = append(parts, "GOMAXPROCS="+c.procs)
	}
	return strings.Join(parts, ", ")
}

// A result is one line of benchmark output.
type result struct {
	bench   string   // the top-level name without "Benchmark": "Pool"
	keys    []keyVal // the key=value parts of the sub-benchmark name, in order
	procs   int      // GOMAXPROCS: the -N suffix of the name, 1 without one
	metrics map[string]float64
}

type keyVal struct{ key, val string }

func (r result) get(key string) string {
	for _, kv := range r.keys {
		if kv.key == key {
			return kv.val
		}
	}
	return ""
}

// procsSuffix is the -GOMAXPROCS suffix go test adds to a benchmark's name.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output: the results, and the machine it
// describes. It skips every other line.
func parse(r io.Reader) ([]result, config, error) {
	var out []result
	var cfg config
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			switch k {
			case "goos":
				cfg.goos = v
			case "goarch":
				cfg.goarch = v
			case "cpu":
				cfg.cpu = strings.TrimSpace(v)
			}
		}
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue // not a result line: no iteration count
		}
		name := strings.TrimPrefix(fields[0], "Benchmark")
		procs := 1 // go test adds no suffix for GOMAXPROCS=1
		if m := procsSuffix.FindString(name); m != "" {
			cfg.procs = m[1:]
			procs, _ = strconv.Atoi(m[1:])
			name = strings.TrimSuffix(name, m)
		}
		parts := strings.Split(name, "/")
		res := result{bench: parts[0], procs: procs, metrics: make(map[string]float64)}
		for _, p := range parts[1:] {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				k, v = "", p
			}
			res.keys = append(res.keys, keyVal{k, v})
		}
		for i := 2; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, cfg, fmt.Errorf("line %d: metric %q: %v", line, fields[i+1], err)
			}
			res.metrics[fields[i+1]] = v
		}
		out = append(out, res)
	}
	return out, cfg, sc.Err()
}

// A panel is one benchmark and workload: groups of bars, one bar per
// implementation.
type panel struct {
	title  string // "Pool, workload=tiny"
	unit   string // "ns/task"
	per    string // "task": what allocs and bytes are counted per
	groups []group
}

// A group is the bars of one setting of the remaining keys: "producers=8".
type group struct {
	label string
	bars  []bar
}

type bar struct {
	impl   string
	median float64 // of the panel's unit
	cpu    float64 // median CPU time per task or item, in ns; -1 if unknown
	allocs float64 // median allocations per task or item; -1 if unknown
	bytes  float64 // median bytes per task or item; -1 if unknown
	n      int     // samples
}

// ratio returns b's median over that of impl=futures in the same group, or
// 0 if there is none.
func (g group) ratio(b bar) float64 {
	for _, f := range g.bars {
		if f.impl == "futures" && f.median > 0 {
			return b.median / f.median
		}
	}
	return 0
}

// summarize takes the results that have an impl key and a time per task or
// per item, and returns their medians by panel and group, in the order of
// first appearance.
func summarize(results []result) []panel {
	var panels []panel
	samples := make(map[[3]string]map[string][]float64) // panel, group, impl → unit → values
	for _, r := range results {
		impl := r.get("impl")
		unit, per := timeUnit(r.metrics)
		if impl == "" || unit == "" {
			continue
		}
		title, label := r.bench, ""
		for _, kv := range r.keys {
			switch {
			case kv.key == "impl":
			case kv.key == "workload":
				title += ", workload=" + kv.val
			default:
				label = joinNonEmpty(label, kv.key+"="+kv.val)
			}
		}
		pi := slices.IndexFunc(panels, func(p panel) bool { return p.title == title })
		if pi < 0 {
			panels = append(panels, panel{title: title, unit: unit, per: per})
			pi = len(panels) - 1
		}
		p := &panels[pi]
		gi := slices.IndexFunc(p.groups, func(g group) bool { return g.label == label })
		if gi < 0 {
			p.groups = append(p.groups, group{label: label})
			gi = len(p.groups) - 1
		}
		g := &p.groups[gi]
		if !slices.ContainsFunc(g.bars, func(b bar) bool { return b.impl == impl }) {
			g.bars = append(g.bars, bar{impl: impl})
		}
		k := [3]string{title, label, impl}
		if samples[k] == nil {
			samples[k] = make(map[string][]float64)
		}
		for u, v := range r.metrics {
			samples[k][u] = append(samples[k][u], v)
		}
	}
	for pi := range panels {
		p := &panels[pi]
		for gi := range p.groups {
			g := &p.groups[gi]
			for bi := range g.bars {
				b := &g.bars[bi]
				s := samples[[3]string{p.title, g.label, b.impl}]
				b.median = median(s[p.unit])
				b.n = len(s[p.unit])
				b.cpu, b.allocs, b.bytes = -1, -1, -1
				if v, ok := s["cpu-ns/"+p.per]; ok {
					b.cpu = median(v)
				}
				if v, ok := s["allocs/"+p.per]; ok {
					b.allocs = median(v)
				}
				if v, ok := s["B/"+p.per]; ok {
					b.bytes = median(v)
				}
			}
		}
	}
	return panels
}

// timeUnit returns the time metric of a result that is measured per task or
// per item, and what it is per.
func timeUnit(m map[string]float64) (unit, per string) {
	for _, per := range []string{"task", "item"} {
		if _, ok := m["ns/"+per]; ok {
			return "ns/" + per, per
		}
	}
	return "", ""
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "/" + b
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
