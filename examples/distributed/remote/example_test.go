package remote_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/go-futures/futures"
	"github.com/go-futures/futures/examples/distributed/remote"
)

// A worker serves a function on a subject; a caller calls it through a pool,
// here with futures.Map, whose results come in input order, and gets its
// error as a *remote.Error. The NATS server runs in the process; in
// production the worker would run in processes of its own.
func Example() {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		log.Fatal(err)
	}
	ns.Start()
	defer ns.WaitForShutdown()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		log.Fatal("the NATS server did not start")
	}

	// The worker's side: its own connection, and a pool that bounds the
	// handlers it runs at once.
	wc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer wc.Close()
	handlers, err := futures.New(futures.WithWorkers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer handlers.Close()
	w, err := remote.Serve(wc, handlers, "upper", "workers", func(_ context.Context, s string) (string, error) {
		if s == "" {
			return "", errors.New("nothing to shout")
		}
		return strings.ToUpper(s), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Stop(context.Background())

	// The caller's side: a pool whose workers bound the calls in flight.
	cc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	calls, err := futures.New(futures.WithWorkers(8))
	if err != nil {
		log.Fatal(err)
	}
	defer calls.Close()
	upper := remote.NewFunc[string, string](cc, "upper")
	for s, err := range futures.Map(context.Background(), calls, slices.Values([]string{"hello", "", "world"}), upper.Call) {
		var re *remote.Error
		if errors.As(err, &re) {
			fmt.Println("error:", re.Text)
			continue
		}
		fmt.Println(s)
	}
	// Output:
	// HELLO
	// error: nothing to shout
	// WORLD
}
