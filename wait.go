package futures

import (
	"context"
	"errors"
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
// the task's context runs the tasks still queued in the calling task's place,
// one at a time, checking the condition after each, so that it cannot
// deadlock the pool; a done ctx runs nothing, and a deadline bounds it. From
// a task, given another context, it only waits: the futuresvet analyzer
// (github.com/go-futures/futures/cmd/futuresvet) reports that. A nil ctx or
// an unknown condition gets an error matching [ErrInvalidOption].
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
	case ctx.Err() != nil:
		err = context.Cause(ctx)
	case until == AllCompleted:
		err = waitAll(ctx, fs)
	default:
		err = waitFirst(ctx, fs, until)
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
	failed := State(f.ctx.state.Load()) == Finished && f.err != nil
	return until == FirstCompleted || until == FirstError && failed
}

// waitAll waits until every future of fs is complete or ctx is done. Called
// from a task, it waits for each in turn, which runs those still queued (see
// help.go). Otherwise it waits for the last one first: tasks mostly complete
// in the order they were submitted, so it usually blocks once, where waiting
// for each in turn may wake the caller once per future. It needs no
// callbacks, and so no allocation, unless ctx can be cancelled.
func waitAll[T any](ctx context.Context, fs []*Future[T]) error {
	order := slices.Backward(fs)
	if _, w := taskIn(ctx); w != nil {
		order = slices.All(fs)
	}
	for _, f := range order {
		if !f.complete() {
			if err := f.wait(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitFirst waits until fs meet the condition until, FirstCompleted or
// FirstError, or ctx is done. Called from a task, it runs the futures of the
// task's pool that are still queued, one at a time, until the condition
// holds (see help.go).
func waitFirst[T any](ctx context.Context, fs []*Future[T], until Condition) error {
	c, w := taskIn(ctx)
	for {
		if met(fs, until) {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		ran, lent := false, false
		for _, f := range fs {
			if w == nil || f.p != w.pool || !f.pending() {
				continue
			}
			r, err := help(ctx, c, w, f)
			if err != nil {
				return err
			}
			if r == helped {
				ran = true
				break
			}
			lent = lent || r == placeLent
		}
		if ran {
			continue
		}
		// Nothing to run now. If the task's place is lent to another
		// goroutine with its context, wait for it to be given back as
		// well, to run what is still queued then.
		if err := waitOrFreed(ctx, fs, until, c, w, lent); err != errRetry {
			return err
		}
	}
}

// waitOrFreed waits as waitFor does; if lent, also until the place of the
// task whose context is c, on w, is free again, and then returns errRetry
// for the caller to look for queued tasks to run once more.
func waitOrFreed[T any](ctx context.Context, fs []*Future[T], until Condition, c *taskContext, w *worker, lent bool) error {
	var freed <-chan struct{}
	if lent {
		if freed = w.watchFor(c); freed == nil {
			return errRetry
		}
		defer w.unwatchPlace()
	}
	return waitFor(ctx, fs, until, freed)
}

// errRetry is what waitFor returns when woken by its wake argument.
var errRetry = errors.New("futures: retry")

// waitFor waits for completions until fs meet the condition, ctx is done, or
// wake (which may be nil) is closed; then it returns errRetry. It removes
// from the futures what it registered on them before it returns, so that
// Wait called in a loop that times out runs in constant memory.
func waitFor[T any](ctx context.Context, fs []*Future[T], until Condition, wake <-chan struct{}) error {
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
		case <-wake:
			return errRetry
		}
	}
	return nil
}
