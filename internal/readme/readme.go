// Package readme holds the Go code of the repository's README, so that vet
// and staticcheck check it as they check the rest: readme_test.go, in the
// repository's root, checks that every Go block of the README is here,
// verbatim (in a function body, one tab in), or in quickstart.
package readme

import (
	"context"
	"log"
	"slices"

	"github.com/go-futures/futures"
)

// What the README's fragments take as given.
var (
	ctx  = context.Background()
	pool *futures.Pool
	urls []string
)

func fetch(context.Context, string) (string, error) { return "", nil }

func save(string) {}

// Many tasks at once.
func mapPages() {
	for page, err := range futures.Map(ctx, pool, slices.Values(urls), fetch, futures.WithBuffer(32)) {
		if err != nil {
			log.Println(err) // this URL failed; the others go on
			continue
		}
		save(page)
	}
}

// Stop at the first error.
func fetchAll() ([]string, error) {
	g, _ := futures.NewGroup(ctx, pool, futures.WithLimit(4))
	pages := make([]string, len(urls))
	for i, url := range urls {
		g.Go(func(ctx context.Context) (err error) {
			pages[i], err = fetch(ctx, url)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return pages, nil
}

var _, _ = mapPages, fetchAll
