package main

import (
	"context"
	"fmt"
	"log"

	"github.com/go-futures/futures"
)

func main() {
	pool, err := futures.New(futures.WithWorkers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close() // waits for the tasks already submitted

	ctx := context.Background()
	var fs []*futures.Future[int]
	for i := 1; i <= 10; i++ {
		fs = append(fs, futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
			return i * i, nil
		}))
	}
	for _, f := range fs {
		v, err := f.Result(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v)
	}
}
