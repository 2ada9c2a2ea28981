// Package remote calls functions that run on other machines, over NATS, in
// a way that fits the futures package: a Func's Call method has the shape
// of a task, so Submit, Map, AsCompleted and a Group's fail-fast work on
// remote calls as on local ones, and a futures.Pool of n workers keeps at
// most n calls in flight.
//
// A Worker serves a function on a subject, in a NATS queue group: each call
// goes to one of the workers that serve the subject, wherever they run. The
// argument and the result travel as JSON, and an error as its text.
//
// Cancellation crosses the network too. When the context of a call is done
// before its result arrives, Call publishes the call's ID on the subject's
// cancel subject (the subject followed by ".cancel"), which every worker of
// the subject watches: the worker running the call cancels its handler's
// context, with ErrCallerGone as the cause, or drops the call if it has not
// started it. A handler that returns as its context is done thus frees its
// worker's place soon after its caller has given up, as a local task does.
// Only soon after: the caller's pool worker is free at once, and may make
// another call while the cancel travels. So a pool of n workers keeps at
// most n calls waiting for their replies, while the handlers running may
// number more for a moment, until the cancels of the calls given up reach
// them.
package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// The headers of a call and of its reply.
const (
	idHeader    = "Call-Id"    // the call's ID, on a request
	errorHeader = "Call-Error" // the handler's error, on a reply
)

// ErrCallerGone is the cause of the context of a handler whose caller gave
// up: its context was done before the reply arrived.
var ErrCallerGone = errors.New("remote: the caller gave up")

// errNilArgument is the error of Serve, and of Call, given a nil connection,
// pool, function or context.
var errNilArgument = errors.New("remote: nil connection, pool, function or context")

// An Error is the error that a function returned on a worker, as its caller
// sees it: only its text crosses the network.
type Error struct {
	Subject string // the subject of the function
	Text    string // the text of the handler's error
}

// Error returns the text of the handler's error, with the subject.
func (e *Error) Error() string {
	return "remote: " + e.Subject + ": " + e.Text
}

// cancelSubject returns the subject on which the callers of the function
// served on subject announce the calls they gave up.
func cancelSubject(subject string) string {
	return subject + ".cancel"
}

// A Func is a function served by Workers on a NATS subject, taking an In and
// returning an Out, as its callers see it.
type Func[In, Out any] struct {
	nc      *nats.Conn
	subject string
}

// NewFunc returns the function served on subject, called through nc.
func NewFunc[In, Out any](nc *nats.Conn, subject string) *Func[In, Out] {
	return &Func[In, Out]{nc: nc, subject: subject}
}

// Call calls the function with in on one of the workers that serve it,
// waits for its result and returns it. If the handler returned an error,
// Call returns it as an *Error; if no worker serves the subject, an error
// matching nats.ErrNoResponders.
//
// If ctx is done before the result arrives, Call returns context.Cause of ctx
// at once, and tells the worker that took the call, if any: the handler's
// context is cancelled, or, if it has not started, it never runs. The news
// travels on the connection as the call did, after it, so it reaches the
// worker after the call and cannot be missed; but it is not awaited, so the
// handler may still be running when Call returns.
//
// A nil Func, one made with a nil connection, or a nil ctx is an error.
//
// Call has the shape of Map's function, and of a task once given in:
//
//	futures.Map(ctx, pool, inputs, f.Call)
//	futures.Submit(ctx, pool, func(ctx context.Context) (Out, error) { return f.Call(ctx, in) })
func (f *Func[In, Out]) Call(ctx context.Context, in In) (Out, error) {
	var zero Out
	if f == nil || f.nc == nil || ctx == nil {
		return zero, errNilArgument
	}
	if ctx.Err() != nil {
		return zero, context.Cause(ctx)
	}
	data, err := json.Marshal(in)
	if err != nil {
		return zero, fmt.Errorf("remote: %s: encoding the argument: %w", f.subject, err)
	}
	id := nuid.Next()
	req := nats.NewMsg(f.subject)
	req.Header.Set(idHeader, id)
	req.Data = data
	reply, err := f.nc.RequestMsgWithContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			// The request may have reached a worker. If the connection
			// fails now, so do the worker's replies: the handler's
			// work is lost either way.
			_ = f.nc.Publish(cancelSubject(f.subject), []byte(id))
			return zero, context.Cause(ctx)
		}
		return zero, fmt.Errorf("remote: %s: %w", f.subject, err)
	}
	if text := reply.Header.Get(errorHeader); text != "" {
		return zero, &Error{Subject: f.subject, Text: text}
	}
	var out Out
	if err := json.Unmarshal(reply.Data, &out); err != nil {
		return zero, fmt.Errorf("remote: %s: decoding the result: %w", f.subject, err)
	}
	return out, nil
}
