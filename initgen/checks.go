package initgen

import (
	"path"
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
func (sc *ServiceCheck) Write(w *Writer, indent int) {
	w.Line(indent, "checks:", "run on the built image before it is exported")
	w.Line(indent+2, "commands:", "")
	where := "on PATH"
	if strings.Contains(sc.Program, "/") {
		where = "present"
	}
	w.Line(indent+4, "- name: "+scalar(path.Base(sc.Program)+" is "+where+" and executable"), "the service's program: never ship one that cannot start")
	w.Line(indent+6, "run: "+scalar(ProgramCommand(sc.Program)), "")
	if sc.Import != "" {
		w.Line(indent+4, "- name: "+scalar(sc.Import+" imports without the test deps"), "")
		w.Line(indent+6, "run: "+flow([]string{"python", "-c", "import " + sc.Import}), "")
	}
	if s := sc.Smoke; s != nil {
		w.Line(indent+2, "smoke:", s.Why)
		if s.PortEnv != "" {
			w.Line(indent+4, "port_env: "+s.PortEnv, "stagebuild passes a free port in it")
		} else {
			w.Line(indent+4, "port: "+s.Port, "the port the service listens on")
		}
		if s.HTTPPath != "" {
			w.Line(indent+4, "http: {path: "+FlowScalar(s.HTTPPath)+"}", "")
		} else {
			w.Line(indent+4, "tcp: true", "ready when the port accepts a connection")
		}
	}
}
