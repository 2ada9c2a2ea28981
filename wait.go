package futures

import (
	"context"
	"slices"
	"strconv"
)

// A Condition tells [Wait] when to return.
type Condition int

const (
	// FirstCompleted: as soon as any future is complete.
	FirstCompleted Condition = iota
	// FirstError: as soon as any future has finished with an error, or else
	// when all are complete. A cancelled future is not an error here.
	FirstError
	// AllCompleted: when every future is complete.
	AllCompleted
)

var conditionNames = [...]string{"FirstCompleted", "FirstError", "AllCompleted"}

// String returns the condition's Go name, such as "FirstError".
func (c Condition) String() string {
	if c >= 0 && int(c) < len(conditionNames) {
		return conditionNames[c]
	}
	return "Condition(" + strconv.Itoa(int(c)) + ")"
}

// Wait waits until the futures fs meet the condition until, or until ctx is
// done, and returns them split in two: done holds the complete ones and
// pending the others, both in the order given, each future once, nil futures
// left out. If ctx is done first, Wait returns the split at that moment and
// [context.Cause] of ctx. With no futures it returns at once.
//
// Wait waits on the calling goroutine and leaves nothing behind: no
// goroutine, and, once it returns, nothing registered on the futures, so
// that a loop that calls it with a context that times out runs in constant
// memory however long the futures take. Like
// [Future.Result], Wait called from inside a task of the futures' pool with
// the task's context runs the tasks that no worker has started yet on the
// calling worker, one at a time (for FirstCompleted and FirstError, until
// the condition holds), so that it cannot deadlock the pool. A nil ctx or an
// unknown condition gets an error matching [ErrInvalidOption].
func Wait[T any](ctx context.Context, fs []*Future[T], until Condition) (done, pending []*Future[T], err error) {
	if ctx == nil {
		return nil, nil, errNilContext
	}
	if until < FirstCompleted || until > AllCompleted {
		return nil, nil, invalidf("Wait: unknown condition %v", until)
	}
	fs = distinct(fs)
	switch {
	case met(fs, until):
	case until == AllCompleted:
		err = waitAll(ctx, fs)
	case !help(ctx, fs, until):
		err = waitFor(ctx, fs, until)
	}
	done, pending = split(fs)
	return done, pending, err
}

// split returns the complete futures of fs and the others, in order. If all
// are complete, done is fs itself.
func split[T any](fs []*Future[T]) (done, pending []*Future[T]) {
	for i, f := range fs {
		if f.complete() {
			continue
		}
		// fs[:i] are complete: sort out the rest.
		if i > 0 {
			done = slices.Clip(fs[:i])
		}
		for _, f := range fs[i:] {
			if f.complete() {
				done = append(done, f)
			} else {
				pending = append(pending, f)
			}
		}
		return done, pending
	}
	if len(fs) == 0 {
		return nil, nil
	}
	return fs, nil
}

// met reports whether fs meet the condition now.
func met[T any](fs []*Future[T], until Condition) bool {
	all := true
	for _, f := range fs {
		if !f.complete() {
			all = false
		} else if ends(until, f) {
			return true
		}
	}
	return all
}

// ends reports whether the completion of f meets the condition until by
// itself.
func ends[T any](until Condition, f *Future[T]) bool {
	failed := State(f.state.Load()) == Finished && f.err != nil
	return until == FirstCompleted || until == FirstError && failed
}

// waitAll waits until every future of fs is complete or ctx is done. It
// waits for the last one first: tasks mostly complete in the order they were
// submitted, so it usually blocks once, where waiting for each in turn may
// wake the caller once per future. It needs no callbacks, and so no
// allocation, unless ctx can be cancelled.
func waitAll[T any](ctx context.Context, fs []*Future[T]) error {
	for _, f := range slices.Backward(fs) {
		if !f.complete() {
			if err := f.wait(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// help runs the futures of fs that no worker has started, one at a time,
// until one meets the condition until, if ctx is that of a task of their
// pool: called from a task, Wait would otherwise wait for workers that may
// all be waiting too. It reports whether the condition is met.
func help[T any](ctx context.Context, fs []*Future[T], until Condition) bool {
	w := workerIn(ctx)
	if w == nil {
		return false
	}
	for _, f := range fs {
		if ctx.Err() != nil {
			return false
		}
		f.helpOn(w)
		if f.complete() && ends(until, f) {
			return true
		}
	}
	return false
}

// waitFor waits for completions until fs meet the condition or ctx is done.
// It removes from the futures what it registered on them before it returns,
// so that Wait called in a loop that times out runs in constant memory.
func waitFor[T any](ctx context.Context, fs []*Future[T], until Condition) error {
	// The channel has room for every future, so that a future completing
	// never blocks on it, even after Wait has returned.
	done := make(chan *Future[T], len(fs))
	for _, f := range fs {
		if !f.notify(done) {
			done <- f // complete already
		}
	}
	defer func() {
		for _, f := range fs {
			f.unnotify(done)
		}
	}()
	for range fs {
		select {
		case f := <-done:
			if ends(until, f) {
				return nil
			}
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}
