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
// meanwhile, and cancels the functions as above. Any starts no
// goroutine. Called from a task of ex's pool with the task's context, it
// submits and waits as [Submit] and [Wait] do from a task, so it cannot
// deadlock the pool.
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
		f, err := newFuture(actx, ex, fn)
		if err == nil {
			f.flags.Or(quiet)
			f.p.submit(actx, f)
		}
		fs = append(fs, f)
	}
	// Until every function is complete, or actx ends: at the first
	// success, or with ctx. From a task, it runs those still queued in
	// the task's place.
	_ = waitAll(actx, fs)
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
