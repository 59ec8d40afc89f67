package dockerimport

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/stagebuild/stagebuild/initgen"
	"github.com/stagebuild/stagebuild/pipeline"
)

var badNameChar = regexp.MustCompile(`[^a-z0-9_-]`)

func stageName(name string, i int) string {
	if name == "" {
		return "stage" + strconv.Itoa(i)
	}
	return badNameChar.ReplaceAllString(strings.ToLower(name), "_")
}

// metaArgs turns the ARGs before the first FROM into pipeline args.
func (c *converter) metaArgs(meta []instructions.ArgCommand) {
	c.argSet = map[string]bool{}
	for _, a := range meta {
		for _, kv := range a.Args {
			c.addArg(kv)
		}
	}
}

func (c *converter) addArg(a instructions.KeyValuePairOptional) {
	if c.argSet[a.Key] || pipeline.IsPredefinedArg(a.Key) {
		return
	}
	c.argSet[a.Key] = true
	c.args = append(c.args, kv{a.Key, a.ValueString()})
}

// stage converts the i-th Dockerfile stage into one pipeline stage, or a
// chain of them.
func (c *converter) stage(i int, ds *instructions.Stage) error {
	name := stageName(ds.Name, i)
	cur := &stage{Origin: name, Line: lineOf(ds.Location), Comment: strings.TrimSpace(ds.SourceCode)}
	if base, ok := c.origin[strings.ToLower(ds.BaseName)]; ok {
		cur.From, cur.FromStage = base, true
		cur.eff = c.byName[base].eff.clone()
	} else {
		cur.From = c.expand(ds.BaseName, chain{}, cur.Line, false)
		cur.eff = chain{env: map[string]string{}, files: map[string]bool{}, wholeCtx: map[string]bool{}}
		if m := tool(ds.BaseName); m != "" {
			c.absent[m] = false
		}
	}
	if ds.Platform != "" {
		c.warn(cur.Line, "FROM --platform=%s: stagebuild builds for --platform; the flag was dropped", ds.Platform)
	}
	segs := []*stage{cur}
	split := func(line int) {
		next := &stage{Origin: name, Line: line, prev: cur, FromStage: true, eff: cur.eff.clone()}
		segs = append(segs, next)
		cur = next
	}
	for _, cmd := range ds.Commands {
		ln := lineOf(cmd.Location())
		switch x := cmd.(type) {
		case *instructions.EnvCommand:
			for _, e := range x.Env {
				v := c.expand(e.Value, cur.eff, ln, true)
				cur.Env = append(cur.Env, kv{e.Key, v})
				cur.eff.env[e.Key] = c.resolved(e.Value, cur.eff)
			}
		case *instructions.LabelCommand:
			for _, l := range x.Labels {
				cur.Labels = append(cur.Labels, kv{l.Key, c.expand(l.Value, cur.eff, ln, false)})
			}
		case *instructions.WorkdirCommand:
			if cur.busy() {
				split(ln)
			}
			p, abs := c.expand(x.Path, cur.eff, ln, false), c.resolved(x.Path, cur.eff)
			if !path.IsAbs(abs) {
				p, abs = path.Join("/", cur.eff.workdir, p), path.Join("/", cur.eff.workdir, abs)
			}
			cur.Workdir, cur.eff.workdir = p, path.Clean(abs)
		case *instructions.UserCommand:
			if cur.busy() {
				split(ln)
			}
			cur.User = c.expand(x.User, cur.eff, ln, false)
		case *instructions.ExposeCommand:
			for _, p := range x.Ports {
				cur.Expose = append(cur.Expose, c.expand(p, cur.eff, ln, false))
			}
		case *instructions.EntrypointCommand:
			cur.Entrypoint, cur.EntrypointLine = commandOf(x.ShellDependantCmdLine), ln
		case *instructions.CmdCommand:
			cur.Cmd, cur.CmdLine = commandOf(x.ShellDependantCmdLine), ln
		case *instructions.HealthCheckCommand:
			if x.Health != nil {
				cur.Health = &health{Test: x.Health.Test, Line: ln}
			}
		case *instructions.ArgCommand:
			for _, a := range x.Args {
				c.addArg(a)
			}
		case *instructions.CopyCommand:
			c.copy(&cur, x, ln, split)
		case *instructions.AddCommand:
			c.add(&cur, x, ln, split)
		case *instructions.RunCommand:
			if err := c.run(&cur, x, ln, split); err != nil {
				return err
			}
		case *instructions.OnbuildCommand:
			c.warn(ln, "ONBUILD %s: runs only in images built FROM this one; stagebuild has no equivalent, so it was dropped", x.Expression)
		case *instructions.ShellCommand:
			c.warn(ln, "SHELL %q: has no equivalent (every run: step uses /bin/sh -c); it was dropped, check the RUN steps after it", x.Shell)
		case *instructions.StopSignalCommand:
			c.warn(ln, "STOPSIGNAL %s: has no equivalent in the image config stagebuild writes; it was dropped", x.Signal)
		case *instructions.VolumeCommand:
			c.warn(ln, "VOLUME %s: has no equivalent in the image config stagebuild writes; it was dropped (use docker run -v)", strings.Join(x.Volumes, " "))
		case *instructions.MaintainerCommand:
			c.warn(ln, "MAINTAINER: deprecated and dropped; use a label such as org.opencontainers.image.authors")
		default:
			c.warn(ln, "%s: has no stagebuild equivalent; it was dropped", strings.ToUpper(cmd.Name()))
		}
	}
	// The last part keeps the Dockerfile stage's name, so FROM and
	// --target name it; earlier parts are NAME_1, NAME_2, ...
	for k, s := range segs {
		s.Name = name
		if k < len(segs)-1 {
			s.Name = c.freeName(fmt.Sprintf("%s_%d", name, k+1))
		}
		if s.prev != nil {
			s.From = s.prev.Name
		}
		c.stages = append(c.stages, s)
		c.byName[s.Name] = s
	}
	if len(segs) > 1 {
		c.note("converted", cur.Line, "stage %s is split into %d stages (%s ... %s): a pipeline stage copies before it runs, and sets one workdir and user",
			name, len(segs), segs[0].Name, name)
	}
	c.origin[strings.ToLower(ds.Name)] = name
	c.origin[strconv.Itoa(i)] = name
	c.lastName = name
	return nil
}

func (c *converter) freeName(n string) string {
	for c.byName[n] != nil {
		n += "_"
	}
	return n
}

// commandOf turns a parsed ENTRYPOINT, CMD or RUN line into a command:
// the shell form is one string, the exec form an argv. A RUN heredoc is
// run as the shell does it.
func commandOf(cl instructions.ShellDependantCmdLine) *initgen.Command {
	if !cl.PrependShell {
		return &initgen.Command{Args: append([]string(nil), cl.CmdLine...)}
	}
	text := strings.Join(cl.CmdLine, " ")
	if len(cl.Files) > 0 {
		if parser.MustParseHeredoc(text) != nil {
			data := cl.Files[0].Data
			if cl.Files[0].Chomp {
				data = parser.ChompHeredocContent(data)
			}
			text = strings.TrimRight(data, "\n")
		} else {
			var b strings.Builder
			b.WriteString(text)
			for _, f := range cl.Files {
				b.WriteString("\n" + f.Data + f.Name)
			}
			text = b.String()
		}
	}
	return &initgen.Command{Args: []string{text}, Shell: true}
}

// copy converts a COPY: context sources become copy: entries; a copy from
// a gate (the marker trick) becomes gated_by.
func (c *converter) copy(cur **stage, x *instructions.CopyCommand, ln int, split func(int)) {
	if x.From != "" {
		c.copyFrom(cur, x, ln, split)
		return
	}
	if len(x.SourceContents) > 0 {
		c.warn(ln, "COPY <<%s: inline files have no copy: equivalent; write the file into the context and copy it", x.SourceContents[0].Path)
		return
	}
	if x.Parents {
		c.warn(ln, "COPY --parents: copied without it (each source to the destination)")
	}
	c.contextCopy(cur, x.SourcePaths, x.DestPath, c.copyFlags(*cur, "COPY", x.Chown, x.Chmod, x.ExcludePatterns, ln), ln, split)
}

// copyFlags converts --chown, --chmod and --exclude into the options of a
// copy: entry. A symbolic --chmod (u+x) has no copy: equivalent.
func (c *converter) copyFlags(s *stage, cmd, chown, chmod string, exclude []string, ln int) copyEntry {
	var opts copyEntry
	if chown != "" {
		opts.Chown = c.expand(chown, s.eff, ln, false)
	}
	if chmod != "" {
		if m, err := strconv.ParseUint(chmod, 8, 32); err == nil && m <= 0o7777 {
			opts.Chmod = fmt.Sprintf("%04o", m)
		} else {
			c.warn(ln, "%s --chmod=%s: a copy: chmod is an octal mode such as 0755; it was dropped, set it in a run: step", cmd, chmod)
		}
	}
	for _, e := range exclude {
		opts.Exclude = append(opts.Exclude, c.expand(e, s.eff, ln, false))
	}
	return opts
}

// add converts an ADD of local files like a COPY, and an ADD --checksum of
// one http(s) URL into a url: copy.
func (c *converter) add(cur **stage, x *instructions.AddCommand, ln int, split func(int)) {
	if len(x.SourcePaths) == 1 && x.Checksum != "" && (strings.HasPrefix(x.SourcePaths[0], "https://") || strings.HasPrefix(x.SourcePaths[0], "http://")) {
		c.fetch(cur, x, ln, split)
		return
	}
	var local []string
	for _, src := range x.SourcePaths {
		switch {
		case strings.Contains(src, "://") || strings.HasPrefix(src, "git@"):
			c.warn(ln, "ADD %s: a remote source without --checksum=sha256:… has no copy: equivalent; pin it (it becomes a url: copy), or download it in a run: step", src)
		case archiveExt.MatchString(src):
			c.warn(ln, "ADD %s: ADD extracts a local archive, a copy: does not; extract it in a run: step", src)
			local = append(local, src)
		default:
			local = append(local, src)
		}
	}
	if x.Checksum != "" {
		c.warn(ln, "ADD --checksum=%s: has no copy: equivalent; it was dropped", x.Checksum)
	}
	if len(local) > 0 {
		c.contextCopy(cur, local, x.DestPath, c.copyFlags(*cur, "ADD", x.Chown, x.Chmod, x.ExcludePatterns, ln), ln, split)
	}
}

// fetch converts ADD --checksum=sha256:… URL DEST into a url: copy.
func (c *converter) fetch(cur **stage, x *instructions.AddCommand, ln int, split func(int)) {
	if (*cur).ran() {
		split(ln)
	}
	s := *cur
	e := c.copyFlags(s, "ADD", x.Chown, x.Chmod, nil, ln)
	e.URL = c.expand(x.SourcePaths[0], s.eff, ln, false)
	e.Checksum = c.expand(x.Checksum, s.eff, ln, false)
	e.To = c.expand(x.DestPath, s.eff, ln, false)
	s.Copy = append(s.Copy, e)
}

var archiveExt = regexp.MustCompile(`\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz|tar\.zst)$`)

// contextCopy adds copies of build context paths, as COPY places them.
// opts carries the entries' chown, chmod and exclude.
func (c *converter) contextCopy(cur **stage, srcs []string, dest string, opts copyEntry, ln int, split func(int)) {
	if (*cur).ran() {
		split(ln)
	}
	s := *cur
	dest = c.expand(dest, s.eff, ln, false)
	intoDir := strings.HasSuffix(dest, "/") || len(srcs) > 1 || dest == "." || dest == ".."
	for _, raw := range srcs {
		src := path.Clean(strings.TrimPrefix(c.expand(raw, s.eff, ln, false), "/"))
		isFile := false
		if fi, err := fs.Stat(c.ctx, src); err == nil {
			isFile = fi.Mode().IsRegular()
		} else {
			isFile = path.Ext(src) != "" // not in the context yet, such as a lock made later
		}
		to := path.Clean(dest)
		if isFile && intoDir {
			to = path.Join(to, path.Base(src))
		}
		abs := to
		if !path.IsAbs(abs) {
			abs = path.Join("/", s.eff.workdir, to)
		}
		switch {
		case isFile:
			s.eff.files[abs] = true
		case src == ".":
			s.eff.wholeCtx[abs] = true
		}
		if to == src {
			to = ""
		}
		e := opts
		e.Src, e.To = src, to
		s.Copy = append(s.Copy, e)
	}
}

// copyFrom handles COPY --from: from a gate it is the marker trick, which
// gated_by expresses; from another stage (or a gate, for files other than
// its markers) it is a copy: entry with from:; from an image it has no
// pipeline equivalent.
func (c *converter) copyFrom(cur **stage, x *instructions.CopyCommand, ln int, split func(int)) {
	from, srcs := x.From, x.SourcePaths
	name, ok := c.origin[strings.ToLower(from)]
	if !ok {
		c.warn(ln, "COPY --from=%s %s: a pipeline copies from the build context or a stage, not from an image, so the copy was dropped; produce %s in stage %s itself, or base it on image %s",
			from, strings.Join(srcs, " "), strings.Join(srcs, " "), (*cur).Origin, from)
		return
	}
	if c.byName[name].Test != nil {
		if !contains((*cur).GatedBy, name) {
			(*cur).GatedBy = append((*cur).GatedBy, name)
		}
		markers := true
		for _, src := range srcs {
			markers = markers && contains(c.byName[name].Markers, path.Clean("/"+src))
		}
		if markers {
			c.note("converted", ln, "COPY --from=%s %s: a marker of the tests in %s; stage %s is gated_by %s instead",
				from, strings.Join(srcs, " "), name, (*cur).Origin, name)
			return
		}
	}
	if x.Parents {
		c.warn(ln, "COPY --parents: copied without it (each source to the destination)")
	}
	opts := c.copyFlags(*cur, "COPY", x.Chown, x.Chmod, x.ExcludePatterns, ln)
	if (*cur).ran() {
		split(ln)
	}
	s := *cur
	dest := c.expand(x.DestPath, s.eff, ln, false)
	intoDir := strings.HasSuffix(dest, "/") || len(srcs) > 1 || dest == "." || dest == ".."
	for _, raw := range srcs {
		// COPY --from reads a relative source from the stage's root.
		src := path.Join("/", c.expand(raw, s.eff, ln, false))
		to := path.Clean(dest)
		if intoDir && path.Ext(src) != "" {
			to = path.Join(to, path.Base(src)) // a file into a directory keeps its name
		}
		e := opts
		e.Src, e.To, e.From = src, to, name
		s.Copy = append(s.Copy, e)
	}
}

// run converts a RUN: its mounts become cache:, secrets: and ssh:; a test
// runner makes the stage a gate; tool installs take the lockfile route.
func (c *converter) run(cur **stage, x *instructions.RunCommand, ln int, split func(int)) error {
	if err := x.Expand(func(w string) (string, error) { return w, nil }); err != nil {
		return &Error{fmt.Sprintf("%s:%d: RUN --mount: %v (fix the mount)", c.file, ln, err)}
	}
	for _, f := range x.FlagsUsed {
		if f == "network" || f == "security" || f == "device" {
			c.warn(ln, "RUN --%s: has no run: equivalent; it was dropped", f)
		}
	}
	cmd := commandOf(x.ShellDependantCmdLine)
	cmd, copies := c.convertRun(cmd, ln)
	if cmd == nil {
		return nil
	}
	s := *cur
	if len(copies) > 0 {
		var need []string
		for _, f := range copies {
			if !s.eff.has(f) {
				need = append(need, f)
			}
		}
		if len(need) > 0 {
			c.contextCopy(cur, need, "./", copyEntry{}, ln, split)
			s = *cur
		}
	}
	c.mounts(s, x, ln, len(copies) > 0)
	if r := runnerOf(cmd); r != nil {
		if s.Test != nil {
			split(ln)
			s = *cur
		}
		s.Test, s.Reports, s.Markers = c.testCommandMarkers(cmd, r)
		s.TestLine = ln
		s.eff.gate = true
		c.note("detected", ln, "RUN %s runs %s: stage %s is a gate", cmdText(cmd), r.name, s.Origin)
		return nil
	}
	if s.Test != nil {
		split(ln)
		s = *cur
	}
	if testInstall.MatchString(cmdText(cmd)) {
		s.eff.testDeps = true
	}
	if contains(copies, initgen.LockRequirements) {
		// Installed again on top of a main install, they add nothing.
		s.mainInstall = s.mainInstall || !s.eff.mainDeps
		s.eff.mainDeps = true
	}
	s.Run = append(s.Run, *cmd)
	return nil
}

// has reports whether a context file, at its path relative to the
// workdir, is already in the image.
func (ch chain) has(f string) bool {
	abs := path.Join("/", ch.workdir, f)
	return ch.files[abs] || ch.wholeCtx[path.Join("/", ch.workdir)]
}

// toolCaches are the caches of the lock tools, of no use to the pip
// install that replaces them (which gets pip's cache from the planner).
var toolCaches = regexp.MustCompile(`/(uv|pypoetry|pipenv)/?$`)

func (c *converter) mounts(s *stage, x *instructions.RunCommand, ln int, converted bool) {
	for _, m := range instructions.GetMounts(x) {
		switch {
		case m.Type == instructions.MountTypeCache && converted && toolCaches.MatchString(m.Target):
			c.note("converted", ln, "RUN --mount=type=cache,target=%s: dropped with the install that used it", m.Target)
			continue
		}
		switch m.Type {
		case instructions.MountTypeCache:
			if !contains(s.Cache, m.Target) {
				s.Cache = append(s.Cache, m.Target)
			}
		case instructions.MountTypeSecret:
			sec := secret{ID: m.CacheID, Optional: !m.Required}
			if sec.ID == "" {
				sec.ID = path.Base(m.Target)
			}
			if m.Env != nil {
				sec.Env = *m.Env
			}
			if m.Target != "" && m.Target != "/run/secrets/"+sec.ID {
				sec.Target = m.Target
			}
			s.Secrets = append(s.Secrets, sec)
		case instructions.MountTypeSSH:
			id := m.CacheID
			if id == "" {
				id = "default"
			}
			if !contains(s.SSH, id) {
				s.SSH = append(s.SSH, id)
			}
		case instructions.MountTypeBind:
			c.bindMount(s, m, ln)
		default:
			c.warn(ln, "RUN --mount=type=%s: has no run: equivalent; it was dropped (copy what it mounts instead)", m.Type)
		}
	}
}

// bindMount turns RUN --mount=type=bind,from=STAGE into a mounts: entry of
// the stage (which its other run steps see too). A bind of the build
// context or of an image has no pipeline equivalent.
func (c *converter) bindMount(s *stage, m *instructions.Mount, ln int) {
	name, ok := c.origin[strings.ToLower(m.From)]
	if m.From == "" || !ok {
		c.warn(ln, "RUN --mount=type=bind,target=%s: only a bind of another stage (from=STAGE) has a mounts: equivalent; it was dropped (copy what it mounts instead)", m.Target)
		return
	}
	src := path.Join("/", m.Source)
	target := path.Clean(m.Target)
	if !path.IsAbs(target) { // relative to the workdir, as in the Dockerfile
		target = path.Join("/", s.eff.workdir, target)
	}
	if target == "/" {
		c.warn(ln, "RUN --mount=type=bind,from=%s,target=%s: a mount over / has no mounts: equivalent; it was dropped", m.From, m.Target)
		return
	}
	if !m.ReadOnly {
		c.note("converted", ln, "RUN --mount=type=bind,from=%s,rw: mounted read-only (its writes were discarded anyway)", m.From)
	}
	for _, have := range s.Mounts {
		if have.Target == target {
			if have.From != name || have.Source != src {
				c.warn(ln, "RUN --mount=type=bind,from=%s,target=%s: the stage already mounts %s:%s there, and a stage's mounts reach all its run steps; it was dropped (mount it at another target)", m.From, m.Target, have.From, have.Source)
			}
			return
		}
	}
	s.Mounts = append(s.Mounts, bindMount{From: name, Source: src, Target: target})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cmdText(c *initgen.Command) string {
	if c.Shell {
		return c.Args[0]
	}
	return strings.Join(c.Args, " ")
}

// testInstall recognises an install of test dependencies.
var testInstall = regexp.MustCompile(`(?i)(\bpytest\b|test[_-]?requirements|requirements[_-]?(test|dev)|-dev\.lock|--with[ =]\S*\b(dev|test)|--group[ =](dev|test)|--dev\b|\b(tox|nox)\b)`)
