package futures

import (
	"slices"
	"sync/atomic"
)

// AsCompleted returns a channel that delivers each of fs as it completes, and
// is closed after the last one. Futures already complete when AsCompleted is
// called come first, in the order given. A future given more than once is
// delivered once; nil futures are ignored, and with none left the channel is
// returned closed.
//
// AsCompleted starts no goroutine: each future's completion sends it on the
// channel, which has room for all of them. A caller that stops receiving
// early leaks nothing; the channel and its futures are collected once
// unreferenced. A future cancelled while queued is delivered at once.
func AsCompleted[T any](fs ...*Future[T]) <-chan *Future[T] {
	return completions(distinct(fs))
}

// completions returns a channel that delivers each of the distinct futures
// fs as it completes, those complete now first, and is closed after the last.
// It reuses the array of fs.
func completions[T any](fs []*Future[T]) <-chan *Future[T] {
	ch := make(chan *Future[T], len(fs))
	if len(fs) == 0 {
		close(ch)
		return ch
	}
	var left atomic.Int64
	left.Store(int64(len(fs)))
	send := func(f *Future[T]) {
		ch <- f
		if left.Add(-1) == 0 {
			close(ch)
		}
	}
	// Send the complete ones before registering the others, whose
	// callbacks may run at any moment from here on.
	pending := fs[:0]
	for _, f := range fs {
		if f.complete() {
			send(f)
		} else {
			pending = append(pending, f)
		}
	}
	for _, f := range pending {
		f.OnDone(send)
	}
	return ch
}

// distinct returns the non-nil futures of fs, each once, in the order of
// their first appearance, in a new slice.
func distinct[T any](fs []*Future[T]) []*Future[T] {
	out := make([]*Future[T], 0, len(fs))
	var seen map[*Future[T]]struct{}
	if len(fs) > 16 {
		seen = make(map[*Future[T]]struct{}, len(fs))
	}
	for _, f := range fs {
		if f == nil {
			continue
		}
		if seen != nil {
			if _, ok := seen[f]; ok {
				continue
			}
			seen[f] = struct{}{}
		} else if slices.Contains(out, f) {
			continue
		}
		out = append(out, f)
	}
	return out
}
