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
// Wait starts no goroutine. A nil ctx or an unknown condition gets an error
// matching [ErrInvalidOption].
func Wait[T any](ctx context.Context, fs []*Future[T], until Condition) (done, pending []*Future[T], err error) {
	if ctx == nil {
		return nil, nil, errNilContext
	}
	if until < FirstCompleted || until > AllCompleted {
		return nil, nil, invalidf("Wait: unknown condition %v", until)
	}
	fs = distinct(fs)
	if !met(fs, until) {
		err = waitFor(ctx, fs, until)
	}
	for _, f := range fs {
		if f.complete() {
			done = append(done, f)
		} else {
			pending = append(pending, f)
		}
	}
	return done, pending, err
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

// waitFor waits for completions until fs meet the condition or ctx is done.
func waitFor[T any](ctx context.Context, fs []*Future[T], until Condition) error {
	// The channel has room for every future, so the callbacks never
	// block, even after Wait has returned.
	done := completions(slices.Clone(fs))
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
