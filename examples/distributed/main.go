// Distributed runs a function on other machines when one machine is not
// enough: worker processes serve it over NATS, in a queue group that
// spreads the calls over them, and the client calls it through a
// futures.Pool, whose workers bound the calls in flight. Submit, Map,
// AsCompleted and a Group's fail-fast work on the remote calls as on local
// tasks, and a call whose caller gives up is cancelled on the worker too.
// Package remote holds the plumbing.
//
// With no flags it runs everything in one process: a NATS server, three
// workers, each with a connection and a pool of its own as a process would
// have, and a client that runs a short workload and prints what it sees:
//
//	go run .
//
// Against a NATS server of your own, run the parts as separate processes:
//
//	go run . -url nats://localhost:4222 -role worker   # as many as you like; Ctrl-C stops one
//	go run . -url nats://localhost:4222 -role client
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/go-futures/futures"
	"github.com/go-futures/futures/examples/distributed/remote"
)

// subject is where the workers serve the function, and queue their queue
// group.
const subject, queue = "demo.square", "squarers"

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "", "`URL` of the NATS server; without it, one runs in the process")
	flag.StringVar(&cfg.role, "role", "all", "what to run: all, worker or client; worker and client need -url")
	flag.IntVar(&cfg.workers, "workers", 3, "number of workers the role all runs")
	flag.IntVar(&cfg.inFlight, "inflight", 8, "most calls the client has in flight: its pool's workers")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "distributed:", err)
		os.Exit(1)
	}
}

// A config is what the flags set.
type config struct {
	url      string // the NATS server's, or "" for one in the process
	role     string // all, worker or client
	workers  int    // workers of the role all
	inFlight int    // the client's pool's workers
}

// run runs what cfg asks for, writing what happens to w.
func run(ctx context.Context, w io.Writer, cfg config) error {
	if !slices.Contains([]string{"all", "worker", "client"}, cfg.role) {
		return fmt.Errorf("unknown role %q", cfg.role)
	}
	url := cfg.url
	if url == "" {
		if cfg.role != "all" {
			return fmt.Errorf("-role %s needs -url", cfg.role)
		}
		ns, err := startServer()
		if err != nil {
			return err
		}
		defer func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		}()
		url = ns.ClientURL()
		fmt.Fprintln(w, "NATS server in the process at", url)
	}

	switch cfg.role {
	case "worker":
		return serveUntil(ctx, w, url)
	case "client":
		nc, err := nats.Connect(url)
		if err != nil {
			return err
		}
		defer nc.Close()
		return client(ctx, w, nc, cfg.inFlight)
	}

	s := newService(cfg.workers)
	var workers []*worker
	defer func() {
		for _, wk := range workers {
			_ = wk.close(context.Background()) // stopped already, but on an early return
		}
	}()
	for i := range cfg.workers {
		wk, err := startWorker(url, s.worker(i))
		if err != nil {
			return err
		}
		workers = append(workers, wk)
	}
	fmt.Fprintf(w, "%d workers serve %s in queue group %s\n", cfg.workers, subject, queue)

	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := client(ctx, w, nc, cfg.inFlight); err != nil {
		return err
	}

	// Stop waits for the handlers, those cancelled included, so that
	// the counts are complete.
	for _, wk := range workers {
		if err := wk.Stop(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "the workers:")
	for i := range cfg.workers {
		fmt.Fprintf(w, "  worker %d ran %d handlers\n", i, s.ran[i].Load())
	}
	fmt.Fprintf(w, "  %d handlers saw their context cancelled by their caller\n", s.cancelled.Load())
	fmt.Fprintf(w, "  at most %d handlers ran at once (the client keeps %d calls in flight)\n", s.most.Load(), cfg.inFlight)
	return nil
}

// client runs the workload: the function called through a pool that keeps
// at most inFlight calls in flight, with each of the futures package's ways.
func client(ctx context.Context, w io.Writer, nc *nats.Conn, inFlight int) error {
	pool, err := futures.New(futures.WithWorkers(inFlight), futures.WithName("calls"))
	if err != nil {
		return err
	}
	defer pool.Close()
	square := remote.NewFunc[int, int](nc, subject)

	// One call, as a future.
	f := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return square.Call(ctx, 12) })
	v, err := f.Result(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Submit: square(12) = %d\n", v)

	// Map: the results in input order, whatever order they finish in.
	var squares []string
	for v, err := range futures.Map(ctx, pool, slices.Values([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), square.Call) {
		if err != nil {
			return err
		}
		squares = append(squares, fmt.Sprint(v))
	}
	fmt.Fprintf(w, "Map over 1..10: %s\n", strings.Join(squares, " "))

	// AsCompleted: the results as they come.
	var fs []*futures.Future[int]
	for n := 1; n <= 40; n++ {
		fs = append(fs, futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return square.Call(ctx, n) }))
	}
	sum, firsts := 0, []string(nil)
	for f := range futures.AsCompleted(fs...) {
		v, err := f.Result(ctx)
		if err != nil {
			return err
		}
		if len(firsts) < 5 {
			firsts = append(firsts, fmt.Sprint(v))
		}
		sum += v
	}
	fmt.Fprintf(w, "AsCompleted over 1..40: the first five back are %s; the sum of all 40 is %d\n", strings.Join(firsts, " "), sum)

	// A Group: the first failure cancels the calls in flight, on the
	// workers too, and the calls not yet made are never made.
	g, _ := futures.NewGroup(ctx, pool)
	var made atomic.Int64
	for _, n := range []int{1, 2, -3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16} {
		g.Go(func(ctx context.Context) error {
			made.Add(1)
			_, err := square.Call(ctx, n)
			return err
		})
	}
	err = g.Wait()
	var re *remote.Error
	if !errors.As(err, &re) {
		return fmt.Errorf("the group: want a remote error, got %v", err)
	}
	fmt.Fprintf(w, "Group of 16 calls: failed fast with %q after making %d calls\n", err, made.Load())
	return nil
}

// A service is the function the workers serve, with counts of what its
// handlers did.
type service struct {
	ran       []atomic.Int64 // handlers run, by worker
	cancelled atomic.Int64   // handlers that saw their context done
	running   atomic.Int64   // handlers running now
	most      atomic.Int64   // the most handlers that ran at once
}

// newService returns a service for the given number of workers.
func newService(workers int) *service {
	return &service{ran: make([]atomic.Int64, workers)}
}

// worker returns the function as worker i serves it. It squares n, taking
// 5 to 24 ms to do so as real work would, or fails for a negative n after
// 2 ms.
func (s *service) worker(i int) func(context.Context, int) (int, error) {
	return func(ctx context.Context, n int) (int, error) {
		s.ran[i].Add(1)
		raise(&s.most, s.running.Add(1))
		defer s.running.Add(-1)

		d := time.Duration(5+(n*7)%20) * time.Millisecond
		if n < 0 {
			d = 2 * time.Millisecond
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			s.cancelled.Add(1)
			return 0, context.Cause(ctx)
		}
		if n < 0 {
			return 0, fmt.Errorf("negative input %d", n)
		}
		return n * n, nil
	}
}

// raise raises most to n, if n is more.
func raise(most *atomic.Int64, n int64) {
	for m := most.Load(); n > m; m = most.Load() {
		if most.CompareAndSwap(m, n) {
			return
		}
	}
}

// A worker is a remote.Worker with the connection and the pool of its own
// that a worker process would have.
type worker struct {
	*remote.Worker
	nc   *nats.Conn
	pool *futures.Pool
}

// startWorker connects to url and serves fn there, on a pool of 16 workers.
func startWorker(url string, fn func(context.Context, int) (int, error)) (*worker, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, err
	}
	pool, err := futures.New(futures.WithWorkers(16), futures.WithName("handlers"))
	if err != nil {
		nc.Close()
		return nil, err
	}
	wk, err := remote.Serve(nc, pool, subject, queue, fn)
	if err != nil {
		pool.Close()
		nc.Close()
		return nil, err
	}
	return &worker{Worker: wk, nc: nc, pool: pool}, nil
}

// close stops w, giving its handlers until ctx is done to finish (see
// remote.Worker.Stop), and then closes its pool and its connection.
func (w *worker) close(ctx context.Context) error {
	err := w.Stop(ctx)
	w.pool.Close()
	w.nc.Close()
	return err
}

// serveUntil runs a worker on url until ctx is done, then stops it, giving
// its handlers 5 seconds to finish.
func serveUntil(ctx context.Context, w io.Writer, url string) error {
	s := newService(1)
	wk, err := startWorker(url, s.worker(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "serving %s in queue group %s at %s; Ctrl-C to stop\n", subject, queue, url)
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = wk.close(stopCtx)
	fmt.Fprintf(w, "stopped after %d calls, %d cancelled by their callers\n", s.ran[0].Load(), s.cancelled.Load())
	return err
}

// startServer starts a NATS server in the process, on a free port of the
// loopback interface. Shut it down with Shutdown and WaitForShutdown.
func startServer() (*server.Server, error) {
	ns, err := server.NewServer(&server.Options{
		Host:   "127.0.0.1",
		Port:   -1,
		NoLog:  true,
		NoSigs: true, // Ctrl-C is the program's to handle
	})
	if err != nil {
		return nil, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, errors.New("the NATS server did not start")
	}
	return ns, nil
}
