package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// A scalePanel is one benchmark and setting of a scaling run (go test -cpu
// 1,2,4,...): the throughput of each implementation at each GOMAXPROCS.
type scalePanel struct {
	title string // "Pool, workload=tiny-closure, producers=8"
	per   string // "task"
	procs []int  // the GOMAXPROCS values measured, ascending
	rows  []scaleRow
}

// A scaleRow is one implementation's median throughput, in tasks (or items)
// per second, at each of its panel's GOMAXPROCS values; 0 where not measured.
type scaleRow struct {
	impl   string
	perSec []float64
}

// summarizeScaling takes the results that have an impl key and a time per
// task or item, and returns, per panel, the median throughput of each
// implementation at each GOMAXPROCS, in the order of first appearance.
func summarizeScaling(results []result) []scalePanel {
	var panels []scalePanel
	samples := make(map[[2]string]map[int][]float64) // panel, impl → procs → ns
	for _, r := range results {
		impl := r.get("impl")
		unit, per := timeUnit(r.metrics)
		if impl == "" || unit == "" {
			continue
		}
		title := r.bench
		for _, kv := range r.keys {
			if kv.key != "impl" {
				title += ", " + kv.key + "=" + kv.val
			}
		}
		pi := slices.IndexFunc(panels, func(p scalePanel) bool { return p.title == title })
		if pi < 0 {
			panels = append(panels, scalePanel{title: title, per: per})
			pi = len(panels) - 1
		}
		p := &panels[pi]
		if !slices.Contains(p.procs, r.procs) {
			p.procs = append(p.procs, r.procs)
			slices.Sort(p.procs)
		}
		if !slices.ContainsFunc(p.rows, func(row scaleRow) bool { return row.impl == impl }) {
			p.rows = append(p.rows, scaleRow{impl: impl})
		}
		k := [2]string{title, impl}
		if samples[k] == nil {
			samples[k] = make(map[int][]float64)
		}
		samples[k][r.procs] = append(samples[k][r.procs], r.metrics[unit])
	}
	for pi := range panels {
		p := &panels[pi]
		for ri := range p.rows {
			row := &p.rows[ri]
			row.perSec = make([]float64, len(p.procs))
			for i, n := range p.procs {
				if ns := median(samples[[2]string{p.title, row.impl}][n]); ns > 0 {
					row.perSec[i] = 1e9 / ns
				}
			}
		}
	}
	return panels
}

// writeScalingTables writes one Markdown table per panel: millions of tasks
// per second by implementation and GOMAXPROCS, and the speed-up from the
// fewest processors measured to the most.
func writeScalingTables(w io.Writer, panels []scalePanel) error {
	var b bytes.Buffer
	for _, p := range panels {
		fmt.Fprintf(&b, "#### %s (millions of %ss per second)\n\n| impl |", p.title, p.per)
		for _, n := range p.procs {
			fmt.Fprintf(&b, " GOMAXPROCS=%d |", n)
		}
		b.WriteString(" most / fewest |\n|---|")
		b.WriteString(strings.Repeat("---:|", len(p.procs)+1))
		b.WriteString("\n")
		for _, row := range p.rows {
			fmt.Fprintf(&b, "| %s |", row.impl)
			for _, v := range row.perSec {
				if v > 0 {
					fmt.Fprintf(&b, " %.2f |", v/1e6)
				} else {
					b.WriteString(" |")
				}
			}
			if first, last := row.perSec[0], row.perSec[len(row.perSec)-1]; first > 0 && last > 0 {
				fmt.Fprintf(&b, " %.2f× |\n", last/first)
			} else {
				b.WriteString(" |\n")
			}
		}
		b.WriteString("\n")
	}
	_, err := b.WriteTo(w)
	return err
}

// scaleColors tell the lines of a scaling panel apart, in the order of its
// rows; futures and its variants come first in a run.
var scaleColors = []string{"#2563eb", "#7c3aed", "#f59e0b", "#10b981", "#ef4444", "#0891b2", "#be185d"}

// Layout of a scaling panel, in pixels.
const (
	scalePlotLeft   = 70
	scalePlotWidth  = 560
	scalePlotHeight = 220
)

// drawScalingSVG draws one line chart per panel: throughput against
// GOMAXPROCS, on a log-2 axis of processors, one line per implementation.
func drawScalingSVG(w io.Writer, panels []scalePanel, machine string) error {
	var b bytes.Buffer
	y := 28
	text(&b, 12, y, 18, "bold", "start", "Throughput against GOMAXPROCS (higher is better)")
	if machine != "" {
		y += 20
		text(&b, 12, y, fontSize, "", "start", "Measured on "+machine+"; above its cores, the processors are oversubscribed: read contention, not speed-up.")
	}
	for _, p := range panels {
		y = drawScalePanel(&b, p, y+40)
	}
	return writeSVG(w, &b, y+16)
}

// drawScalePanel draws p with its top at y and returns the y below it.
func drawScalePanel(b *bytes.Buffer, p scalePanel, y int) int {
	text(b, 12, y, 14, "bold", "start", p.title)
	top := y + 16
	bottom := top + scalePlotHeight
	most := 0.0
	for _, row := range p.rows {
		for _, v := range row.perSec {
			most = math.Max(most, v)
		}
	}
	if most == 0 || len(p.procs) == 0 {
		return bottom
	}
	xOf := func(i int) float64 {
		if len(p.procs) == 1 {
			return scalePlotLeft + scalePlotWidth/2
		}
		lo, hi := math.Log2(float64(p.procs[0])), math.Log2(float64(p.procs[len(p.procs)-1]))
		return scalePlotLeft + (math.Log2(float64(p.procs[i]))-lo)/(hi-lo)*scalePlotWidth
	}
	yOf := func(v float64) float64 { return float64(bottom) - v/most*scalePlotHeight }
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#374151"/>`+"\n", scalePlotLeft, bottom, scalePlotLeft+scalePlotWidth, bottom)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#374151"/>`+"\n", scalePlotLeft, top, scalePlotLeft, bottom)
	text(b, scalePlotLeft-6, top+4, fontSize, "", "end", fmt.Sprintf("%.1fM/s", most/1e6))
	text(b, scalePlotLeft-6, bottom+4, fontSize, "", "end", "0")
	for i, n := range p.procs {
		text(b, int(xOf(i)), bottom+16, fontSize, "", "middle", fmt.Sprint(n))
	}
	text(b, scalePlotLeft+scalePlotWidth/2, bottom+32, fontSize, "", "middle", "GOMAXPROCS")
	for ri, row := range p.rows {
		var pts []string
		for i, v := range row.perSec {
			if v > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(i), yOf(v)))
			}
		}
		color, dash := scaleColors[ri%len(scaleColors)], ""
		if baselines[row.impl] {
			color, dash = baselineColor, ` stroke-dasharray="4 3"`
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), color, dash)
		ly := top + 14 + 18*ri
		lx := scalePlotLeft + scalePlotWidth + 24
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", lx, ly-4, lx+18, ly-4, color, dash)
		text(b, lx+24, ly, fontSize, "", "start", row.impl)
	}
	return bottom + 36
}
