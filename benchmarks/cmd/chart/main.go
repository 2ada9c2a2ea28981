// Command chart reads the output of go test -bench (results/raw.txt) and
// draws the median time per task of each implementation as a grouped
// horizontal bar chart in SVG, one panel per benchmark and workload, with
// the ratio of each implementation to impl=futures. It can also write the
// same medians as Markdown tables. It uses the standard library only.
//
// With -scaling, it reads a run at several GOMAXPROCS values (go test -cpu
// 1,2,4,...) and draws the throughput of each implementation against
// GOMAXPROCS instead, one line chart per benchmark and setting, with the same
// in Markdown tables.
//
// Usage:
//
//	go run ./cmd/chart -in results/raw.txt -svg results/chart.svg -md tables.md
//	go run ./cmd/chart -scaling -in results/scaling.txt -svg results/scaling.svg -md scaling.md
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
)

func main() {
	in := flag.String("in", "results/raw.txt", "benchmark output to read")
	svgOut := flag.String("svg", "", "write the chart to this file")
	mdOut := flag.String("md", "", "write Markdown tables of the medians to this file")
	scaling := flag.Bool("scaling", false, "chart throughput against GOMAXPROCS")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("chart: ")

	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	results, cfg, err := parse(f)
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	if len(results) == 0 {
		log.Fatalf("%s holds no benchmark results", *in)
	}
	if *scaling {
		panels := summarizeScaling(results)
		if *svgOut != "" {
			if err := writeFile(*svgOut, func(w io.Writer) error { return drawScalingSVG(w, panels, cfg.machine()) }); err != nil {
				log.Fatal(err)
			}
		}
		if *mdOut != "" {
			if err := writeFile(*mdOut, func(w io.Writer) error { return writeScalingTables(w, panels) }); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	panels := summarize(results)
	if *svgOut != "" {
		if err := writeFile(*svgOut, func(w io.Writer) error { return drawSVG(w, panels, cfg.String()) }); err != nil {
			log.Fatal(err)
		}
	}
	if *mdOut != "" {
		if err := writeFile(*mdOut, func(w io.Writer) error { return writeTables(w, panels, results) }); err != nil {
			log.Fatal(err)
		}
	}
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "chart: wrote %s\n", name)
	return nil
}
