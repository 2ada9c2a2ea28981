package futures

import (
	"bytes"
	"context"
	"log"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The defaults that the docs state.

func TestDefaultQueueIs64PerWorker(t *testing.T) {
	p := newPool(t, WithWorkers(2))
	_, release1 := holdWorker(t, p)
	_, release2 := holdWorker(t, p)
	defer release1()
	defer release2()
	for i := range 128 { // 64 for each of the 2 workers
		_, err := TrySubmit(context.Background(), p, trivial)
		require.NoError(t, err, "submission %d", i)
	}
	_, err := TrySubmit(context.Background(), p, trivial)
	assert.ErrorIs(t, err, ErrQueueFull)
}

func TestMapDefaultBufferIsTwiceTheWorkers(t *testing.T) {
	p := newPool(t, WithWorkers(3))
	var read atomic.Int64
	var yielded, most int64
	for _, err := range Map(context.Background(), p, naturals(&read), square) {
		require.NoError(t, err)
		yielded++
		most = max(most, read.Load()-(yielded-1))
		if yielded == 500 {
			break
		}
	}
	assert.Equal(t, int64(6), most, "most tasks submitted and not yet yielded")
}

func TestCallbackPanicGoesToTheStandardLoggerByDefault(t *testing.T) {
	var buf bytes.Buffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&buf)

	p := newPool(t, WithWorkers(1))
	f := Submit(context.Background(), p, trivial)
	_, err := f.Result(context.Background())
	require.NoError(t, err)
	f.OnDone(func(*Future[int]) { panic("callback boom") })
	assert.Contains(t, buf.String(), "futures: OnDone callback panicked: callback boom")
	assert.Equal(t, uint64(1), p.Stats().CallbackPanics)
}
