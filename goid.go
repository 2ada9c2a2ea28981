package futures

import (
	"bytes"
	"runtime"
)

// goid returns the ID of the calling goroutine, as runtime.Stack prints it in
// the first line of a trace ("goroutine 18 [running]:"), or 0 if that line
// cannot be read. It costs about a microsecond, more on a deep stack: it is
// called where a task's goroutine is about to run a task in its place, never
// per task.
//
// The pool needs to tell the goroutine that runs a task from those the task
// started with its context, which hold the same context: only the first may
// lend the task's place to another task, and only while it waits, for the
// task itself does not run then (see help.go). Go gives goroutines no
// identity but this one.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
