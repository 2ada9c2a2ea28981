package futures

import (
	"context"
	"errors"
	"iter"
	"slices"
)

// Map runs fn on ex for each of inputs and yields the results in input order,
// one (value, error) pair per input, whatever order the tasks finish in.
//
// Map is lazy: it reads no input until the caller ranges over the result,
// and then keeps at most the buffer's worth of tasks submitted and not yet
// yielded (see [WithBuffer]; by default twice the pool's workers), so an
// endless input runs in bounded memory. The tasks get ctx.
//
// An error or panic in one task is yielded at that task's position, and the
// iteration goes on; break out of the loop to stop. Breaking out cancels
// every submitted task that has not started (it never runs); running tasks
// finish and their results are dropped. Map leaves no goroutine behind.
//
// When ctx is done, Map stops reading input, cancels the tasks that have not
// started, yields [context.Cause] of ctx once, in place of the next result,
// and ends. If the pool is shut down, Map yields the submission's error
// ([ErrShutdown] or [ErrBroken]) at the first position it could not submit,
// after the results before it, and ends; so over an empty input it yields
// nothing, even then. An invalid option, a nil ctx, ex, inputs or fn, or a
// Pool not made by [New] gets one error matching [ErrInvalidOption] and the
// end.
//
// Called from inside a task of the pool with the task's context, Map submits
// and waits as [Submit] and [Future.Result] do from a task, so it cannot
// deadlock the pool, and ctx's deadline bounds it all the same.
func Map[In, Out any](ctx context.Context, ex Executor, inputs iter.Seq[In],
	fn func(context.Context, In) (Out, error), opts ...MapOption) iter.Seq2[Out, error] {
	return func(yield func(Out, error) bool) {
		ctx, end := traceTask(ctx, "futures.Map")
		if end != nil {
			defer end()
		}
		m, err := newMapper(ctx, ex, inputs, fn, opts)
		if err != nil {
			var zero Out
			yield(zero, err)
			return
		}
		m.run(inputs, yield)
	}
}

// mapper is the state of one iteration of a Map.
type mapper[In, Out any] struct {
	ctx context.Context
	// tctx is the context of the tasks: ctx, or on a group, one that is
	// also done when the group's is (see Group.taskContext): then merged,
	// of which the mapper holds a reference until it ends, and each task
	// one until it completes.
	tctx   context.Context
	merged *mergedContext
	p      *Pool
	g      *Group // the group the tasks belong to, or nil
	fn     func(context.Context, In) (Out, error)

	// ring holds the futures submitted and not yet yielded, oldest at
	// head. It grows as needed up to buffer.
	ring   []*Future[Out]
	head   int
	count  int
	buffer int
}

func newMapper[In, Out any](ctx context.Context, ex Executor, inputs iter.Seq[In],
	fn func(context.Context, In) (Out, error), opts []MapOption) (*mapper[In, Out], error) {
	p, g, err := executorOf(ex)
	if err != nil {
		if ctx == nil {
			return nil, errNilContext
		}
		return nil, err
	}
	o, err := mapOptionsOf(ctx, p, inputs, fn, opts)
	if err != nil {
		if g != nil {
			g.failInvalid(err)
		}
		return nil, err
	}
	// A pool that is shut down refuses the first submission, if there is
	// one: run yields its error then. An empty input yields nothing.
	tctx, merged := g.taskContext(ctx)
	return &mapper[In, Out]{ctx: ctx, tctx: tctx, merged: merged, p: p, g: g, fn: fn, buffer: o.buffer}, nil
}

// mapOptionsOf returns the options of a Map on p, or the error of an invalid
// one.
func mapOptionsOf[In, Out any](ctx context.Context, p *Pool, inputs iter.Seq[In],
	fn func(context.Context, In) (Out, error), opts []MapOption) (mapOptions, error) {
	o := mapOptions{buffer: 2 * p.queue.max}
	switch {
	case ctx == nil:
		return o, errNilContext
	case inputs == nil:
		return o, invalidf("Map: nil input sequence")
	case fn == nil:
		return o, errNilFunc
	}
	for _, opt := range opts {
		if opt == nil {
			return o, invalidf("nil MapOption")
		}
		opt.applyMap(&o)
	}
	if o.buffer < 1 {
		return o, invalidf("WithBuffer(%d): need a buffer of at least 1", o.buffer)
	}
	return o, nil
}

func (m *mapper[In, Out]) run(inputs iter.Seq[In], yield func(Out, error) bool) {
	defer m.cancel()
	if m.merged != nil {
		defer m.merged.release()
	}
	if m.ctx.Err() != nil {
		var zero Out
		yield(zero, context.Cause(m.ctx))
		return
	}
	for in := range inputs {
		refused := m.submit(in)
		if m.count == m.buffer || refused {
			if !m.next(yield) {
				return
			}
		}
		if refused {
			// Yield what came before the refusal, then the refusal.
			for m.count > 0 {
				if !m.next(yield) {
					return
				}
			}
			return
		}
		if m.ctx.Err() != nil {
			// Read no more input; the next wait yields the cause.
			break
		}
	}
	for m.count > 0 {
		if !m.next(yield) {
			return
		}
	}
}

// submit submits the task for in and reports whether the pool refused it.
func (m *mapper[In, Out]) submit(in In) (refused bool) {
	// The item belongs to the group only if the group takes it: a future
	// of a group counts itself out of it as it completes.
	g := m.g
	if g != nil && !g.add() {
		g = nil
	}
	it := &mapItem[In, Out]{
		Future: Future[Out]{p: m.p, ctx: newTaskContext(m.tctx, g)},
		in:     in,
		fn:     m.fn,
	}
	it.body = it
	f := &it.Future
	if m.merged != nil {
		m.merged.refs.Add(1)
		f.flags.Store(merged)
	}
	if m.g != nil && g == nil {
		// The group is closed: this is its refusal.
		f.err = errGroupDone
		f.finish(Finished)
		refused = true
	} else {
		refused = m.p.submit(m.ctx, f)
	}
	if m.count == len(m.ring) {
		m.grow()
	}
	m.ring[(m.head+m.count)%len(m.ring)] = f
	m.count++
	return refused
}

// grow makes room in the ring for one more future: a buffer costs memory in
// proportion to the futures in it, not to its size.
func (m *mapper[In, Out]) grow() {
	n := min(max(2*len(m.ring), 8), m.buffer)
	ring := make([]*Future[Out], n)
	for i := range m.count {
		ring[i] = m.ring[(m.head+i)%len(m.ring)]
	}
	m.ring, m.head = ring, 0
}

// next waits for the oldest future and yields its result, or the cause of
// ctx if ctx ends first. It reports whether to go on.
func (m *mapper[In, Out]) next(yield func(Out, error) bool) bool {
	f := m.ring[m.head]
	m.ring[m.head] = nil
	m.head = (m.head + 1) % len(m.ring)
	m.count--
	if !f.complete() {
		_ = f.wait(m.ctx) // ctx is not nil: its error is ctx's, seen below
	}
	if m.ctx.Err() != nil {
		// Gave up waiting, the task was cancelled because ctx ended, or
		// ctx ended while the caller had the last result: the cause
		// comes next, whenever the task finished.
		f.Cancel()
		var zero Out
		yield(zero, context.Cause(m.ctx))
		return false
	}
	return yield(f.val, f.err)
}

// A mapItem is one task of a Map: its future and its input in one
// allocation.
type mapItem[In, Out any] struct {
	Future[Out]
	in In
	fn func(context.Context, In) (Out, error)
}

func (it *mapItem[In, Out]) call(ctx context.Context) (Out, error) { return it.fn(ctx, it.in) }

// cancel cancels the futures not yet yielded.
func (m *mapper[In, Out]) cancel() {
	for ; m.count > 0; m.count-- {
		m.ring[m.head].Cancel()
		m.ring[m.head] = nil
		m.head = (m.head + 1) % len(m.ring)
	}
}

// MapSlice runs fn on ex for every element of inputs and returns the results
// at their inputs' positions, once all are done. Its error joins (see
// [errors.Join]) the errors of the tasks that failed, in input order; where a
// task failed, its result is the value it returned alongside the error (for a
// panic, the zero value). If ctx is done first, or the pool refuses the work,
// MapSlice stops as [Map] does and that error is joined too; the results not
// reached are zero, and tasks still running finish on their own.
func MapSlice[In, Out any](ctx context.Context, ex Executor, inputs []In,
	fn func(context.Context, In) (Out, error), opts ...MapOption) ([]Out, error) {
	out := make([]Out, len(inputs))
	var errs []error
	i := 0
	for v, err := range Map(ctx, ex, slices.Values(inputs), fn, opts...) {
		if i < len(out) {
			out[i] = v
		}
		if err != nil {
			errs = append(errs, err)
		}
		i++
	}
	return out, errors.Join(errs...)
}
