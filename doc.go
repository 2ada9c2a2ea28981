// Package futures runs functions on a fixed pool of goroutines and hands
// back their results as typed futures, in the manner of Python's
// concurrent.futures.ThreadPoolExecutor.
//
// A [Pool] is a bounded set of worker goroutines fed by a queue. [Submit]
// queues a function and returns a [Future] that completes with its value, its
// error, or its recovered panic. [Map] runs a function over an [iter.Seq] and
// yields the results in input order, with a bound on the work in flight;
// [AsCompleted] delivers futures as they complete, and [Wait] waits for the
// first, the first failed, or all of them. A [Group], made by [NewGroup],
// runs a batch on a pool and returns its first error, as errgroup does, and
// [Any] returns the first success of several functions.
//
// Go methods cannot have type parameters, so Submit, Map, AsCompleted, Wait
// and Any are functions that take an [Executor] (a *Pool or a *Group) or
// futures, while Shutdown and the rest are methods.
//
// # Quick start
//
//	pool, err := futures.New(futures.WithWorkers(8))
//	if err != nil {
//		return err
//	}
//	defer pool.Close()
//
//	f := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
//		return len("hello"), nil
//	})
//	n, err := f.Result(ctx) // 5, nil
//
// # Stop at the first error
//
//	g, _ := futures.NewGroup(ctx, pool, futures.WithLimit(4))
//	pages := make([]string, len(urls))
//	for i, url := range urls {
//		g.Go(func(ctx context.Context) (err error) {
//			pages[i], err = fetch(ctx, url)
//			return err
//		})
//	}
//	err := g.Wait() // the first failure
//
// The first task to fail cancels the group's context, with its error as the
// cause: every task of the group sees it, and the group's tasks not yet
// started never run. [WithLimit] runs at most n tasks of the group at once,
// on a pool shared with the rest of the program. [Group.Go] never waits: it
// holds the tasks beyond the limit, or beyond the queue's room, until a slot
// and a worker are free, so tasks may add tasks to their own group to any
// depth. Futures submitted to the group belong to it. See [Group].
//
// # Lifetime
//
// [New] makes a pool and starts no goroutine: workers start as tasks
// arrive, up to the number [WithWorkers] sets, and live until the pool is
// shut down.
// [Pool.Shutdown] refuses new work, lets queued work finish and waits for the
// workers to exit; [Pool.ShutdownNow] cancels the queued work instead of
// running it; [Pool.Close] is Shutdown without a deadline, for defer. A pool
// that is not shut down keeps its goroutines.
//
// A task receives the context given to Submit: cancelling it is how to stop a
// running task, since nothing else interrupts one. A task whose context is
// done before a worker starts it does not run.
//
// # Errors and panics
//
// A task's error is its future's error. A task that panics completes its
// future with a [*PanicError] holding the value and the stack; one that calls
// [runtime.Goexit] completes it with [ErrGoexit]; in both cases the pool keeps
// all its workers. A future that completes without its task running has an
// error matching [ErrCancelled] (cancelled, or its context ended),
// [ErrShutdown] (refused after shutdown), [ErrBroken] (the initializer
// failed) or [ErrInvalidOption] (a nil function, executor or context). No
// function or method of this package panics on bad input: a nil or zero
// [Pool] and a nil [Future] give errors matching ErrInvalidOption too, and a
// nil ctx given to Shutdown, ShutdownNow or Result is reported, not used.
//
// # Ordering
//
// Workers take tasks in the order they were queued (a task that waits for
// another may run it out of turn, see below); tasks finish in any order.
// Map yields in input order; AsCompleted in completion order. The return of a
// task happens before its future's Done channel is closed, before Result
// returns its value, and before its callbacks run.
//
// # Guarantees
//
// Every future that Submit or TrySubmit returns, and every task of a Map,
// completes exactly once, whatever happens: a result, an error, a panic,
// Goexit, Cancel, an ended context, Shutdown, ShutdownNow or a broken pool.
// Its callbacks each run once, even if one of them panics or calls
// runtime.Goexit. A task runs at most once, and never after its future was
// cancelled. A panicking callback is reported, not lost (see
// [WithCallbackPanicHandler]).
//
// At most n tasks run at once on a pool of n workers, and n do run at once
// when n or more are waiting; a task that waits for another may run it in
// its place, as below. Two cases run one task more each, for as long as they
// last: a waiting call that gives up at its deadline leaves the task it ran
// in its place running, until that task returns; and a goroutine that a
// running task started with its context, waiting for a task of the pool,
// runs it in the task's place while the task itself runs on. At any moment,
// at most one task reports a given [WorkerIndex]: a task run in another's
// place reports none.
//
// A task may submit to its own pool and wait for the results, to any depth, on
// any pool, including one worker with a queue of 0, without deadlock,
// provided it passes its own context (or one derived from it) to [Submit],
// [Future.Result], [Wait] and [Map]. That context tells the pool that the
// caller is a task of its own, which holds a worker's place: Submit runs the
// new task at once in that place if the queue is full, and Result and Wait
// take a task still queued out of the queue and run it in that place instead
// of waiting for a worker. The task runs on a new goroutine, so that
// runtime.Goexit in it ends only itself, while the waiting task waits. A
// place holds one task at a time: goroutines that a task starts with its
// context share its place and take turns, so that a task that waits for them
// (with a sync.WaitGroup, say) while they wait for tasks of the pool cannot
// deadlock it either. Once the task has returned, its context lends nothing. Each level of nesting costs the same: a goroutine,
// about 4 KiB of stack, and about 400 bytes of allocations.
//
// A waiting call whose context is done returns its cause at once and runs
// nothing; one whose deadline passes while the task it runs is not done
// returns then, and the task goes on in the place it was lent. Until that
// task returns, the pool runs one task more than it has workers; the worker
// whose task's place it holds takes no other task before then, and Shutdown
// waits for it. A task still queued when [Pool.ShutdownNow] begins, or when the
// pool breaks, never runs, whoever would have run it.
//
// A group's [Group.Wait] returns once every task of the group is complete,
// and no failure of the group is lost. [Group.Go] never waits and never runs
// its task on the caller's goroutine, so tasks that add tasks to their own
// group cannot deadlock the pool, even one of one worker with a queue of 0.
// A group made in a task, with the task's context, is waited for as Result
// waits from a task: its own queued tasks run in the waiter's place, and no
// others.
//
// Once a task has completed, the pool holds neither its function nor its
// result: the future alone holds the result. Once Shutdown has returned nil,
// no goroutine of the pool is left.
//
// What can still block: a task waiting for something the pool does not know
// about (a channel or lock of its own, a future of another pool), or passing
// [context.Background] rather than its own context to Submit or Result;
// receiving from [AsCompleted], which cannot run the tasks it waits for; a
// slow OnDone callback, which holds up the worker that runs it; and
// [Pool.Close], or Shutdown with a context unrelated to the task, called from
// a task of the same pool, which waits for itself.
//
// # From Python
//
//	ThreadPoolExecutor(max_workers=n)      futures.New(futures.WithWorkers(n))
//	executor.submit(fn)                    futures.Submit(ctx, pool, fn)
//	future.result(timeout=t)               f.Result(ctx) with context.WithTimeout
//	future.exception()                     f.Err()
//	future.cancel()                        f.Cancel()
//	future.add_done_callback(fn)           f.OnDone(fn)
//	executor.map(fn, items)                futures.Map(ctx, pool, slices.Values(items), fn)
//	as_completed(fs)                       futures.AsCompleted(fs...)
//	wait(fs, return_when=FIRST_COMPLETED)  futures.Wait(ctx, fs, futures.FirstCompleted)
//	executor.shutdown(wait=True)           pool.Shutdown(ctx)
//	shutdown(cancel_futures=True)          pool.ShutdownNow(ctx)
//	with ThreadPoolExecutor() as ex:       pool, err := futures.New(); defer pool.Close()
//	async with asyncio.TaskGroup() as tg:  g, ctx := futures.NewGroup(ctx, pool); ...; err := g.Wait()
//	tg.create_task(coro)                   g.Go(fn), or futures.Submit(ctx, g, fn) for a future
package futures
