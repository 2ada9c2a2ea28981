// Package futuresvet defines an analyzer that reports the mistakes with
// github.com/go-futures/futures that compile and then hang: waits and
// submissions in a task that do not pass the task's own context, a group
// or a pool waited for by its own task, and a group never waited for.
package futuresvet

import (
	"fmt"
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

const futuresPath = "github.com/go-futures/futures"

// Analyzer is the futuresvet analyzer.
var Analyzer = &analysis.Analyzer{
	Name: "futuresvet",
	Doc: `report mistakes with github.com/go-futures/futures that compile and then hang

Inside a function given to a pool or a group (Submit, TrySubmit, Map,
MapSlice, Any, Group.Go, Group.TryGo), it reports:
  - a wait or a submission (Result, Wait, Submit, TrySubmit, Map, MapSlice,
    NewGroup, Any) with context.Background(), context.TODO() or a context
    from outside the function: only the task's own context, or one derived
    from it, lets the call run queued tasks in the task's place rather than
    deadlock the pool; and a range over AsCompleted, which waits with no
    context at all;
  - g.Wait or g.Shutdown in a task of the same group g, and Close, Shutdown
    or ShutdownNow of the pool in a task of that pool: they wait for
    themselves.
It also reports a Group that the function making it never waits for and
does not hand on: its failures would be lost.

A comment //futuresvet:ignore on the line of a call, or the line above it,
silences what the analyzer says of it.`,
	URL:      "https://pkg.go.dev/github.com/go-futures/futures/cmd/futuresvet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// A taskFunc is a function literal given to a pool or a group to run as a
// task.
type taskFunc struct {
	ctx  types.Object // its context parameter, or nil if it has no name
	exec types.Object // the pool or group it was given to, if a variable
	// group says exec is a group, to which the literal was given with
	// Go or TryGo, or as the executor of Submit and the others.
	group bool
}

func run(pass *analysis.Pass) (any, error) {
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	a := &analysis_{pass: pass, tasks: make(map[*ast.FuncLit]*taskFunc), defs: make(map[types.Object]ast.Expr)}
	a.ignored = ignoredLines(pass)

	// First the task literals and the definitions of local variables.
	ins.Preorder([]ast.Node{(*ast.CallExpr)(nil), (*ast.AssignStmt)(nil), (*ast.ValueSpec)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.CallExpr:
			a.findTasks(n)
		case *ast.AssignStmt:
			a.recordDefs(n.Lhs, n.Rhs)
		case *ast.ValueSpec:
			lhs := make([]ast.Expr, len(n.Names))
			for i, id := range n.Names {
				lhs[i] = id
			}
			a.recordDefs(lhs, n.Values)
		}
	})

	// Then the calls inside them, and the groups made.
	ins.WithStack([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if push {
			a.checkCall(n.(*ast.CallExpr), stack)
		}
		return true
	})
	return nil, nil
}

type analysis_ struct {
	pass  *analysis.Pass
	tasks map[*ast.FuncLit]*taskFunc
	// defs maps a local variable to the expression it was defined with:
	// for x, y := f(), both map to the call.
	defs    map[types.Object]ast.Expr
	ignored map[string]map[int]bool // file name, line
}

// callee returns the function or method of package futures that call calls,
// by name ("Submit", "Group.Go", "Future.Result"), or "".
func (a *analysis_) callee(call *ast.CallExpr) string {
	fn, _ := typeutil.Callee(a.pass.TypesInfo, call).(*types.Func)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != futuresPath {
		return ""
	}
	fn = fn.Origin()
	sig := fn.Type().(*types.Signature)
	if recv := sig.Recv(); recv != nil {
		t := recv.Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		if named, ok := t.(*types.Named); ok {
			return named.Obj().Name() + "." + fn.Name()
		}
		return ""
	}
	return fn.Name()
}

// findTasks records the function literals that call gives to a pool or a
// group to run.
func (a *analysis_) findTasks(call *ast.CallExpr) {
	name := a.callee(call)
	var fns []ast.Expr
	var exec ast.Expr
	group := false
	switch name {
	case "Submit", "TrySubmit":
		if len(call.Args) == 3 {
			exec, fns = call.Args[1], call.Args[2:]
		}
	case "Map", "MapSlice":
		if len(call.Args) >= 4 {
			exec, fns = call.Args[1], call.Args[3:4]
		}
	case "Any":
		if len(call.Args) >= 2 {
			exec, fns = call.Args[1], call.Args[2:]
		}
	case "Group.Go", "Group.TryGo":
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && len(call.Args) == 1 {
			exec, fns, group = sel.X, call.Args, true
		}
	default:
		return
	}
	var execObj types.Object
	if id, ok := ast.Unparen(exec).(*ast.Ident); ok {
		execObj = a.pass.TypesInfo.Uses[id]
		if !group && execObj != nil {
			group = isNamed(execObj.Type(), "Group")
		}
	}
	for _, fn := range fns {
		lit, ok := ast.Unparen(fn).(*ast.FuncLit)
		if !ok {
			continue
		}
		t := &taskFunc{exec: execObj, group: group}
		if params := lit.Type.Params.List; len(params) > 0 && len(params[0].Names) > 0 {
			t.ctx = a.pass.TypesInfo.Defs[params[0].Names[0]]
		}
		a.tasks[lit] = t
	}
}

// recordDefs records the variables of lhs defined or assigned by rhs.
func (a *analysis_) recordDefs(lhs, rhs []ast.Expr) {
	for i, l := range lhs {
		id, ok := l.(*ast.Ident)
		if !ok {
			continue
		}
		obj := a.pass.TypesInfo.Defs[id]
		if obj == nil {
			obj = a.pass.TypesInfo.Uses[id]
		}
		if obj == nil {
			continue
		}
		switch {
		case len(rhs) == len(lhs):
			a.defs[obj] = rhs[i]
		case len(rhs) == 1:
			a.defs[obj] = rhs[0]
		}
	}
}

// ctxArgs says which argument of a call by name is a context that must be
// a task's own when made in a task.
var ctxArgs = map[string]bool{
	"Submit": true, "TrySubmit": true, "Map": true, "MapSlice": true,
	"NewGroup": true, "Any": true, "Wait": true, "Future.Result": true,
}

func (a *analysis_) checkCall(call *ast.CallExpr, stack []ast.Node) {
	name := a.callee(call)
	if name == "" {
		return
	}
	task, direct := a.enclosingTask(stack)
	switch {
	case name == "NewGroup":
		a.checkGroupWaited(call, stack)
	}
	if task == nil {
		return
	}
	if name == "AsCompleted" {
		if r, ok := stack[len(stack)-2].(*ast.RangeStmt); ok && ast.Unparen(r.X) == call {
			a.report(call, "ranging over AsCompleted in a task waits without running the tasks it waits for, which may deadlock the pool: call Wait with the task's context and FirstCompleted in a loop instead")
		}
		return
	}
	if ctxArgs[name] && len(call.Args) > 0 {
		if what := a.foreignContext(call.Args[0], task, 0); what != "" {
			a.report(call, "%s with %s in a task: pass the task's own context, or one derived from it, so that it can run the tasks it waits for in the task's place rather than deadlock the pool",
				shortName(name), what)
		}
	}
	if _, ok := stack[len(stack)-2].(*ast.GoStmt); ok || !direct {
		// In a goroutine or a function of the task's own: it may well
		// run apart from the task.
		return
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	recv, ok := ast.Unparen(sel.X).(*ast.Ident)
	if !ok || task.exec == nil || a.pass.TypesInfo.Uses[recv] != task.exec {
		return
	}
	switch name {
	case "Group.Wait":
		if task.group {
			a.report(call, "%s.Wait in a task of %[1]s waits for itself: wait for the group outside its tasks", recv.Name)
		}
	case "Group.Shutdown":
		if task.group {
			a.report(call, "%s.Shutdown in a task of %[1]s would wait for itself (given the task's context, it returns an error at once): shut the group down outside its tasks", recv.Name)
		}
	case "Pool.Close", "Pool.Shutdown", "Pool.ShutdownNow":
		if !task.group {
			a.report(call, "%s.%s in a task of %[1]s would wait for itself (given the task's context, it returns an error at once): shut the pool down outside its tasks", recv.Name, sel.Sel.Name)
		}
	}
}

// enclosingTask returns the innermost task literal around the node at the
// top of stack, and whether no other function literal comes between them.
func (a *analysis_) enclosingTask(stack []ast.Node) (task *taskFunc, direct bool) {
	direct = true
	for i := len(stack) - 1; i >= 0; i-- {
		lit, ok := stack[i].(*ast.FuncLit)
		if !ok {
			continue
		}
		if t := a.tasks[lit]; t != nil {
			return t, direct
		}
		direct = false
	}
	return nil, false
}

// foreignContext describes ctx if it is not the context of task nor derived
// from it: context.Background(), context.TODO(), or a context from outside
// the task. It returns "" when ctx is the task's, derives from it, or cannot
// be told.
func (a *analysis_) foreignContext(ctx ast.Expr, task *taskFunc, depth int) string {
	if depth > 20 {
		return ""
	}
	switch e := ast.Unparen(ctx).(type) {
	case *ast.CallExpr:
		fn, _ := typeutil.Callee(a.pass.TypesInfo, e).(*types.Func)
		if fn == nil || fn.Pkg() == nil {
			return ""
		}
		switch {
		case fn.Pkg().Path() == "context" && (fn.Name() == "Background" || fn.Name() == "TODO"):
			return "context." + fn.Name() + "()"
		case fn.Pkg().Path() == "context" && strings.HasPrefix(fn.Name(), "With") && len(e.Args) > 0,
			fn.Pkg().Path() == futuresPath && fn.Name() == "NewGroup" && len(e.Args) > 0:
			return a.foreignContext(e.Args[0], task, depth+1)
		}
	case *ast.Ident:
		obj := a.pass.TypesInfo.Uses[e]
		if obj == nil || obj == task.ctx {
			return ""
		}
		if def, ok := a.defs[obj]; ok {
			if what := a.foreignContext(def, task, depth+1); what != "" || a.inside(obj, task) {
				return what
			}
		}
		if !a.inside(obj, task) && isContext(obj.Type()) {
			return fmt.Sprintf("a context from outside the task (%s)", e.Name)
		}
	}
	return ""
}

// inside reports whether obj is declared in the literal of task.
func (a *analysis_) inside(obj types.Object, task *taskFunc) bool {
	for lit, t := range a.tasks {
		if t == task {
			return lit.Pos() <= obj.Pos() && obj.Pos() < lit.End()
		}
	}
	return false
}

// checkGroupWaited reports a group made by call, assigned to a variable of
// the enclosing function, that the function never waits for (Wait or
// Shutdown) nor hands on.
func (a *analysis_) checkGroupWaited(call *ast.CallExpr, stack []ast.Node) {
	if len(stack) < 2 {
		return
	}
	if _, ok := stack[len(stack)-2].(*ast.ExprStmt); ok {
		a.report(call, "the group made here is never waited for: keep it, and call its Wait, or its failures are lost")
		return
	}
	assign, ok := stack[len(stack)-2].(*ast.AssignStmt)
	if !ok || len(assign.Lhs) == 0 || len(assign.Rhs) != 1 {
		return
	}
	id, ok := assign.Lhs[0].(*ast.Ident)
	if !ok {
		return
	}
	if id.Name == "_" {
		// Nothing can wait for it.
		a.report(call, "the group made here is never waited for: keep it, and call its Wait, or its failures are lost")
		return
	}
	g := a.pass.TypesInfo.Defs[id]
	if g == nil {
		g = a.pass.TypesInfo.Uses[id]
	}
	if g == nil {
		return
	}
	var body ast.Node
	for i := len(stack) - 1; i >= 0 && body == nil; i-- {
		switch f := stack[i].(type) {
		case *ast.FuncDecl:
			body = f.Body
		case *ast.FuncLit:
			body = f.Body
		}
	}
	if body == nil || g.Pos() < body.Pos() || g.Pos() >= body.End() {
		// A variable of the package, or of an enclosing function:
		// handed on, as far as we can tell.
		return
	}
	if !a.usesOnly(body, g, id) {
		return
	}
	a.report(call, "the group made here is never waited for: call %s.Wait, or its failures are lost and its tasks may outlive the function", id.Name)
}

// usesOnly reports whether every use of g in body, but def, adds a task to
// it (Go, TryGo, or as the executor of Submit and the others) and none waits
// for it or hands it on.
func (a *analysis_) usesOnly(body ast.Node, g types.Object, def *ast.Ident) bool {
	only := true
	ast.Inspect(body, func(n ast.Node) bool {
		if !only {
			return false
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok {
				if id, ok := ast.Unparen(sel.X).(*ast.Ident); ok && a.pass.TypesInfo.Uses[id] == g {
					switch a.callee(n) {
					case "Group.Go", "Group.TryGo":
						for _, arg := range n.Args {
							ast.Inspect(arg, func(m ast.Node) bool { return a.stillOnly(m, g, &only) })
						}
						return false
					default:
						only = false // Wait, Shutdown, or another method
						return false
					}
				}
			}
			switch a.callee(n) {
			case "Submit", "TrySubmit", "Map", "MapSlice", "Any":
				if len(n.Args) > 1 {
					if id, ok := ast.Unparen(n.Args[1]).(*ast.Ident); ok && a.pass.TypesInfo.Uses[id] == g {
						for i, arg := range n.Args {
							if i != 1 {
								ast.Inspect(arg, func(m ast.Node) bool { return a.stillOnly(m, g, &only) })
							}
						}
						return false
					}
				}
			}
		case *ast.Ident:
			if n != def && a.pass.TypesInfo.Uses[n] == g {
				only = false // handed on, or used in a way not known
			}
		}
		return true
	})
	return only
}

// stillOnly is usesOnly's inspection of the arguments of a call that adds a
// task to g.
func (a *analysis_) stillOnly(n ast.Node, g types.Object, only *bool) bool {
	if !*only {
		return false
	}
	if id, ok := n.(*ast.Ident); ok && a.pass.TypesInfo.Uses[id] == g {
		*only = false
	}
	return true
}

func (a *analysis_) report(call *ast.CallExpr, format string, args ...any) {
	pos := a.pass.Fset.Position(call.Pos())
	if lines := a.ignored[pos.Filename]; lines[pos.Line] || lines[pos.Line-1] {
		return
	}
	a.pass.Reportf(call.Pos(), format, args...)
}

// ignoredLines returns, by file, the lines with a //futuresvet:ignore
// comment.
func ignoredLines(pass *analysis.Pass) map[string]map[int]bool {
	m := make(map[string]map[int]bool)
	for _, f := range pass.Files {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if strings.HasPrefix(c.Text, "//futuresvet:ignore") {
					pos := pass.Fset.Position(c.Pos())
					if m[pos.Filename] == nil {
						m[pos.Filename] = make(map[int]bool)
					}
					m[pos.Filename][pos.Line] = true
				}
			}
		}
	}
	return m
}

func shortName(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func isContext(t types.Type) bool {
	named, ok := t.(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "context" && named.Obj().Name() == "Context"
}

// isNamed reports whether t is futures' named type name, or a pointer to it.
func isNamed(t types.Type, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == futuresPath && named.Obj().Name() == name
}
