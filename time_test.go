package futures

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests here run in a synctest bubble, where time is fake and advances
// only when every goroutine is blocked: their timings are exact.

func sleeper(d time.Duration) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		time.Sleep(d)
		return 1, nil
	}
}

func TestWorkersRunTasksInParallel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := New(WithWorkers(4))
		require.NoError(t, err)
		start := time.Now()
		var fs []*Future[int]
		for range 10 {
			fs = append(fs, Submit(context.Background(), p, sleeper(time.Second)))
		}
		for _, f := range fs {
			_, err := f.Result(context.Background())
			require.NoError(t, err)
		}
		// 10 one-second tasks on 4 workers take three rounds.
		assert.Equal(t, 3*time.Second, time.Since(start))
		require.NoError(t, p.Close())
	})
}

func TestResultDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := New(WithWorkers(1))
		require.NoError(t, err)
		start := time.Now()
		f := Submit(context.Background(), p, sleeper(5*time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = f.Result(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
		assert.Equal(t, Running, f.State())
		v, err := f.Result(context.Background())
		assert.NoError(t, err)
		assert.Equal(t, 1, v)
		assert.Equal(t, 5*time.Second, time.Since(start))
		require.NoError(t, p.Close())
	})
}

func TestShutdownDeadlineThenWaitAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := New(WithWorkers(1))
		require.NoError(t, err)
		start := time.Now()
		running := Submit(context.Background(), p, sleeper(5*time.Second))
		queued := Submit(context.Background(), p, sleeper(time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		assert.ErrorIs(t, p.Shutdown(ctx), context.DeadlineExceeded)
		assert.Equal(t, 2*time.Second, time.Since(start))
		require.NoError(t, p.Shutdown(context.Background()))
		assert.Equal(t, 6*time.Second, time.Since(start), "queued work still runs after a timed-out Shutdown")
		assert.NoError(t, running.Err())
		assert.NoError(t, queued.Err())
	})
}

func TestSubmitWaitsForRoomUntilDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := New(WithWorkers(1), WithQueueSize(0))
		require.NoError(t, err)
		start := time.Now()
		busy := Submit(context.Background(), p, sleeper(5*time.Second))
		synctest.Wait() // the worker has taken busy
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		f := Submit(ctx, p, sleeper(time.Second))
		assert.Equal(t, time.Second, time.Since(start), "Submit returned before its deadline")
		assert.Equal(t, Cancelled, f.State())
		assert.ErrorIs(t, f.Err(), context.DeadlineExceeded)
		assert.ErrorIs(t, f.Err(), ErrCancelled)
		require.NoError(t, p.Close())
		assert.NoError(t, busy.Err())
	})
}
