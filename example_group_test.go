package futures_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-futures/futures"
)

// fetch stands for a call that may fail.
func fetch(_ context.Context, url string) error {
	if url == "bad" {
		return fmt.Errorf("fetch %s: not found", url)
	}
	return nil
}

// get stands for a call that returns a result or fails.
func get(ctx context.Context, url string) (string, error) {
	return "page " + url, fetch(ctx, url)
}

// A Group on a pool shared by the whole program runs a batch, at most four
// tasks at a time, stops at the first error, and collects the results.
func ExampleGroup() {
	pool, _ := futures.New(futures.WithWorkers(16)) // one pool for the program
	defer pool.Close()

	urls := []string{"a", "b", "c", "d", "e"}
	g, _ := futures.NewGroup(context.Background(), pool, futures.WithLimit(4))
	pages := make([]string, len(urls))
	for i, url := range urls {
		g.Go(func(ctx context.Context) (err error) {
			pages[i], err = get(ctx, url)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(pages)
	// Output: [page a page b page c page d page e]
}

// Tasks beyond a group's limit wait without blocking Go; the first failure
// stops them, and Wait returns it.
func ExampleWithLimit() {
	pool, _ := futures.New(futures.WithWorkers(4))
	defer pool.Close()

	g, _ := futures.NewGroup(context.Background(), pool, futures.WithLimit(1)) // one at a time
	for _, url := range []string{"a", "bad", "c"} {
		g.Go(func(ctx context.Context) error {
			fmt.Println("fetch", url)
			return fetch(ctx, url)
		})
	}
	fmt.Println(g.Wait())
	// Output:
	// fetch a
	// fetch bad
	// fetch bad: not found
}

// The group's context ends with the first failure as its cause, so the other tasks can stop early.
func ExampleNewGroup() {
	pool, err := futures.New(futures.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	g, ctx := futures.NewGroup(context.Background(), pool)
	g.Go(func(ctx context.Context) error {
		<-ctx.Done() // waits for the other task to fail
		return ctx.Err()
	})
	g.Go(func(ctx context.Context) error {
		return errors.New("disk full")
	})
	fmt.Println(g.Wait())
	fmt.Println(context.Cause(ctx))
	// Output:
	// disk full
	// disk full
}

// With WithAllErrors every task runs, and Wait joins the errors of all that failed.
func ExampleWithAllErrors() {
	pool, err := futures.New(futures.WithWorkers(1)) // one worker: the tasks run in order
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	g, _ := futures.NewGroup(context.Background(), pool, futures.WithAllErrors())
	for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
		g.Go(func(ctx context.Context) error {
			if name == "b.txt" {
				return nil
			}
			return fmt.Errorf("%s: permission denied", name)
		})
	}
	fmt.Println(g.Wait())
	// Output:
	// a.txt: permission denied
	// c.txt: permission denied
}

type node struct {
	value    int
	children []*node
}

// Go never waits, so tasks can add their children to the group: a tree walk runs on a single
// worker with no queue at all.
func ExampleGroup_Go() {
	pool, err := futures.New(futures.WithWorkers(1), futures.WithQueueSize(0))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	tree := &node{1, []*node{{2, []*node{{4, nil}}}, {3, nil}}}
	var sum int // one worker: the tasks run one at a time
	g, _ := futures.NewGroup(context.Background(), pool)
	var walk func(n *node)
	walk = func(n *node) {
		g.Go(func(ctx context.Context) error {
			sum += n.value
			for _, c := range n.children {
				walk(c)
			}
			return nil
		})
	}
	walk(tree)
	fmt.Println(g.Wait(), sum)
	// Output: <nil> 10
}

// TryGo adds a task only if a worker or the queue has room for it now.
func ExampleGroup_TryGo() {
	pool, err := futures.New(futures.WithWorkers(1), futures.WithQueueSize(0))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	g, _ := futures.NewGroup(context.Background(), pool)
	release := make(chan struct{})
	fmt.Println(g.TryGo(func(ctx context.Context) error {
		<-release
		return nil
	}))
	fmt.Println(g.TryGo(func(ctx context.Context) error { return nil })) // the worker is busy
	close(release)
	fmt.Println(g.Wait())
	// Output:
	// true
	// false
	// <nil>
}

// Futures submitted to a group belong to it: Wait waits for them, and their errors fail it.
func ExampleGroup_Wait() {
	pool, err := futures.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	g, ctx := futures.NewGroup(context.Background(), pool)
	sizes := make([]*futures.Future[int], 3)
	for i := range sizes {
		sizes[i] = futures.Submit(ctx, g, func(ctx context.Context) (int, error) {
			return 10 * i, nil
		})
	}
	if err := g.Wait(); err != nil {
		log.Fatal(err)
	}
	for _, f := range sizes {
		fmt.Println(f.State(), f.Err()) // complete, without waiting
	}
	fmt.Println(ctx.Err()) // done once Wait has returned

	// Once Wait has returned, the group takes no more tasks.
	g.Go(func(ctx context.Context) error { return nil })
	fmt.Println(errors.Is(g.Wait(), futures.ErrShutdown))
	// Output:
	// finished <nil>
	// finished <nil>
	// finished <nil>
	// context canceled
	// true
}

// Shutdown stops one group from taking tasks and waits for its own; the pool goes on.
func ExampleGroup_Shutdown() {
	pool, err := futures.New()
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx := context.Background()
	g, gctx := futures.NewGroup(ctx, pool)
	g.Go(func(ctx context.Context) error { return nil })
	if err := g.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}

	_, err = futures.Submit(gctx, g, func(ctx context.Context) (int, error) { return 1, nil }).Result(ctx)
	fmt.Println(errors.Is(err, futures.ErrShutdown))
	fmt.Println(futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return 2, nil }).Result(ctx))
	// Output:
	// true
	// 2 <nil>
}

// Any hedges a request: it asks two replicas, takes the first answer, and cancels the other.
func ExampleAny() {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done(): // Any cancels the request that lost
		case <-time.After(time.Minute):
		}
		fmt.Fprint(w, "slow replica")
	}))
	defer slow.Close()
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "fast replica")
	}))
	defer fast.Close()

	// A hedge needs a worker for each of its functions at once: with fewer,
	// the fast replica would wait behind the slow one.
	pool, err := futures.New(futures.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	get := func(url string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return "", err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			return string(body), err
		}
	}
	body, err := futures.Any(context.Background(), pool, get(slow.URL), get(fast.URL))
	fmt.Println(body, err)
	// Output: fast replica <nil>
}
