package futures

import (
	"context"
	"errors"
	"sync/atomic"
)

// errAnyDone is the cause of the context of Any's functions once one has
// succeeded, or Any has returned.
var errAnyDone = errors.New("futures: Any has its result")

// Any runs fns on ex, each with a context derived from ctx, and returns the
// value of the first to succeed, that is, to return a nil error: Java's
// invokeAny, for hedged requests or redundant sources. As soon as one
// returns success, before its worker takes another task, Any cancels the
// others' context, with a cause matching nothing of theirs: those that have
// not started never run, and Any returns without waiting for those running,
// whose outcomes are dropped. The context of every function is done once Any
// has returned.
//
// If every function fails, Any returns the zero value and their errors
// joined with [errors.Join], in the order of fns, so that the error matches
// each of theirs. If ctx is done before one succeeds, Any returns the zero
// value and [context.Cause] of ctx instead, even if the last of them failed
// meanwhile, and cancels the functions as above. Any starts no goroutine.
//
// The functions run as workers are free for them, in the order of fns: to
// hedge, give ex a free worker for each function, or a slow one may hold up
// the rest. Called from a task of ex's pool with the task's context, Any
// submits as [Submit] does from a task, so it cannot deadlock the pool, and
// runs those functions still queued in the task's place, one at a time, in
// order, as [Wait] with [FirstCompleted] does: it returns at the first
// success in time, whichever worker runs it, and takes time linear in the
// number of functions.
//
// On a [Group], the functions' tasks belong to the group, which waits for
// them, but their failures are Any's, not the group's.
//
// With no fns, a nil ctx or ex, Any returns at once an error matching
// [ErrInvalidOption]; a nil function fails as if it had returned such an
// error.
func Any[T any](ctx context.Context, ex Executor, fns ...func(context.Context) (T, error)) (T, error) {
	var zero T
	if ctx == nil {
		return zero, errNilContext
	}
	if _, _, err := executorOf(ex); err != nil {
		return zero, err
	}
	if len(fns) == 0 {
		return zero, invalidf("Any: no functions")
	}
	if ctx.Err() != nil {
		return zero, context.Cause(ctx)
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(errAnyDone)
	// first is the index of the first function to succeed, or -1.
	var first atomic.Int64
	first.Store(-1)
	fs := make([]*Future[T], 0, len(fns))
	defer func() {
		// Those that have not started never will.
		for _, f := range fs {
			f.Cancel()
		}
	}()
	for i, fn := range fns {
		if actx.Err() != nil {
			// One has succeeded, or ctx is done: submit no more.
			break
		}
		if call := fn; call != nil {
			// Cancel the others as soon as fn succeeds, before its
			// worker takes another task.
			fn = func(ctx context.Context) (T, error) {
				v, err := call(ctx)
				if err == nil && first.CompareAndSwap(-1, int64(i)) {
					cancel(errAnyDone)
				}
				return v, err
			}
		}
		var f *Future[T]
		var err error
		if fn == nil {
			// Its failure is Any's, not the group's: it never reaches
			// the group, as a function that fails at once would not.
			f = failed[T](nil, errNilFunc)
		} else if f, err = newFuture(actx, ex, fn); err == nil {
			f.flags.Or(quiet)
			f.p.submit(actx, f)
		}
		fs = append(fs, f)
	}
	// Until every function is complete, or actx ends: at the first
	// success, or with ctx.
	_ = waitAnyOf(actx, fs)
	if i := first.Load(); i >= 0 {
		// fs[i] is there: the loop appends every future it submits
		// before it looks at actx again. It completes as its function
		// returns.
		f := fs[i]
		<-f.Done()
		return f.val, nil
	}
	if ctx.Err() != nil {
		// They may have failed for it: its cause says why.
		return zero, context.Cause(ctx)
	}
	errs := make([]error, len(fs))
	for i, f := range fs {
		errs[i] = f.err
	}
	return zero, errors.Join(errs...)
}

// waitAnyOf waits until every future of fs is complete or ctx is done, as
// waitAll does. Called from a task, it first runs the futures still queued,
// in order, in the task's place; only then does it wait, for them all at
// once. Waiting for one future at a time would wait for a function that
// runs on another worker until its context ends, while the one that would
// end it by succeeding sits in the queue behind the waiter.
//
// It is linear in fs: a future it has passed is complete or running, and
// never queued again, so each is looked at once; and the last wait registers
// on each future once, but for a wait cut short when the task's place comes
// back, after which the pass goes on where it stopped.
func waitAnyOf[T any](ctx context.Context, fs []*Future[T]) error {
	c, w := taskIn(ctx)
	if w == nil {
		return waitAll(ctx, fs)
	}
	for i := 0; ; {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		lent := false
		for ; i < len(fs); i++ {
			f := fs[i]
			if f.p != w.pool || !f.pending() {
				continue
			}
			r, err := help(ctx, c, w, f)
			if err != nil {
				return err
			}
			if r == placeLent {
				// Another goroutine with the task's context runs
				// a task in its place: wait for it to come back.
				lent = true
				break
			}
			if ctx.Err() != nil {
				// The function it ran succeeded: Any has its result.
				return context.Cause(ctx)
			}
		}
		if err := waitOrFreed(ctx, fs, AllCompleted, c, w, lent); err != errRetry {
			return err
		}
	}
}
