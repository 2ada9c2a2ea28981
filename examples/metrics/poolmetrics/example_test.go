package poolmetrics_test

import (
	"context"
	"errors"
	"log"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/go-futures/futures"
	"github.com/go-futures/futures/examples/metrics/poolmetrics"
)

// A pool's collector, registered with a registry, reports what the pool has
// done so far at every scrape. Here three tasks ran, one of them failed, and
// one more was cancelled before it ran.
func ExampleNewCollector() {
	pool, err := futures.New(futures.WithWorkers(2), futures.WithName("resize"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	registry := prometheus.NewPedanticRegistry()
	registry.MustRegister(poolmetrics.NewCollector(pool, "resize"))

	ctx := context.Background()
	for i := range 3 {
		_, _ = futures.Submit(ctx, pool, func(context.Context) (int, error) {
			if i == 2 {
				return 0, errors.New("no such image")
			}
			return i, nil
		}).Result(ctx)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, _ = futures.Submit(done, pool, func(context.Context) (int, error) { return 0, nil }).Result(ctx)

	families, err := registry.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() == "futures_pool_completed_tasks_total" {
			if _, err := expfmt.MetricFamilyToText(os.Stdout, mf); err != nil {
				log.Fatal(err)
			}
		}
	}
	// Output:
	// # HELP futures_pool_completed_tasks_total Tasks complete, by outcome: succeeded, failed (an error or runtime.Goexit), panicked, cancelled before they ran, or rejected by the pool.
	// # TYPE futures_pool_completed_tasks_total counter
	// futures_pool_completed_tasks_total{outcome="cancelled",pool="resize"} 1
	// futures_pool_completed_tasks_total{outcome="failed",pool="resize"} 1
	// futures_pool_completed_tasks_total{outcome="panicked",pool="resize"} 0
	// futures_pool_completed_tasks_total{outcome="rejected",pool="resize"} 0
	// futures_pool_completed_tasks_total{outcome="succeeded",pool="resize"} 2
}
