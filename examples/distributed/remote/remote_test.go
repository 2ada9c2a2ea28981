package remote

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/go-futures/futures"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// guard bounds the waits that would otherwise hang a failing test.
const guard = 10 * time.Second

// startServer starts a NATS server in the process, shut down as the test
// ends, and returns its URL.
func startServer(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	require.True(t, ns.ReadyForConnections(guard), "the NATS server did not start")
	return ns.ClientURL()
}

// connect connects to url, until the test ends.
func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// newPool returns a pool of the given workers, closed as the test ends.
func newPool(t *testing.T, workers int) *futures.Pool {
	t.Helper()
	pool, err := futures.New(futures.WithWorkers(workers))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pool.Close()) })
	return pool
}

// serve starts n workers of fn on subject, each with a connection and a
// pool of 16 workers of its own, as processes on other machines would have;
// they are stopped as the test ends.
func serve[In, Out any](t *testing.T, url, subject string, n int, fn func(context.Context, In) (Out, error)) []*Worker {
	t.Helper()
	var ws []*Worker
	for range n {
		nc := connect(t, url)
		pool := newPool(t, 16)
		w, err := Serve(nc, pool, subject, "workers", fn)
		require.NoError(t, err)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			assert.NoError(t, w.Stop(ctx))
		})
		ws = append(ws, w)
	}
	return ws
}

var errNegative = errors.New("negative")

// square returns n², or fails for a negative n, and panics for 13.
func square(_ context.Context, n int) (int, error) {
	if n < 0 {
		return 0, errNegative
	}
	if n == 13 {
		panic("unlucky")
	}
	return n * n, nil
}

// TestCall checks results, errors and panics through Submit and Result.
func TestCall(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	serve(t, url, "square", 2, square)
	sq := NewFunc[int, int](connect(t, url), "square")
	pool := newPool(t, 4)
	ctx := t.Context()

	call := func(n int) *futures.Future[int] {
		return futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return sq.Call(ctx, n) })
	}
	v, err := call(12).Result(ctx)
	require.NoError(t, err)
	assert.Equal(t, 144, v)

	_, err = call(-3).Result(ctx)
	var re *Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, &Error{Subject: "square", Text: "negative"}, re)
	assert.Equal(t, "remote: square: negative", err.Error())

	_, err = call(13).Result(ctx)
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "panic: unlucky", re.Text)

	// A function no worker serves fails at once.
	_, err = NewFunc[int, int](connect(t, url), "cube").Call(ctx, 2)
	assert.ErrorIs(t, err, nats.ErrNoResponders)
}

// TestAsCompleted makes 50 calls and checks that AsCompleted delivers each
// once, with its result.
func TestAsCompleted(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	serve(t, url, "square", 3, square)
	sq := NewFunc[int, int](connect(t, url), "square")
	pool := newPool(t, 8)
	ctx := t.Context()

	const n = 50
	inputs := make(map[*futures.Future[int]]int, n)
	var fs []*futures.Future[int]
	for i := range n {
		i += 20 // past 13, which panics
		f := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return sq.Call(ctx, i) })
		inputs[f] = i
		fs = append(fs, f)
	}
	seen := make(map[*futures.Future[int]]bool, n)
	for f := range futures.AsCompleted(fs...) {
		require.False(t, seen[f], "delivered twice")
		seen[f] = true
		v, err := f.Result(ctx)
		require.NoError(t, err)
		assert.Equal(t, inputs[f]*inputs[f], v)
	}
	assert.Len(t, seen, n)
}

// TestMap maps Call over 100 inputs, whose handlers take longer the earlier
// the input, and checks that the results come in input order.
func TestMap(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	slow := func(ctx context.Context, n int) (string, error) {
		// Work, not synchronization: the earlier inputs finish later.
		time.Sleep(time.Duration(4-n%5) * time.Millisecond)
		return strconv.Itoa(n), nil
	}
	serve(t, url, "itoa", 2, slow)
	itoa := NewFunc[int, string](connect(t, url), "itoa")
	pool := newPool(t, 8)

	var got, want []string
	for v, err := range futures.Map(t.Context(), pool, slices.Values(makeRange(100)), itoa.Call) {
		require.NoError(t, err)
		got = append(got, v)
	}
	for i := range 100 {
		want = append(want, strconv.Itoa(i))
	}
	assert.Equal(t, want, got)
}

// TestGroupFailFast runs 20 calls in a group, on a pool that keeps 4 in
// flight: the first fails once the other three run, and the group's
// cancellation reaches their handlers on the workers, with ErrCallerGone as
// the cause; the 16 calls not yet made are never made.
func TestGroupFailFast(t *testing.T) {
	t.Parallel()
	const inFlight = 4
	url := startServer(t)
	started := make(chan int, inFlight)
	causes := make(chan error, inFlight)
	var handled atomic.Int64
	fn := func(ctx context.Context, n int) (int, error) {
		handled.Add(1)
		if n == 0 {
			for range inFlight - 1 {
				select {
				case <-started:
				case <-ctx.Done():
					return 0, context.Cause(ctx)
				}
			}
			return 0, errors.New("zero")
		}
		started <- n
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return 0, context.Cause(ctx)
	}
	serve(t, url, "wait", 2, fn)
	wait := NewFunc[int, int](connect(t, url), "wait")
	pool := newPool(t, inFlight)

	g, _ := futures.NewGroup(t.Context(), pool)
	var made atomic.Int64
	for n := range 20 {
		g.Go(func(ctx context.Context) error {
			made.Add(1)
			_, err := wait.Call(ctx, n)
			return err
		})
	}
	err := g.Wait()
	var re *Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "zero", re.Text)

	for range inFlight - 1 {
		select {
		case cause := <-causes:
			assert.ErrorIs(t, cause, ErrCallerGone)
		case <-time.After(guard):
			t.Fatal("a handler's context was not cancelled")
		}
	}
	assert.Equal(t, int64(inFlight), made.Load(), "calls made")
	assert.Equal(t, int64(inFlight), handled.Load(), "calls handled")
}

// TestInFlightBound makes 30 calls through a pool of 3 workers, served by
// two workers that could run 32 at once, and counts the handlers running
// at once: never more than 3, and 3 at a time, as each handler waits for
// two others before it returns.
func TestInFlightBound(t *testing.T) {
	t.Parallel()
	const inFlight, calls = 3, 30
	url := startServer(t)
	var running, most atomic.Int64
	var mu sync.Mutex
	arrived, round := 0, make(chan struct{}) // the handlers of the current round
	fn := func(ctx context.Context, n int) (int, error) {
		now := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		mu.Lock()
		arrived++
		this := round
		if arrived == inFlight {
			close(round)
			arrived, round = 0, make(chan struct{})
		}
		mu.Unlock()
		select {
		case <-this:
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
		return n, nil
	}
	serve(t, url, "round", 2, fn)
	f := NewFunc[int, int](connect(t, url), "round")
	pool := newPool(t, inFlight)
	ctx := t.Context()

	var fs []*futures.Future[int]
	for n := range calls {
		fs = append(fs, futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return f.Call(ctx, n) }))
	}
	for n, fut := range fs {
		v, err := fut.Result(ctx)
		require.NoError(t, err)
		assert.Equal(t, n, v)
	}
	assert.Equal(t, int64(inFlight), most.Load(), "most handlers running at once")
}

// TestCancelBeforeStart cancels a call that waits on the worker behind
// another: its handler never runs. The worker runs one handler at a time;
// the first call's handler runs until its caller gives up, which it does
// after the second's, so the worker hears of the second cancel first.
func TestCancelBeforeStart(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	started := make(chan struct{})
	var firstCause error
	var secondRan atomic.Bool
	fn := func(ctx context.Context, n int) (int, error) {
		if n == 2 {
			secondRan.Store(true)
			return n, nil
		}
		close(started)
		<-ctx.Done()
		firstCause = context.Cause(ctx)
		return 0, firstCause
	}
	nc := connect(t, url)
	w, err := Serve(nc, newPool(t, 1), "one", "workers", fn)
	require.NoError(t, err)

	client := connect(t, url)
	// A plain subscriber gets a copy of every call: it shows when the
	// server has the second.
	spy, err := client.SubscribeSync("one")
	require.NoError(t, err)
	f := NewFunc[int, int](client, "one")
	pool := newPool(t, 2)

	ctx1, cancel1 := context.WithCancel(t.Context())
	defer cancel1()
	first := futures.Submit(ctx1, pool, func(ctx context.Context) (int, error) { return f.Call(ctx, 1) })
	<-started
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	second := futures.Submit(ctx2, pool, func(ctx context.Context) (int, error) { return f.Call(ctx, 2) })
	for _, want := range []string{"1", "2"} {
		m, err := spy.NextMsg(guard)
		require.NoError(t, err)
		require.Equal(t, want, string(m.Data))
	}

	cancel2()
	_, err = second.Result(t.Context())
	require.ErrorIs(t, err, context.Canceled)
	cancel1()
	_, err = first.Result(t.Context())
	require.ErrorIs(t, err, context.Canceled)

	// Stop waits for the handlers.
	stopCtx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	require.NoError(t, w.Stop(stopCtx))
	assert.ErrorIs(t, firstCause, ErrCallerGone)
	assert.False(t, secondRan.Load(), "the handler of a call cancelled before it started ran")
}

// TestStop checks that Stop answers a call in flight before it returns,
// that a stopped worker takes no more calls, and that Stop called again
// returns the same.
func TestStop(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	started, release := make(chan struct{}), make(chan struct{})
	fn := func(ctx context.Context, n int) (int, error) {
		close(started)
		<-release
		return n, nil
	}
	w, err := Serve(connect(t, url), newPool(t, 1), "stop", "workers", fn)
	require.NoError(t, err)
	f := NewFunc[int, int](connect(t, url), "stop")
	pool := newPool(t, 1)
	ctx := t.Context()

	call := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return f.Call(ctx, 7) })
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- w.Stop(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned %v with a call in flight", err)
	case <-call.Done():
		t.Fatal("the call completed before its handler returned")
	default:
	}
	close(release)
	v, err := call.Result(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	require.NoError(t, <-stopped)
	assert.NoError(t, w.Stop(ctx))

	_, err = f.Call(ctx, 8)
	assert.ErrorIs(t, err, nats.ErrNoResponders)
}

// TestStopCancels stops a worker with a context already done: the handler
// running sees its context done with that cause, and Stop returns it; the
// handler's caller gets what it returned.
func TestStopCancels(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	started := make(chan struct{})
	var cause error
	fn := func(ctx context.Context, n int) (int, error) {
		close(started)
		<-ctx.Done()
		cause = context.Cause(ctx)
		return 0, cause
	}
	w, err := Serve(connect(t, url), newPool(t, 1), "stop", "workers", fn)
	require.NoError(t, err)
	f := NewFunc[int, int](connect(t, url), "stop")
	pool := newPool(t, 1)

	call := futures.Submit(t.Context(), pool, func(ctx context.Context) (int, error) { return f.Call(ctx, 1) })
	<-started

	errStop := errors.New("stop now")
	stopCtx, cancel := context.WithCancelCause(context.Background())
	cancel(errStop)
	assert.ErrorIs(t, w.Stop(stopCtx), errStop)
	assert.ErrorIs(t, cause, errStop, "the handler's cause") // Stop waited for it

	// The handler had started, so its caller gets its error.
	ctx, cancelWait := context.WithTimeout(t.Context(), guard)
	defer cancelWait()
	_, err = call.Result(ctx)
	var re *Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "stop now", re.Text)
}

// makeRange returns the integers from 0 to n-1.
func makeRange(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestNilArguments checks that Serve and Call refuse what they cannot use,
// with an error rather than a panic.
func TestNilArguments(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	nc := connect(t, url)
	pool := newPool(t, 1)
	_, err := Serve[int, int](nil, pool, "s", "q", square)
	assert.ErrorIs(t, err, errNilArgument)
	_, err = Serve[int, int](nc, nil, "s", "q", square)
	assert.ErrorIs(t, err, errNilArgument)
	_, err = Serve[int, int](nc, pool, "s", "q", nil)
	assert.ErrorIs(t, err, errNilArgument)

	var nilFunc *Func[int, int]
	_, err = nilFunc.Call(t.Context(), 1)
	assert.ErrorIs(t, err, errNilArgument)
	_, err = NewFunc[int, int](nil, "s").Call(t.Context(), 1)
	assert.ErrorIs(t, err, errNilArgument)
	//lint:ignore SA1012 a nil ctx is what this checks
	_, err = NewFunc[int, int](nc, "s").Call(nil, 1)
	assert.ErrorIs(t, err, errNilArgument)
}
