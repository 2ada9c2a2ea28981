// Package futures is a stand-in for github.com/go-futures/futures with the
// same signatures, for the analyzer's tests.
package futures

import (
	"context"
	"iter"
)

type Executor interface{ pool() *Pool }

type Pool struct{}

func (p *Pool) pool() *Pool                           { return p }
func (p *Pool) Close() error                          { return nil }
func (p *Pool) Shutdown(ctx context.Context) error    { return nil }
func (p *Pool) ShutdownNow(ctx context.Context) error { return nil }

type Group struct{ p *Pool }

func (g *Group) pool() *Pool                                   { return g.p }
func (g *Group) Go(fn func(ctx context.Context) error)         {}
func (g *Group) TryGo(fn func(ctx context.Context) error) bool { return false }
func (g *Group) Wait() error                                   { return nil }
func (g *Group) Shutdown(ctx context.Context) error            { return nil }

func NewGroup(ctx context.Context, ex Executor) (*Group, context.Context) { return &Group{}, ctx }

type Future[T any] struct{}

func (f *Future[T]) Result(ctx context.Context) (T, error) {
	var zero T
	return zero, nil
}

func Submit[T any](ctx context.Context, ex Executor, fn func(context.Context) (T, error)) *Future[T] {
	return nil
}

func TrySubmit[T any](ctx context.Context, ex Executor, fn func(context.Context) (T, error)) (*Future[T], error) {
	return nil, nil
}

func Map[In, Out any](ctx context.Context, ex Executor, inputs iter.Seq[In], fn func(context.Context, In) (Out, error)) iter.Seq2[Out, error] {
	return nil
}

func MapSlice[In, Out any](ctx context.Context, ex Executor, inputs []In, fn func(context.Context, In) (Out, error)) ([]Out, error) {
	return nil, nil
}

func Any[T any](ctx context.Context, ex Executor, fns ...func(context.Context) (T, error)) (T, error) {
	var zero T
	return zero, nil
}

type WaitUntil int

func Wait[T any](ctx context.Context, fs []*Future[T], until WaitUntil) (done, pending []*Future[T], err error) {
	return nil, nil, nil
}

func AsCompleted[T any](fs ...*Future[T]) <-chan *Future[T] { return nil }
