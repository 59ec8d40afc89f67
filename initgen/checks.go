package initgen

import (
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// ServiceCheck is what init and import check of a service image before it
// is exported, so that no service that cannot start is shipped: its
// program exists and is executable on the image's PATH (the check that
// catches seed 001's `exec: "pytest": executable file not found`), the
// module it serves imports, and, when its port is known, it answers.
type ServiceCheck struct {
	// Program is argv[0] of the image's entrypoint (or cmd).
	Program string
	// Import is a module the image must import without the test deps, or "".
	Import string
	// Smoke starts the service and waits for it, or nil.
	Smoke *Smoke
}

// Smoke is a smoke check: the service answers on a port.
type Smoke struct {
	// PortEnv is the env var the service reads its port from; stagebuild
	// allocates a port per run. Else Port is the port it listens on.
	PortEnv, Port string
	// HTTPPath is the path to GET ("/" or a health route); "" probes TCP.
	HTTPPath string
	// Why says where the port and path come from.
	Why string
}

// ServiceChecks is the check of a service whose image runs entrypoint
// (or cmd when entrypoint is nil), or nil when it runs nothing.
func ServiceChecks(entrypoint, cmd *Command) *ServiceCheck {
	c := entrypoint
	if c == nil {
		c = cmd
	}
	if c == nil || len(c.Args) == 0 {
		return nil
	}
	prog := c.Args[0]
	if c.Shell {
		prog = shellProgram(c.Args[0])
	}
	if prog == "" {
		return nil
	}
	return &ServiceCheck{Program: prog}
}

// shellProgram is the program a shell command runs first, or "" when it is
// not a plain word.
func shellProgram(s string) string {
	words := strings.Fields(s)
	for len(words) > 0 && (words[0] == "exec" || strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "=")) {
		words = words[1:]
	}
	if len(words) == 0 || strings.ContainsAny(words[0], "$`'\"\\;&|<>(){}*?") {
		return ""
	}
	return words[0]
}

// ProgramCommand is the shell command that succeeds when prog exists and
// is executable, on the PATH when it has no slash.
func ProgramCommand(prog string) string {
	if strings.Contains(prog, "/") {
		return "test -f " + shellWord(prog) + " && test -x " + shellWord(prog)
	}
	return `p="$(command -v ` + shellWord(prog) + `)" && test -f "$p" && test -x "$p"`
}

// Write writes the checks: key of the service stage at indent.
func (sc *ServiceCheck) Write(w *Writer, indent int) { sc.write(&w.w, indent) }

func (sc *ServiceCheck) write(w *writer, indent int) {
	w.line(indent, "checks:", "run on the built image before it is exported")
	w.line(indent+2, "commands:", "")
	where := "on PATH"
	if strings.Contains(sc.Program, "/") {
		where = "present"
	}
	w.line(indent+4, "- name: "+scalar(path.Base(sc.Program)+" is "+where+" and executable"), "the service's program: never ship one that cannot start")
	w.line(indent+6, "run: "+scalar(ProgramCommand(sc.Program)), "")
	if sc.Import != "" {
		w.line(indent+4, "- name: "+scalar(sc.Import+" imports without the test deps"), "")
		w.line(indent+6, "run: "+flow([]string{"python", "-c", "import " + sc.Import}), "")
	}
	if s := sc.Smoke; s != nil {
		w.line(indent+2, "smoke:", s.Why)
		if s.PortEnv != "" {
			w.line(indent+4, "port_env: "+s.PortEnv, "stagebuild passes a free port in it")
		} else {
			w.line(indent+4, "port: "+s.Port, "the port the service listens on")
		}
		if s.HTTPPath != "" {
			w.line(indent+4, "http: {path: "+FlowScalar(s.HTTPPath)+"}", "")
		} else {
			w.line(indent+4, "tcp: true", "ready when the port accepts a connection")
		}
	}
}

var (
	// healthRoute finds a health endpoint declared in Python code: Flask
	// and FastAPI decorators, Django's path().
	healthRoute = regexp.MustCompile(`(?m)(?:@\w+\.(?:get|route|api_route)\(|\bpath\(|\bre_path\()\s*["'](/?(?:health|healthz|healthcheck|ready|readyz|livez|ping|status)/?)["']`)
	rootRoute   = regexp.MustCompile(`(?m)@\w+\.(?:get|route)\(\s*["']/["']`)
	// skipDirs are never searched for routes.
	skipDirs = map[string]bool{"tests": true, "test": true, ".git": true, ".venv": true, "venv": true, "node_modules": true, "__pycache__": true}
)

// DetectRoute finds the path a smoke check should GET: a health route in
// the project's Python files, else a root route, else "". where names the
// file it was found in.
func DetectRoute(fsys fs.FS) (route, where string) {
	var root, rootAt string
	n := 0
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || route != "" || n > 500 {
			return fs.SkipDir
		}
		if d.IsDir() {
			if p != "." && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".py") || strings.HasPrefix(d.Name(), "test_") {
			return nil
		}
		n++
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		if m := healthRoute.FindSubmatch(data); m != nil {
			route, where = "/"+strings.TrimPrefix(string(m[1]), "/"), p
			return fs.SkipAll
		}
		if root == "" && rootRoute.Match(data) {
			root, rootAt = "/", p
		}
		return nil
	})
	if route == "" {
		return root, rootAt
	}
	return route, where
}

var (
	portFlag = regexp.MustCompile(`^(?:--port|-p)(?:=(\d+))?$`)
	bindFlag = regexp.MustCompile(`^(?:--bind|-b)(?:=(.*))?$`)
	hostPort = regexp.MustCompile(`^(?:[0-9.]+|\[[0-9a-f:]*\]|localhost)?:(\d{1,5})$`)
	portVar  = regexp.MustCompile(`\$\{?([A-Za-z_]*PORT)\b`)
)

// CommandPort reads the port a service command listens on: --port N,
// -p N, --bind HOST:N, or a HOST:N argument (runserver 0.0.0.0:8000), else
// "". A command that reads $...PORT gives that variable as portEnv.
func CommandPort(args []string, shell bool) (port, portEnv string) {
	if shell {
		if m := portVar.FindStringSubmatch(args[0]); m != nil {
			return "", m[1]
		}
		args = strings.Fields(args[0])
	}
	for i, a := range args {
		if m := portVar.FindStringSubmatch(a); m != nil {
			return "", m[1]
		}
		next := ""
		if i+1 < len(args) {
			next = args[i+1]
		}
		if m := portFlag.FindStringSubmatch(a); m != nil {
			if m[1] != "" {
				return m[1], ""
			}
			if _, err := strconv.Atoi(next); err == nil {
				return next, ""
			}
		}
		if m := bindFlag.FindStringSubmatch(a); m != nil {
			v := m[1]
			if v == "" {
				v = next
			}
			if hm := hostPort.FindStringSubmatch(v); hm != nil {
				return hm[1], ""
			}
		}
		if hm := hostPort.FindStringSubmatch(a); hm != nil {
			return hm[1], ""
		}
	}
	return "", ""
}
