package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
)

// Layout, in pixels.
const (
	width     = 980
	nameRight = 140 // implementation names end here
	plotLeft  = 148
	plotRight = width - 170 // room for the value labels
	barHeight = 14
	barGap    = 4
	fontSize  = 12
)

const (
	futuresColor  = "#2563eb"
	peerColor     = "#f59e0b"
	baselineColor = "#9ca3af"
)

// baselines are the implementations that are not libraries.
var baselines = map[string]bool{"chanpool": true, "goroutines": true}

func barColor(impl string) string {
	switch {
	case strings.HasPrefix(impl, "futures"):
		return futuresColor
	case baselines[impl]:
		return baselineColor
	}
	return peerColor
}

// drawSVG draws every panel one below the other, each with a linear axis of
// its own starting at zero, so that bar lengths compare within a panel.
func drawSVG(w io.Writer, panels []panel, machine string) error {
	var b bytes.Buffer
	y := 28
	text(&b, 12, y, 18, "bold", "start", "Median time per task: futures beside other Go worker pools (shorter is faster)")
	y += 20
	text(&b, 12, y, fontSize, "", "start", "Each panel has its own linear axis. Labels: median, and its ratio to impl=futures in the same group.")
	if machine != "" {
		y += 18
		text(&b, 12, y, fontSize, "", "start", "Measured on "+machine+"; ratios hold for that machine only.")
	}
	y += 22
	x := 12
	for _, l := range []struct{ color, label string }{
		{futuresColor, "futures (this library)"},
		{peerColor, "other libraries"},
		{baselineColor, "baselines: bare channel pool, goroutine per task"},
	} {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", x, y-10, l.color)
		text(&b, x+18, y, fontSize, "", "start", l.label)
		x += 18 + 8*len(l.label) + 24
	}
	y += 16
	for _, p := range panels {
		y = drawPanel(&b, p, y+28)
	}
	return writeSVG(w, &b, y+16)
}

// writeSVG writes body, drawn on a white page of the given height, as an SVG
// document to w.
func writeSVG(w io.Writer, body *bytes.Buffer, height int) error {
	if _, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`+"\n",
		width, height, width, height); err != nil {
		return err
	}
	fmt.Fprintf(w, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	if _, err := body.WriteTo(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "</svg>\n")
	return err
}

// drawPanel draws p with its title's baseline at y and returns the y below
// its axis labels.
func drawPanel(b *bytes.Buffer, p panel, y int) int {
	text(b, 12, y, 14, "bold", "start", p.title)
	var most float64
	for _, g := range p.groups {
		for _, br := range g.bars {
			most = max(most, br.median)
		}
	}
	step, end := ticks(most)
	scale := func(v float64) float64 {
		return plotLeft + v/end*(plotRight-plotLeft)
	}

	// The bars go to a buffer of their own, written after the grid so
	// that they cover its lines: the grid's height is known only once the
	// bars are laid out.
	var bars bytes.Buffer
	y += 10
	plotTop := y
	for _, g := range p.groups {
		if g.label != "" {
			y += 16
			text(&bars, 12, y, fontSize, "italic", "start", g.label)
			y += 6
		}
		for _, br := range g.bars {
			y += barGap
			cy := y + barHeight/2 + fontSize/2 - 2
			text(&bars, nameRight, cy, fontSize, "", "end", br.impl)
			wd := scale(br.median) - plotLeft
			fmt.Fprintf(&bars, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n",
				plotLeft, y, wd, barHeight, barColor(br.impl))
			label := formatNum(br.median) + " ns"
			if r := g.ratio(br); r > 0 && br.impl != "futures" {
				label += fmt.Sprintf(" · %.2f×", r)
			}
			text(&bars, int(math.Round(scale(br.median)))+6, cy, fontSize, "", "start", label)
			y += barHeight
		}
	}
	y += 6
	plotBottom := y

	for v := 0.0; v <= end*1.0001; v += step {
		x := scale(v)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e7eb"/>`+"\n", x, plotTop, x, plotBottom)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#374151"/>`+"\n", x, plotBottom, x, plotBottom+4)
		text(b, int(math.Round(x)), plotBottom+17, 11, "", "middle", trimZeros(formatNum(v)))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#374151"/>`+"\n", plotLeft, plotBottom, plotRight, plotBottom)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#374151"/>`+"\n", plotLeft, plotTop, plotLeft, plotBottom)
	b.Write(bars.Bytes())
	text(b, plotRight, plotBottom+34, 11, "italic", "end", p.unit+", median of "+samplesNote(p))
	return plotBottom + 38
}

// samplesNote says how many runs the medians are taken from.
func samplesNote(p panel) string {
	lo, hi := math.MaxInt, 0
	for _, g := range p.groups {
		for _, br := range g.bars {
			lo, hi = min(lo, br.n), max(hi, br.n)
		}
	}
	switch {
	case lo == 1 && hi == 1:
		return "1 run"
	case lo == hi:
		return fmt.Sprintf("%d runs", lo)
	}
	return fmt.Sprintf("%d–%d runs", lo, hi)
}

// ticks returns a round step of about a fifth of most, and the first
// multiple of it at or above most.
func ticks(most float64) (step, end float64) {
	if most <= 0 {
		return 1, 1
	}
	raw := most / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*mag {
			step = m * mag
			break
		}
	}
	return step, math.Ceil(most/step) * step
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func text(b *bytes.Buffer, x, y, size int, style, anchor, s string) {
	attr := ""
	switch style {
	case "bold":
		attr = ` font-weight="bold"`
	case "italic":
		attr = ` font-style="italic"`
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%d" text-anchor="%s" fill="#111827"%s>%s</text>`+"\n",
		x, y, size, anchor, attr, escaper.Replace(s))
}

// formatNum writes v with thousands separators and the precision its size
// deserves: 12,345 · 123 · 12.3 · 1.23.
func formatNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) < 10:
		return fmt.Sprintf("%.2f", v)
	case math.Abs(v) < 100:
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
