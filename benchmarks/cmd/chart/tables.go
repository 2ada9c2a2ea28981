package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// writeTables writes a Markdown table per panel (median time, ratio to
// impl=futures, CPU time, allocations and bytes per task or item), then the medians
// of the metrics of the benchmarks that have no time per task.
func writeTables(w io.Writer, panels []panel, results []result) error {
	var b strings.Builder
	for _, p := range panels {
		fmt.Fprintf(&b, "### %s\n\n", p.title)
		fmt.Fprintf(&b, "| group | impl | %s | × futures | cpu-ns/%s | allocs/%s | B/%s |\n", p.unit, p.per, p.per, p.per)
		b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
		for _, g := range p.groups {
			for _, br := range g.bars {
				ratio := "–"
				if r := g.ratio(br); r > 0 {
					ratio = fmt.Sprintf("%.2f", r)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
					g.label, br.impl, formatNum(br.median), ratio, orDash(br.cpu), orDash(br.allocs), orDash(br.bytes))
			}
		}
		b.WriteString("\n")
	}
	if other := otherMetrics(results); len(other) > 0 {
		b.WriteString("### Other metrics\n\n| benchmark | metric | median |\n| --- | --- | ---: |\n")
		for _, o := range other {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", o.name, o.unit, formatNum(o.median))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(v float64) string {
	if v < 0 {
		return "–"
	}
	return formatNum(v)
}

type metric struct {
	name, unit string
	median     float64
}

// standardUnits are the metrics go test reports for every benchmark.
var standardUnits = []string{"ns/op", "B/op", "allocs/op"}

// otherMetrics returns the median of each custom metric of the benchmarks
// that have no time per task or item (x-ideal, live-B, …), and their ns/op.
func otherMetrics(results []result) []metric {
	var out []metric
	values := make(map[[2]string][]float64)
	for _, r := range results {
		if u, _ := timeUnit(r.metrics); u != "" {
			continue
		}
		name := r.bench
		for _, kv := range r.keys {
			if kv.key == "" {
				name += "/" + kv.val
			} else {
				name += "/" + kv.key + "=" + kv.val
			}
		}
		units := make([]string, 0, len(r.metrics))
		for u := range r.metrics {
			if u != "B/op" && u != "allocs/op" {
				units = append(units, u)
			}
		}
		slices.SortFunc(units, func(a, b string) int {
			// ns/op first, then the custom metrics by name.
			ai, bi := slices.Index(standardUnits, a), slices.Index(standardUnits, b)
			if ai != bi {
				return bi - ai
			}
			return strings.Compare(a, b)
		})
		for _, u := range units {
			k := [2]string{name, u}
			if _, ok := values[k]; !ok {
				out = append(out, metric{name: name, unit: u})
			}
			values[k] = append(values[k], r.metrics[u])
		}
	}
	for i := range out {
		out[i].median = median(values[[2]string{out[i].name, out[i].unit}])
	}
	return out
}
