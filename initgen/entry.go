package initgen

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// entrypoint finds how the service starts: a Dockerfile's ENTRYPOINT/CMD,
// else a Flask or FastAPI app, else a package's __main__.py.
func (in *inspector) entrypoint() error {
	in.p.Route, in.p.RouteAt = DetectRoute(in.fsys)
	if data, err := fs.ReadFile(in.fsys, "Dockerfile"); err == nil {
		if cfg := parseDockerfile(string(data)); cfg.Entrypoint != nil || cfg.Cmd != nil {
			in.useDockerfile(cfg)
			return nil
		}
	}
	if in.webApp() {
		return nil
	}
	p := in.p
	mains := []string{p.Package}
	for _, s := range p.Sources {
		if s != p.Package && !p.SrcLayout {
			mains = append(mains, s)
		}
	}
	for _, pkg := range mains {
		if isFile(in.fsys, path.Join(in.srcRoot(), pkg, "__main__.py")) {
			p.Entrypoint = &Command{Args: []string{"python", "-m", pkg}}
			p.ImportCheck = pkg
			in.detected("entrypoint: python -m %s (%s)", pkg, path.Join(in.srcRoot(), pkg, "__main__.py"))
			return nil
		}
	}
	in.guessed("no entrypoint (no Dockerfile CMD, Flask( or FastAPI( app, or __main__.py): the service image keeps the base image's command; set entrypoint: in stagebuild.yaml")
	return nil
}

func (in *inspector) srcRoot() string {
	if in.p.SrcLayout {
		return "src"
	}
	return "."
}

// useDockerfile takes the final stage's command, and copies an entrypoint
// script it names from the project root.
func (in *inspector) useDockerfile(cfg dockerConfig) {
	p := in.p
	p.Entrypoint, p.Cmd, p.Expose = cfg.Entrypoint, cfg.Cmd, cfg.Expose
	if isDir(in.fsys, path.Join(in.srcRoot(), p.Package)) {
		p.ImportCheck = p.Package
	}
	first := p.Entrypoint
	if first == nil {
		first = p.Cmd
	}
	word, rest, _ := strings.Cut(first.Args[0], " ")
	if !first.Shell {
		word, rest = first.Args[0], ""
	}
	script := path.Base(word)
	if strings.Contains(word, "/") && isFile(in.fsys, script) && !slices.Contains(p.Sources, script) {
		p.ServiceCopy = append(p.ServiceCopy, script)
		word = Workdir + "/" + script
		if first.Shell {
			first.Args[0] = strings.TrimSpace(word + " " + rest)
		} else {
			first.Args[0] = word
		}
	}
	var parts []string
	if p.Entrypoint != nil {
		parts = append(parts, "ENTRYPOINT "+p.Entrypoint.String())
	}
	if p.Cmd != nil {
		parts = append(parts, "CMD "+p.Cmd.String())
	}
	from := "Dockerfile"
	if cfg.Stage != "" {
		from = "stage " + cfg.Stage + " of the Dockerfile"
	}
	in.detected("entrypoint: %s (%s)", strings.Join(parts, ", "), from)
	for _, w := range cfg.Unwrapped {
		in.guessed("%s dropped from the command: %s is not in the service image (its lock is installed with pip)", w, strings.Fields(w)[0])
	}
	if len(p.ServiceCopy) > 0 {
		in.guessed("%s is the Dockerfile's entrypoint script: the service copies it to %s/", script, Workdir)
	}
}

var (
	appRE     = regexp.MustCompile(`(?m)^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=\s*(?:flask\.|fastapi\.)?(Flask|FastAPI)\(`)
	usesRE    = regexp.MustCompile(`\b(Flask|FastAPI)\(`)
	factoryRE = regexp.MustCompile(`(?m)^def create_app\(`)
)

// webApp finds a Flask or FastAPI application object or create_app
// factory in the sources and serves it with gunicorn or uvicorn.
func (in *inspector) webApp() bool {
	p := in.p
	var files []string
	for _, s := range p.Sources {
		_ = fs.WalkDir(in.fsys, s, func(f string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() && (d.Name() == "__pycache__" || d.Name() == "tests" || d.Name() == "test") {
				return fs.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(f, ".py") {
				files = append(files, f)
			}
			return nil
		})
	}
	sort.SliceStable(files, func(i, j int) bool { return strings.Count(files[i], "/") < strings.Count(files[j], "/") })
	for _, f := range files {
		data, err := fs.ReadFile(in.fsys, f)
		if err != nil {
			continue
		}
		text := string(data)
		mod := moduleName(f, p.SrcLayout)
		if m := appRE.FindStringSubmatch(text); m != nil {
			in.serve(m[2], mod, m[1], false, fmt.Sprintf("%s = %s( in %s", m[1], m[2], f))
			return true
		}
		if m := usesRE.FindStringSubmatch(text); m != nil && factoryRE.MatchString(text) {
			in.serve(m[1], mod, "create_app", true, fmt.Sprintf("%s( and create_app in %s", m[1], f))
			return true
		}
	}
	return false
}

// moduleName turns a source file path into its import name.
func moduleName(file string, srcLayout bool) string {
	if srcLayout {
		file = strings.TrimPrefix(file, "src/")
	}
	file = strings.TrimSuffix(strings.TrimSuffix(file, ".py"), "/__init__")
	return strings.ReplaceAll(file, "/", ".")
}

// serve sets the service command for a framework's app object or factory.
func (in *inspector) serve(framework, mod, attr string, factory bool, found string) {
	p := in.p
	has := func(n string) bool { return slices.Contains(p.MainPackages, n) }
	bind := "0.0.0.0:" + ServicePort
	var args []string
	var server, missing string
	switch {
	case framework == "Flask" && has("gunicorn"):
		target := mod + ":" + attr
		if factory {
			target += "()"
		}
		args, server = []string{"gunicorn", "--bind", bind, target}, "gunicorn"
	case framework == "Flask":
		args, server = []string{"flask", "--app", mod + ":" + attr, "run", "--host", "0.0.0.0", "--port", ServicePort}, "the Flask development server"
		missing = "gunicorn is not a dependency; add it for production"
	default:
		args, server = []string{"uvicorn", mod + ":" + attr, "--host", "0.0.0.0", "--port", ServicePort}, "uvicorn"
		if factory {
			args = slices.Insert(args, 1, "--factory")
		}
		if !has("uvicorn") {
			missing = "uvicorn is not a dependency; add it, or the service cannot start"
		}
	}
	p.Entrypoint, p.Expose, p.ImportCheck = &Command{Args: args}, []string{ServicePort}, mod
	text := fmt.Sprintf("entrypoint: %s serving %s:%s on port %s (%s)", server, mod, attr, ServicePort, found)
	if factory {
		text = strings.Replace(text, ":"+attr+" ", ":"+attr+"() ", 1)
	}
	in.guessed("%s", text)
	if missing != "" {
		in.guessed("%s", missing)
	}
}
