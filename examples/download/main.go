// Download fetches a list of files through a pool of 4 workers with
// futures.Map and saves each one to a temporary directory, printing the
// results in the order of the list. Each download has a deadline of its own.
// The files are served by a local test server: one of them is missing (404)
// and one never answers, so that its download runs out of time. No network
// is needed.
//
//	go run ./examples/download
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-futures/futures"
)

func main() {
	if err := run(context.Background(), os.Stdout, time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "download:", err)
		os.Exit(1)
	}
}

// files are what the test server serves, by name.
var files = map[string][]byte{
	"readme.txt": makeFile("readme", 2<<10),
	"data.csv":   makeFile("id,name,score", 8<<10),
	"logo.png":   makeFile("PNG", 5<<10),
	"notes.md":   makeFile("# notes", 3<<10),
}

// The list to download: the four files, one that does not exist and one
// that the server never answers.
var names = []string{"readme.txt", "data.csv", "missing.zip", "logo.png", "slow.bin", "notes.md"}

// run serves the files locally and downloads them all to a temporary
// directory, which it removes before returning. Each download may take at
// most timeout.
func run(ctx context.Context, w io.Writer, timeout time.Duration) error {
	srv := serve()
	defer srv.Close()
	client := &http.Client{}
	defer client.CloseIdleConnections()

	dir, err := os.MkdirTemp("", "download-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	pool, err := futures.New(futures.WithWorkers(4))
	if err != nil {
		return err
	}
	defer pool.Close()

	urls := make([]string, len(names))
	for i, name := range names {
		urls[i] = srv.URL + "/files/" + name
	}
	download := func(ctx context.Context, url string) (int64, error) {
		// The deadline is this download's own; ctx is the task's, so
		// cancelling the caller's ctx would stop every download too.
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return save(ctx, client, url, dir)
	}

	fmt.Fprintf(w, "downloading %d files with 4 workers, at most %v each\n", len(urls), timeout)
	i := 0
	for n, err := range futures.Map(ctx, pool, slices.Values(urls), download) {
		// Map yields in the order of urls, whichever download ends first.
		name := names[i]
		i++
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			fmt.Fprintf(w, "[%d/%d] %-11s error: no answer within %v\n", i, len(urls), name, timeout)
		case err != nil:
			fmt.Fprintf(w, "[%d/%d] %-11s error: %v\n", i, len(urls), name, err)
		default:
			fmt.Fprintf(w, "[%d/%d] %-11s %6d bytes\n", i, len(urls), name, n)
		}
	}

	// Every task has completed by now, so the counts add up.
	s := pool.Stats()
	fmt.Fprintf(w, "tasks: %d submitted, %d succeeded, %d failed\n", s.Submitted, s.Succeeded, s.Failed)
	saved, size, err := du(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "saved %d files, %d bytes, to a temporary directory\n", saved, size)
	return nil
}

// save downloads url into dir, under the last element of its path, and
// returns the number of bytes written. It leaves no file behind on error.
func save(ctx context.Context, client *http.Client, url, dir string) (n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, errors.New(resp.Status)
	}

	name := filepath.Join(dir, path.Base(req.URL.Path))
	f, err := os.Create(name)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(name)
		}
	}()
	return io.Copy(f, resp.Body)
}

// du returns the number of files in dir and their total size.
func du(dir string) (count int, size int64, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return 0, 0, err
		}
		count++
		size += info.Size()
	}
	return count, size, nil
}

// serve starts a local server for files under /files/. It answers 404 for
// a name it does not know, and nothing at all for slow.bin until the client
// gives up. The caller closes it.
func serve() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, "/files/")
		if ok && name == "slow.bin" {
			<-r.Context().Done()
			return
		}
		data, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
}

// makeFile returns size bytes of line, repeated.
func makeFile(line string, size int) []byte {
	return bytes.Repeat([]byte(line+"\n"), size/(len(line)+1)+1)[:size]
}
