package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/go-futures/futures"
)

// backlog is the room of a Worker's channel of messages: calls and cancels
// taken from the connection and not yet handed to the pool. Handing one over
// takes a map update and Group.Go, which never waits, so the channel fills
// only under a burst of this many messages arriving faster than that; beyond
// it NATS drops them, as from any slow consumer.
const backlog = 4096

// A Worker serves a function on a NATS subject: made by Serve, it takes its
// share of the calls, runs them on a futures.Pool, replies, and cancels the
// handlers whose callers gave up. Stop it with Stop.
type Worker struct {
	nc            *nats.Conn
	calls, cancel *nats.Subscription
	handle        func(context.Context, []byte) ([]byte, error)

	// One channel for both subscriptions, read by one goroutine, dispatch,
	// so that the cancel of a call, which its caller publishes after the
	// call on the same connection, is handled after it.
	msgs chan *nats.Msg

	group      *futures.Group
	stopCalls  context.CancelCauseFunc // cancels the context of every handler
	dispatched chan struct{}           // closed once dispatch has seen the last call
	quit       chan struct{}           // closed by Stop to end dispatch
	done       chan struct{}           // closed as dispatch returns

	stopOnce sync.Once
	stopErr  error

	mu      sync.Mutex
	running map[string]*call // guarded by mu: the calls taken and not complete, by ID
}

// A call is a call that a Worker has taken. Its caller may give up before
// its handler starts, or while it runs. Its fields are guarded by Worker.mu.
type call struct {
	cancel context.CancelCauseFunc // the handler's, once it has started
	gone   bool                    // the caller gave up
}

// Serve serves fn on subject through nc, in the NATS queue group queue, so
// that each call goes to one of the workers in the group; and returns the
// Worker, once the server has its subscriptions, so that calls made from
// then on can reach it. The Worker runs each call's handler as a task on
// pool, in a group of its own: so at most as many handlers run at once as
// the pool has workers, and calls beyond that wait, in order, for a worker.
//
// The argument is decoded from JSON into an In, the result encoded to JSON.
// An error that fn returns, and a panic it raises, reach the caller as the
// text of an *Error. A handler whose caller gives up sees its context done
// with ErrCallerGone as the cause, and its result is dropped. A nil nc, pool
// or fn is an error.
func Serve[In, Out any](nc *nats.Conn, pool *futures.Pool, subject, queue string, fn func(context.Context, In) (Out, error)) (*Worker, error) {
	if nc == nil || pool == nil || fn == nil {
		return nil, errNilArgument
	}
	handle := func(ctx context.Context, data []byte) (_ []byte, err error) {
		var in In
		if err := json.Unmarshal(data, &in); err != nil {
			return nil, fmt.Errorf("decoding the argument: %w", err)
		}
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("panic: %v", v)
			}
		}()
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}

	w := &Worker{
		nc:         nc,
		handle:     handle,
		msgs:       make(chan *nats.Msg, backlog),
		dispatched: make(chan struct{}),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
		running:    make(map[string]*call),
	}
	var err error
	if w.cancel, err = nc.ChanSubscribe(cancelSubject(subject), w.msgs); err != nil {
		return nil, err
	}
	w.calls, err = nc.ChanQueueSubscribe(subject, queue, w.msgs)
	if err == nil {
		// Once the server answers, it has the subscriptions: a call
		// made after Serve returns finds the worker.
		err = nc.Flush()
	}
	if err != nil {
		_ = w.cancel.Unsubscribe()
		if w.calls != nil {
			_ = w.calls.Unsubscribe()
		}
		return nil, err
	}

	// The calls that arrive meanwhile wait in w.msgs for dispatch.
	var base context.Context
	base, w.stopCalls = context.WithCancelCause(context.Background())
	// WithAllErrors: a handler's error is its caller's, not a reason to
	// cancel the others; the tasks return nil anyway.
	w.group, _ = futures.NewGroup(base, pool, futures.WithAllErrors())
	go w.dispatch()
	return w, nil
}

// dispatch hands each call to the group and each cancel to its call, in the
// order they arrived, until Stop closes quit.
func (w *Worker) dispatch() {
	defer close(w.done)
	for {
		select {
		case m := <-w.msgs:
			switch {
			case m == nil: // Stop's mark: the calls have all arrived
				close(w.dispatched)
			case m.Sub == w.cancel:
				w.giveUp(string(m.Data))
			default:
				w.start(m)
			}
		case <-w.quit:
			return
		}
	}
}

// start runs the call m on the group and replies to it.
func (w *Worker) start(m *nats.Msg) {
	id := m.Header.Get(idHeader)
	c := new(call)
	if id != "" { // a caller other than Call, which cannot cancel
		w.mu.Lock()
		w.running[id] = c
		w.mu.Unlock()
	}
	w.group.Go(func(ctx context.Context) error {
		// A context derived from the task's, so that the handler may
		// submit to the pool and wait as a task does.
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		w.mu.Lock()
		c.cancel = cancel
		gone := c.gone
		w.mu.Unlock()
		defer w.forget(id)
		if gone {
			return nil
		}

		data, err := w.handle(ctx, m.Data)
		if errors.Is(context.Cause(ctx), ErrCallerGone) {
			return nil // no one is waiting for the reply
		}
		reply := nats.NewMsg(m.Reply)
		if err != nil {
			reply.Header.Set(errorHeader, err.Error())
		} else {
			reply.Data = data
		}
		// Not m.RespondMsg: the subscription may be closed by now, while
		// Stop waits for the handlers.
		_ = w.nc.PublishMsg(reply)
		return nil
	})
}

// giveUp cancels the call whose ID is id, if this worker has it: its
// handler's context if it runs, the handler itself if not yet.
func (w *Worker) giveUp(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.running[id]
	if !ok {
		return // another worker's call, or one complete
	}
	c.gone = true
	if c.cancel != nil {
		c.cancel(ErrCallerGone)
	}
}

// forget removes the call whose ID is id from the running ones.
func (w *Worker) forget(id string) {
	w.mu.Lock()
	delete(w.running, id)
	w.mu.Unlock()
}

// Stop stops w: it takes no more calls, and returns nil once every call it
// had taken is complete and answered; meanwhile the handlers can still be
// cancelled by their callers. If ctx is done first, Stop cancels the
// contexts of the handlers still running, with context.Cause of ctx as the
// cause, waits for them to return, and returns that cause; calls it had
// taken and not started then get no reply.
//
// Stop drains the subscription, so that the calls NATS has sent w before
// it heard of the stop are answered too; so it must be called while the
// connection is open. Stop may be called more than once: the later calls
// wait for the first to end and return the same error.
func (w *Worker) Stop(ctx context.Context) error {
	w.stopOnce.Do(func() { w.stopErr = w.stop(ctx) })
	return w.stopErr
}

func (w *Worker) stop(ctx context.Context) error {
	err := w.drain(ctx)
	if err == nil {
		err = w.group.Shutdown(ctx) // wait for the handlers
	}
	if err != nil {
		// The group, its parent context done, starts no more handlers.
		w.stopCalls(err)
	}
	// Once the handlers have returned: until then, their callers may
	// cancel them.
	_ = w.group.Wait()
	w.stopCalls(nil)
	_ = w.cancel.Unsubscribe()
	close(w.quit)
	<-w.done
	return err
}

// drain stops the subscription to calls and waits until dispatch has handed
// the last call that reached w to the group, or until ctx is done.
func (w *Worker) drain(ctx context.Context) error {
	// The subscription is closed once the server has confirmed that it
	// sends no more, and what it sent is in w.msgs.
	closed := w.calls.StatusChanged(nats.SubscriptionClosed)
	if err := w.calls.Drain(); err != nil {
		return err
	}
	for open := true; open; {
		select {
		case _, open = <-closed:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	// Behind the last call, a mark for dispatch.
	select {
	case w.msgs <- nil:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	select {
	case <-w.dispatched:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
