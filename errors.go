package futures

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrShutdown is the error of a submission made after [Pool.Shutdown] or
// [Pool.ShutdownNow] was called, or while a submission waited for room in the
// queue when the shutdown began; and, with [ErrCancelled], of the futures that
// ShutdownNow cancels. A pool whose initializer failed refuses submissions
// with an error matching [ErrBroken] instead, shut down or not; but an
// initializer that fails once ShutdownNow has begun does not break the pool.
var ErrShutdown = errors.New("futures: executor is shut down")

// ErrCancelled matches the error of a future cancelled before its task
// started: by [Future.Cancel]; by [Pool.ShutdownNow] (the error then matches
// [ErrShutdown] too); or because the context given to [Submit] was done
// before a worker started the task, or while Submit waited for room in the
// queue (the error then matches [context.Cause] of that context too). Such a
// future is in state [Cancelled], and so is no other.
//
// A submission that the pool refuses does not match ErrCancelled, though its
// task never runs either: its future is in state [Finished], with an error
// matching [ErrShutdown], [ErrBroken] or [ErrInvalidOption].
var ErrCancelled = errors.New("futures: cancelled")

// ErrQueueFull is returned by [TrySubmit] when the pool's queue has no room.
var ErrQueueFull = errors.New("futures: queue is full")

// ErrBroken matches the error of every submission to a pool whose initializer
// (see [WithInitializer]) failed, and of every task that was still queued when
// it failed. The same error also matches the initializer's error, or
// [ErrGoexit] if the initializer called runtime.Goexit. An initializer that
// fails once [Pool.ShutdownNow] has begun, and so cancelled its context, does
// not break the pool: it is being shut down, and its errors match
// [ErrShutdown].
var ErrBroken = errors.New("futures: pool is broken")

// ErrInvalidOption matches the error returned for an option out of range
// (see [New] and [Map]), for a nil argument that cannot be used (a nil
// executor, function or context), and by the methods of a [Pool] not made by
// New and of a nil [Future].
var ErrInvalidOption = errors.New("futures: invalid option")

// ErrGoexit is the error of a future whose task called [runtime.Goexit]
// (as t.FailNow does in a test). The worker that ran it is replaced.
var ErrGoexit = errors.New("futures: task called runtime.Goexit")

// A PanicError is the error of a future whose task panicked, and what the
// handler of [WithCallbackPanicHandler] receives for a panicking callback.
// A panic is told from [runtime.Goexit] by more than the value recovered, so
// that panic(nil) is a panic even under GODEBUG=panicnil=1.
type PanicError struct {
	// Value is the value passed to panic. For panic(nil) it is a
	// [*runtime.PanicNilError], or nil under GODEBUG=panicnil=1.
	Value any
	// Stack is the stack trace of the panicking goroutine, taken when the
	// panic was recovered.
	Stack []byte
}

func newPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// Error reports the panic value. The stack is left out to keep the message on
// one line; it is in e.Stack. A nil *PanicError says so.
func (e *PanicError) Error() string {
	if e == nil {
		return "futures: nil *PanicError"
	}
	return fmt.Sprintf("futures: task panicked: %v", e.Value)
}

// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through the panic, and nil otherwise.
func (e *PanicError) Unwrap() error {
	if e == nil {
		return nil
	}
	err, _ := e.Value.(error)
	return err
}

// invalidError is an argument or option error. It matches ErrInvalidOption
// while keeping a message that names the argument at fault.
type invalidError struct {
	msg string
}

func invalidf(format string, args ...any) error {
	return &invalidError{msg: "futures: " + fmt.Sprintf(format, args...)}
}

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalidOption }

var (
	errNilExecutor = invalidf("nil Executor")
	errNilPool     = invalidf("nil *Pool")
	errZeroPool    = invalidf("zero Pool: make a Pool with New")
	errNilFuture   = invalidf("nil *Future")
	errNilFunc     = invalidf("nil task function")
	errNilContext  = invalidf("nil Context")
	errNilGroup    = invalidf("nil *Group")
	errZeroGroup   = invalidf("zero Group: make a Group with NewGroup")
)

// multiError is an error with its own message that matches each of errs.
type multiError struct {
	msg  string
	errs []error
}

func (e *multiError) Error() string   { return e.msg }
func (e *multiError) Unwrap() []error { return e.errs }

// errShutdownNow is the error of the futures that ShutdownNow cancels.
var errShutdownNow error = &multiError{
	msg:  "futures: cancelled by ShutdownNow",
	errs: []error{ErrCancelled, ErrShutdown},
}

// errGroupDone is the error of a task given to a group that takes no more:
// its Wait has returned, or its Shutdown was called.
var errGroupDone error = &multiError{
	msg:  "futures: group takes no more tasks: Wait has returned or Shutdown was called",
	errs: []error{ErrShutdown},
}

// cancelledBy returns the error of a future whose task did not run because
// its context ended with cause.
func cancelledBy(cause error) error {
	return &multiError{msg: "futures: cancelled: " + cause.Error(), errs: []error{ErrCancelled, cause}}
}

// brokenBy returns the error of a pool whose initializer failed with err.
func brokenBy(err error) error {
	return &multiError{msg: "futures: pool is broken: initializer failed: " + err.Error(), errs: []error{ErrBroken, err}}
}
