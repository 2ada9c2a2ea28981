// Command chart reads the output of go test -bench (results/raw.txt) and
// draws the median time per task of each implementation as a grouped
// horizontal bar chart in SVG, one panel per benchmark and workload, with
// the ratio of each implementation to impl=futures. It can also write the
// same medians as Markdown tables. It uses the standard library only.
//
// Usage:
//
//	go run ./cmd/chart -in results/raw.txt -svg results/chart.svg -md tables.md
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
