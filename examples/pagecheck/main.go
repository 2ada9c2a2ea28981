// Pagecheck checks the status of 50 web pages twice, first one after the
// other and then through a pool of 16 workers, and prints how long each way
// took. The pages are served by a local test server that answers each one
// after a delay of its own, so no network is needed.
//
//	go run ./examples/pagecheck
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/go-futures/futures"
)

func main() {
	if err := run(context.Background(), os.Stdout, 50); err != nil {
		fmt.Fprintln(os.Stderr, "pagecheck:", err)
		os.Exit(1)
	}
}

// run serves n pages locally and checks them all, one by one and then with
// the pool, writing what it finds to w.
func run(ctx context.Context, w io.Writer, n int) error {
	pages := makePages(n)
	srv := serve(pages)
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()

	fmt.Fprintf(w, "checking %d pages one by one...\n", n)
	start := time.Now()
	var seq tally
	for _, p := range pages {
		seq.add(check(ctx, client, srv.URL+p.path))
	}
	seqTime := time.Since(start)
	fmt.Fprintf(w, "one by one: %v (%v)\n", seqTime.Round(time.Millisecond), seq)

	pool, err := futures.New(futures.WithWorkers(16))
	if err != nil {
		return err
	}
	defer pool.Close()

	fmt.Fprintf(w, "checking %d pages with 16 workers...\n", n)
	start = time.Now()
	paths := make(map[*futures.Future[int]]string, n)
	var futs []*futures.Future[int]
	for _, p := range pages {
		f := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
			return check(ctx, client, srv.URL+p.path)
		})
		paths[f] = p.path
		futs = append(futs, f)
	}
	var par tally
	for f := range futures.AsCompleted(futs...) {
		code, err := f.Result(ctx)
		par.add(code, err)
		if err != nil {
			fmt.Fprintf(w, "%-9s error: %v\n", paths[f], err)
		} else {
			fmt.Fprintf(w, "%-9s %d %s\n", paths[f], code, http.StatusText(code))
		}
	}
	parTime := time.Since(start)
	fmt.Fprintf(w, "with the pool: %v (%v)\n", parTime.Round(time.Millisecond), par)
	fmt.Fprintf(w, "speedup: %.1fx\n", seqTime.Seconds()/parTime.Seconds())
	return nil
}

// check fetches url and returns its HTTP status code.
func check(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body) // read to the end, so the connection is reused
	return resp.StatusCode, err
}

// A page is what the test server answers for one path.
type page struct {
	path    string
	status  int
	latency time.Duration
}

// makePages returns n pages: most answer 200 OK after 20 to 80 ms, about one
// in eight is missing (404), and about one in twelve is slow (200 ms). The
// random source has a fixed seed, so every run serves the same pages.
func makePages(n int) []page {
	r := rand.New(rand.NewPCG(2026, 1))
	pages := make([]page, n)
	for i := range pages {
		p := page{
			path:    fmt.Sprintf("/page/%d", i),
			status:  http.StatusOK,
			latency: time.Duration(20+r.IntN(61)) * time.Millisecond,
		}
		if r.IntN(8) == 0 {
			p.status = http.StatusNotFound
		}
		if r.IntN(12) == 0 {
			p.latency = 200 * time.Millisecond
		}
		pages[i] = p
	}
	return pages
}

// serve starts a local HTTP server for pages. The caller closes it.
func serve(pages []page) *httptest.Server {
	byPath := make(map[string]page, len(pages))
	for _, p := range pages {
		byPath[p.path] = p
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		select {
		case <-time.After(p.latency):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(p.status)
	}))
}

// A tally counts the outcomes of checks.
type tally struct {
	ok, notFound, failed int
}

func (t *tally) add(code int, err error) {
	switch {
	case err != nil:
		t.failed++
	case code == http.StatusOK:
		t.ok++
	case code == http.StatusNotFound:
		t.notFound++
	default:
		t.failed++
	}
}

func (t tally) String() string {
	return fmt.Sprintf("%d OK, %d not found, %d failed", t.ok, t.notFound, t.failed)
}
