package futures

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"sync/atomic"
)

// AsCompleted returns a channel that delivers each of fs as it completes, and
// is closed after the last one. Futures already complete when AsCompleted is
// called come first, in the order given. A future given more than once is
// delivered once; nil futures are ignored, and with none left the channel is
// returned closed.
//
// AsCompleted starts no goroutine: it adds to each future not yet complete a
// callback (see [Future.OnDone]) that sends it on the channel, which has room
// for all of them. A future cancelled while queued is delivered at once.
//
// Nothing can take those callbacks back: each stays on its future, and keeps
// the channel, until the future completes. So a caller that stops receiving
// early leaves them behind until then, and one that calls AsCompleted again
// and again on the same pending futures adds a callback to each on every
// call: on a 64-bit platform, each call holds on to about 120 bytes and 16
// more per pending future. Once the futures have completed and the channel
// is unreferenced, all is collected. To poll futures in a loop, use [Wait]
// with a context that times out: it removes what it registers before it
// returns.
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
	if len(fs) <= 16 {
		for _, f := range fs {
			if f != nil && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
		return out
	}
	// The futures seen, in a hash table with linear probing, at most half
	// full: for thousands of futures, this costs a third of a map.
	seen := make([]*Future[T], 1<<bits.Len(uint(2*len(fs))))
	mask := uint64(len(seen) - 1)
	for _, f := range fs {
		if f == nil {
			continue
		}
		for i := maphash.Comparable(hashSeed, f) & mask; seen[i] != f; i = (i + 1) & mask {
			if seen[i] == nil {
				seen[i] = f
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// hashSeed seeds the hashes of distinct.
var hashSeed = maphash.MakeSeed()
