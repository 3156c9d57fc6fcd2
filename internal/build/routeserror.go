package build

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/coworks-go/coworks"
)

// RoutesError is a function that fails before serving: run with CWS_ROUTES=1 to list its routes, it
// panicked (coworks.New refusing a method, for one) or exited with an error. It would fail the same way
// in Lambda, so the build fails instead of deploying it with catch-all routes.
type RoutesError struct {
	// Panic is the runtime's report, "panic: ..." or "fatal error: ...", possibly several lines; "" when
	// the function exited without panicking.
	Panic string
	// Location is the file:line where the panic left the user's code: the first frame of the panicking
	// goroutine in the project's module outside the CoWorks framework (else the first outside the Go
	// runtime), relative to the project directory when it lies there. "" when unknown.
	Location string
	// Func is the function of that frame, such as "main.main".
	Func string
	// Status is the exit status, -1 when a signal killed the function.
	Status int
	// Output is the end of what the function printed on standard error when it did not panic.
	Output string
}

func (e *RoutesError) Error() string {
	var b strings.Builder
	switch {
	case e.Panic != "":
		b.WriteString("the function cannot start: it panicked while listing its routes (CWS_ROUTES=1)")
		b.WriteString(indent(e.Panic))
		if e.Location != "" {
			fmt.Fprintf(&b, "\n  at %s (%s)", e.Location, e.Func)
		}
	case e.Status < 0:
		b.WriteString("the function cannot start: it was killed by a signal while listing its routes (CWS_ROUTES=1)")
		b.WriteString(indent(e.Output))
	default:
		fmt.Fprintf(&b, "the function cannot start: it exited with status %d while listing its routes (CWS_ROUTES=1)", e.Status)
		b.WriteString(indent(e.Output))
	}
	return b.String()
}

// indent puts each line of s on its own line after two spaces; "" stays "".
func indent(s string) string {
	if s == "" {
		return ""
	}
	return "\n  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// frameworkPkg is the import path of the CoWorks framework, whose frames a panic location skips.
var frameworkPkg = reflect.TypeFor[coworks.Route]().PkgPath()

// maxOutputLines is how much of a failed function's standard error a RoutesError keeps.
const maxOutputLines = 10

// routesError describes the failed route table run of the project's function from its exit and stderr.
func routesError(proj project, exit *exec.ExitError, stderr string) *RoutesError {
	e := &RoutesError{Status: exit.ExitCode()}
	lines := strings.Split(strings.ReplaceAll(stderr, "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			start = i
			break
		}
	}
	if start < 0 {
		var kept []string
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				kept = append(kept, strings.TrimRight(l, " \t"))
			}
		}
		e.Output = strings.Join(kept[max(0, len(kept)-maxOutputLines):], "\n")
		return e
	}
	end := start + 1
	for end < len(lines) && lines[end] != "" && !strings.HasPrefix(lines[end], "goroutine ") {
		end++
	}
	e.Panic = strings.Join(lines[start:end], "\n")
	e.Func, e.Location = panicFrame(proj, lines[end:])
	return e
}

// panicFrame picks the frame of a goroutine trace that locates a panic for the user (see
// RoutesError.Location) and returns its function and file:line. Each frame of the trace is two lines,
// "pkg.Func(args)" then "\tfile:line +0x..."; -trimpath builds print files as module path plus file.
func panicFrame(proj project, trace []string) (fn, location string) {
	type frame struct{ fn, file string }
	var frames []frame
	for i := 0; i+1 < len(trace); i++ {
		call, at := trace[i], trace[i+1]
		if !strings.HasPrefix(at, "\t") || strings.HasPrefix(call, "\t") || strings.HasPrefix(call, "goroutine ") {
			continue
		}
		name := strings.TrimPrefix(call, "created by ")
		if j := strings.LastIndexByte(name, '('); j > 0 && strings.HasSuffix(name, ")") {
			name = name[:j]
		}
		if j := strings.Index(name, " in goroutine "); j > 0 {
			name = name[:j]
		}
		file, _, _ := strings.Cut(strings.TrimSpace(at), " +0x")
		frames = append(frames, frame{name, file})
		i++
	}
	inModule := func(f frame) bool { return proj.modulePath != "" && strings.HasPrefix(f.file, proj.modulePath+"/") }
	pick := -1
	for i, f := range frames {
		pkg := funcPackage(f.fn)
		if pkg == frameworkPkg || pkg == "runtime" || strings.HasPrefix(pkg, "runtime/") || f.fn == "panic" {
			continue
		}
		if inModule(f) {
			pick = i
			break
		}
		if pick < 0 {
			pick = i
		}
	}
	if pick < 0 {
		return "", ""
	}
	f := frames[pick]
	if !inModule(f) {
		return f.fn, f.file
	}
	file, line, _ := strings.Cut(strings.TrimPrefix(f.file, proj.modulePath+"/"), ":")
	abs := filepath.Join(proj.moduleRoot, filepath.FromSlash(file))
	if rel, err := filepath.Rel(proj.dir, abs); err == nil && !strings.HasPrefix(rel, "..") {
		abs = rel
	}
	return f.fn, abs + ":" + line
}

// funcPackage returns the import path of a function named as in a goroutine trace:
// "github.com/a/b.(*T).M" gives "github.com/a/b", "main.main" gives "main".
func funcPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}
