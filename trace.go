package futures

import (
	"context"
	"runtime/trace"
)

// Execution traces. While runtime/trace records one, each task runs in a
// trace region named after its pool (WithName), a submission logs an event
// ("futures", the pool's name) under the submitter's context, and a Group
// and each iteration of a Map are trace tasks, "futures.Group" and
// "futures.Map", that their tasks' regions and events belong to: so the
// trace shows, task by task, when each was submitted and when it ran. With
// no trace recording, all this costs one check per task.

// startTask runs t on w, as t.start does, in a trace region while a trace
// is recorded.
func startTask(w *worker, t task) bool {
	if trace.IsEnabled() {
		return startTraced(w, t)
	}
	return t.start(w)
}

func startTraced(w *worker, t task) bool {
	defer trace.StartRegion(t.context(), w.pool.name).End()
	return t.start(w)
}

// traceSubmit logs the submission of a task to p with ctx while a trace is
// recorded.
func traceSubmit(ctx context.Context, p *Pool) {
	if trace.IsEnabled() {
		trace.Log(ctx, "futures", p.name)
	}
}

// traceTask returns ctx, or, while a trace is recorded, a context with a new
// trace task of the given name, and the task, to be ended; end is nil if
// there is none.
func traceTask(ctx context.Context, name string) (_ context.Context, end func()) {
	if !trace.IsEnabled() || ctx == nil {
		return ctx, nil
	}
	ctx, t := trace.NewTask(ctx, name)
	return ctx, t.End
}
