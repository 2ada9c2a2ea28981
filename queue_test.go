package futures

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stuck is how long the tests below let a task wait before they call it
// lost: far longer than any wait of theirs takes, even under the race detector
// on a loaded machine.
const stuck = 10 * time.Second

// numbered is a task that only carries a number, for testing the queue alone.
type numbered int

func (numbered) run(*worker)             {}
func (numbered) abort(State, error) bool { return false }

// TestQueueHandsOverEveryTaskOnce pushes numbered tasks from several
// goroutines into a queue that several others pop, and checks that each comes
// out exactly once, and in the order pushed for each pusher.
func TestQueueHandsOverEveryTaskOnce(t *testing.T) {
	const workers, pushers, each = 4, 3, 20000
	for _, size := range []int{0, 1, 2, 5, 64} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			q := newQueue(size, workers)
			got := make([][]numbered, workers)
			var popped sync.WaitGroup
			for i := range workers {
				wake := make(chan struct{}, 1)
				popped.Go(func() {
					for {
						tk, ok := q.pop(wake)
						if !ok {
							return
						}
						got[i] = append(got[i], tk.(numbered))
					}
				})
			}
			// A lost wake-up leaves every worker parked and the queue
			// full: give up then rather than hang.
			deadline := time.Now().Add(stuck)
			var pushed sync.WaitGroup
			for j := range pushers {
				pushed.Go(func() {
					for k := range each {
						for !q.tryPush(numbered(j*each + k)) {
							if time.Now().After(deadline) {
								t.Errorf("pusher %d stuck at task %d with %d queued", j, k, q.len())
								return
							}
							runtime.Gosched()
						}
					}
				})
			}
			pushed.Wait()
			q.close()
			popped.Wait()

			seen := make([]int, pushers*each)
			for _, g := range got {
				last := make([]numbered, pushers)
				for i := range last {
					last[i] = -1
				}
				for _, n := range g {
					seen[n]++
					// One worker pops a pusher's tasks in the order
					// they were pushed.
					j := int(n) / each
					assert.Greater(t, n, last[j], "pusher %d's tasks out of order", j)
					last[j] = n
				}
			}
			for n, c := range seen {
				if c != 1 {
					require.Failf(t, "task not handed over once", "task %d came out %d times", n, c)
				}
			}
			assert.Zero(t, q.len())
		})
	}
}

// TestQueueLimitsRoom checks that a queue takes as many tasks as its size and
// no more, and that a queue of size 0 takes one only for a parked worker.
func TestQueueLimitsRoom(t *testing.T) {
	for _, size := range []int{1, 3} {
		q := newQueue(size, 2)
		for i := range size {
			require.True(t, q.tryPush(numbered(i)), "size %d: push %d", size, i)
		}
		assert.False(t, q.tryPush(numbered(size)), "size %d: push beyond the size", size)
		assert.Equal(t, size, q.len())
		tk, ok := q.take()
		require.True(t, ok)
		assert.Equal(t, numbered(0), tk, "size %d: first in, first out", size)
		assert.True(t, q.tryPush(numbered(size)), "size %d: push after a take", size)
	}

	q := newQueue(0, 1)
	assert.False(t, q.tryPush(numbered(0)), "size 0 with no worker parked")
	wake := make(chan struct{}, 1)
	popped := make(chan task)
	go func() {
		tk, _ := q.pop(wake)
		popped <- tk
	}()
	for q.idle.Load() == 0 {
		runtime.Gosched()
	}
	require.True(t, q.tryPush(numbered(7)), "size 0 with a worker parked")
	assert.Equal(t, numbered(7), <-popped)
	assert.Zero(t, q.len())
	q.close()
}

// TestPoolWakesParkedWorkers submits one task at a time to pools of many
// workers, so that workers park and are woken over and over, and checks that
// no wake-up is lost: a lost one leaves a task queued with every worker parked.
func TestPoolWakesParkedWorkers(t *testing.T) {
	for _, workers := range []int{1, 3, 8} {
		for _, size := range []int{0, 1, 64} {
			t.Run(fmt.Sprintf("workers=%d/queue=%d", workers, size), func(t *testing.T) {
				p := newPool(t, WithWorkers(workers), WithQueueSize(size))
				ctx, cancel := context.WithTimeout(context.Background(), stuck)
				defer cancel()
				var wg sync.WaitGroup
				for range 3 {
					wg.Go(func() {
						for range 3000 {
							if _, err := Submit(ctx, p, trivial).Result(ctx); err != nil {
								assert.NoError(t, err, "a task was never run")
								return
							}
						}
					})
				}
				wg.Wait()
			})
		}
	}
}
