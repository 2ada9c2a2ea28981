package futures

import (
	"context"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// The documented allocation budget: one per submission, one per Map item,
// at most one per future for AsCompleted.

// The sizes the Pool doc and the README give: a Future of a one-word result,
// and a Map item of one-word input and output, which also holds the function.
func TestDocumentedSizes(t *testing.T) {
	assert.Equal(t, uintptr(144), unsafe.Sizeof(Future[int]{}))
	assert.Equal(t, uintptr(160), unsafe.Sizeof(mapItem[int, int]{}))
	assert.Equal(t, uintptr(80), unsafe.Sizeof(goTask{}))
	// A held task of a group: its record and its slot in the queue.
	assert.LessOrEqual(t, unsafe.Sizeof(goTask{})+unsafe.Sizeof(task(nil)), uintptr(96))
}

// TestGroupGoAllocatesOnlyItsTask checks that Go costs one allocation, its
// task's record, besides the caller's closure.
func TestGroupGoAllocatesOnlyItsTask(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	g, _ := NewGroup(context.Background(), p)
	fn := func(context.Context) error { return nil }
	allocs := testing.AllocsPerRun(1000, func() { g.Go(fn) })
	assert.LessOrEqual(t, allocs, 1.0)
	assert.NoError(t, g.Wait())
}

func TestSubmitAllocatesOnlyItsFuture(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := Submit(ctx, p, trivial).Result(ctx); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 1.0)
}

func TestMapAllocatesOncePerItem(t *testing.T) {
	const items = 1000
	p := newPool(t, WithWorkers(2))
	inputs := func(yield func(int) bool) {
		for i := range items {
			if !yield(i) {
				return
			}
		}
	}
	allocs := testing.AllocsPerRun(5, func() {
		for _, err := range Map(context.Background(), p, inputs, square, WithBuffer(64)) {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	// Each run also makes the iterator and the mapper, and its ring, which
	// grows to the buffer's 64 by doubling from 8.
	assert.LessOrEqual(t, allocs, items+16.0)
}

func TestAsCompletedAllocatesAtMostOncePerFuture(t *testing.T) {
	const futures = 100
	p := newPool(t, WithWorkers(1), WithQueueSize(futures))
	gate := make(chan struct{})
	var fs []*Future[int]
	for i := range futures {
		fs = append(fs, gated(t, p, i, gate))
	}
	allocs := testing.AllocsPerRun(1, func() {
		AsCompleted(fs...) // none complete: a callback on each
	})
	close(gate)
	// The slice of distinct futures, the channel, the closure, the
	// counter, and one callback record per future.
	assert.LessOrEqual(t, allocs, futures+8.0)
}
