// Metrics exports the activity of a futures.Pool to Prometheus with the
// collector of package poolmetrics: how many workers it has and how many are
// busy, how many tasks wait in its queue, how its tasks ended, and how long
// they waited and ran, as histograms (the pool is made with
// futures.WithTiming).
//
// By default it runs a workload of 200 tasks of up to 10 ms on a pool of 4
// workers, some of which fail, panic, are dropped for a full queue or are
// cancelled, then scrapes its own /metrics endpoint once, prints what
// Prometheus would read, and exits:
//
//	go run .
//
// With -serve it keeps the workload going and serves /metrics until
// interrupted, for a Prometheus server or curl to read:
//
//	go run . -serve -addr localhost:2112
//	curl -s localhost:2112/metrics
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/go-futures/futures"
	"github.com/go-futures/futures/examples/metrics/poolmetrics"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "`address` to serve /metrics on")
	serve := flag.Bool("serve", false, "serve /metrics and keep the workload going until interrupted, rather than print one scrape and exit")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *addr, *serve); err != nil {
		fmt.Fprintln(os.Stderr, "metrics:", err)
		os.Exit(1)
	}
}

// tasks is the number of tasks of one round of the workload.
const tasks = 200

// summary is the format of the line that run writes before the scrape: a
// comment to Prometheus' text format.
const summary = "# %d tasks: %d optional ones dropped for a full queue, %d cancelled while queued\n"

// run makes a pool, serves its metrics on addr and runs the workload on it:
// one round, after which it writes a scrape of its own endpoint to w, or, if
// serve is set, round after round until ctx is done.
func run(ctx context.Context, w io.Writer, addr string, serve bool) error {
	pool, err := futures.New(
		futures.WithWorkers(4),
		futures.WithQueueSize(8),
		futures.WithName("demo"),
		futures.WithTiming(),
	)
	if err != nil {
		return err
	}
	defer pool.Close()

	// A registry of its own, rather than prometheus.DefaultRegisterer, so
	// that the scrape shows the pool alone.
	reg := prometheus.NewRegistry()
	reg.MustRegister(poolmetrics.NewCollector(pool, "demo"))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-served
	}()
	url := fmt.Sprintf("http://%s/metrics", ln.Addr())

	r := rand.New(rand.NewPCG(2026, 4))
	if serve {
		fmt.Fprintf(w, "serving %s; interrupt to stop\n", url)
		for ctx.Err() == nil {
			workload(ctx, pool, r)
		}
		fmt.Fprintln(w, "stopped")
		return nil
	}

	s := workload(ctx, pool, r)
	fmt.Fprintf(w, summary, tasks, s.dropped, s.cancelled)
	fmt.Fprintf(w, "# GET %s\n", url)
	return scrape(ctx, w, url)
}

// A round is what one round of the workload did besides running tasks.
type round struct {
	dropped   int // TrySubmit found the queue full
	cancelled int // Cancel stopped a task before it started
}

// workload runs one round of tasks on pool and waits for them. Each task
// sleeps for up to 10 ms; about one in ten fails and one in fifty panics.
// One in four is optional, as a prefetch may be: it is submitted with
// TrySubmit, and dropped if the queue is full, which the pool counts as a
// rejection; the others are submitted with Submit, which waits for room.
// Then it cancels the last five tasks: those still queued never run.
func workload(ctx context.Context, pool *futures.Pool, r *rand.Rand) round {
	var s round
	fs := make([]*futures.Future[int], 0, tasks)
	for i := range tasks {
		d := time.Duration(r.Int64N(int64(10 * time.Millisecond)))
		fail, panics := r.IntN(10) == 0, r.IntN(50) == 0
		task := func(ctx context.Context) (int, error) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return 0, context.Cause(ctx)
			}
			if panics {
				panic(fmt.Sprintf("task %d: out of its depth", i))
			}
			if fail {
				return 0, fmt.Errorf("task %d: failed", i)
			}
			return i, nil
		}
		if i%4 != 0 {
			fs = append(fs, futures.Submit(ctx, pool, task))
			continue
		}
		f, err := futures.TrySubmit(ctx, pool, task)
		if errors.Is(err, futures.ErrQueueFull) {
			s.dropped++
		}
		fs = append(fs, f) // nil if dropped, which Cancel and Result allow
	}
	for _, f := range fs[len(fs)-5:] {
		if f.Cancel() {
			s.cancelled++
		}
	}
	for _, f := range fs {
		_, _ = f.Result(ctx) // the metrics count the outcomes
	}
	return s
}

// scrape gets url and copies the body to w.
func scrape(ctx context.Context, w io.Writer, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
