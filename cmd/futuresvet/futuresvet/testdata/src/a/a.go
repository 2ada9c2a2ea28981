package a

import (
	"context"
	"sync"
	"time"

	"github.com/go-futures/futures"
)

func work(ctx context.Context) (int, error) { return 0, nil }

// helper takes the task's context as its first parameter, as helpers do.
func helper(ctx context.Context, p *futures.Pool) (int, error) {
	return futures.Submit(ctx, p, work).Result(ctx)
}

func foreignContexts(ctx context.Context, p *futures.Pool) {
	futures.Submit(ctx, p, func(tctx context.Context) (int, error) {
		f := futures.Submit(tctx, p, work)
		f.Result(context.Background()) // want `Result with context.Background\(\) in a task`
		f.Result(context.TODO())       // want `Result with context.TODO\(\) in a task`
		f.Result(ctx)                  // want `Result with a context from outside the task \(ctx\)`
		bg := context.Background()
		futures.Submit(bg, p, work) // want `Submit with context.Background\(\) in a task`
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		futures.Wait(c, []*futures.Future[int]{f}, 0)                                                 // want `Wait with context.Background\(\) in a task`
		futures.NewGroup(ctx, p)                                                                      // want `NewGroup with a context from outside the task \(ctx\)` `never waited for`
		go func() { f.Result(context.Background()) }()                                                // want `Result with context.Background\(\) in a task`
		futures.Any(context.TODO(), p, work)                                                          // want `Any with context.TODO\(\) in a task`
		futures.MapSlice(ctx, p, []int{1}, func(context.Context, int) (int, error) { return 0, nil }) // want `MapSlice with a context from outside the task \(ctx\)`
		//futuresvet:ignore the test wants this one
		f.Result(context.Background())
		return 0, nil
	})
}

func ownContexts(ctx context.Context, p *futures.Pool) {
	futures.Submit(ctx, p, func(ctx context.Context) (int, error) {
		f := futures.Submit(ctx, p, work)
		if _, err := f.Result(ctx); err != nil {
			return 0, err
		}
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		f.Result(c)
		g, gctx := futures.NewGroup(ctx, p)
		g.Go(func(ctx context.Context) error { return nil })
		futures.Submit(gctx, g, work)
		if err := g.Wait(); err != nil {
			return 0, err
		}
		// Goroutines that pass the task's context on.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Result(ctx)
		}()
		wg.Wait()
		// A helper given the task's context.
		return helper(ctx, p)
	})
	// Outside any task, any context will do.
	futures.Submit(context.Background(), p, work).Result(context.Background())
}

func waitsForItself(ctx context.Context, p *futures.Pool) {
	g, _ := futures.NewGroup(ctx, p)
	g.Go(func(ctx context.Context) error {
		return g.Wait() // want `g.Wait in a task of g waits for itself`
	})
	futures.Submit(ctx, g, func(ctx context.Context) (int, error) {
		return 0, g.Shutdown(ctx) // want `g.Shutdown in a task of g would wait for itself`
	})
	futures.Submit(ctx, p, func(ctx context.Context) (int, error) {
		return 0, p.Close() // want `p.Close in a task of p would wait for itself`
	})
	futures.Submit(ctx, p, func(ctx context.Context) (int, error) {
		go p.Shutdown(ctx) // in a goroutine of its own: not reported
		return 0, nil
	})
	other, _ := futures.NewGroup(ctx, p)
	g.Go(func(ctx context.Context) error {
		return other.Wait() // another group: fine
	})
	other.Go(func(ctx context.Context) error { return nil })
	_ = g.Wait()
}

func neverWaited(ctx context.Context, p *futures.Pool) {
	g, _ := futures.NewGroup(ctx, p) // want `the group made here is never waited for: call g.Wait`
	g.Go(func(ctx context.Context) error { return nil })
	futures.Submit(ctx, g, work)
}

func waited(ctx context.Context, p *futures.Pool) error {
	g, _ := futures.NewGroup(ctx, p)
	g.Go(func(ctx context.Context) error { return nil })
	return g.Wait()
}

// handedOn returns its group: the caller waits for it.
func handedOn(ctx context.Context, p *futures.Pool) *futures.Group {
	g, _ := futures.NewGroup(ctx, p)
	g.Go(func(ctx context.Context) error { return nil })
	return g
}

func waitedInDefer(ctx context.Context, p *futures.Pool) {
	g, _ := futures.NewGroup(ctx, p)
	defer g.Wait()
	g.Go(func(ctx context.Context) error { return nil })
}

func blank(ctx context.Context, p *futures.Pool) {
	_, gctx := futures.NewGroup(ctx, p) // want `never waited for: keep it`
	_ = gctx
}

func assignedOutside(ctx context.Context, p *futures.Pool) error {
	var g *futures.Group
	func() {
		g, _ = futures.NewGroup(ctx, p) // the outer function waits for it
		g.Go(func(ctx context.Context) error { return nil })
	}()
	return g.Wait()
}

func drained(ctx context.Context, p *futures.Pool) {
	futures.Submit(ctx, p, func(ctx context.Context) (int, error) {
		f := futures.Submit(ctx, p, work)
		for range futures.AsCompleted(f) { // want `ranging over AsCompleted in a task`
		}
		return 0, nil
	})
	// Outside a task, it is what AsCompleted is for.
	for range futures.AsCompleted(futures.Submit(ctx, p, work)) {
	}
}
