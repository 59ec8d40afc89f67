package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/stagebuild/stagebuild/testenv"
)

// The tools compared, in the table's order.
const (
	toolS  = "S"  // stagebuild build --target service
	toolB1 = "B1" // buildctl, Dockerfile, target service (COPY --from=tests marker)
	toolB2 = "B2" // buildctl target=tests, then target=service
	toolF  = "F"  // buildctl --frontend gateway.v0 with the stagebuild frontend image
)

// allTools are the tools every scenario runs; main adds toolF unless
// -frontend=false.
var allTools = []string{toolS, toolB1, toolB2}

// dockerfileName is B1's and B2's Dockerfile in bench/ (the requirements
// shape's; runner.dockerfile overrides it).
const dockerfileName = "python-service.Dockerfile"

// result is one timed measurement of one tool.
type result struct {
	Wall   time.Duration
	Stats  stats
	Failed bool     // a non-zero exit
	Exit   int      // the exit code (of B2's last invocation)
	Logs   []string // the progress logs (stderr) of the invocations
	// Top are the longest vertices of the invocation, for the notes.
	Top []vertexTime
	// Startup is the time from the process start to the first vertex
	// starting; Tail from the last vertex completing to the process exit.
	// Both are client-side work (parsing, connecting, resolving, writing).
	Startup, Tail time.Duration
	// FrontendStart is, for F, how long BuildKit took to resolve and start
	// the frontend image before it asked for anything (trace.frontendStart).
	FrontendStart time.Duration
	// Kinds is the vertex time by kind (kinds.go).
	Kinds map[string]time.Duration
	// UV is the summed time of S's uv stage steps ("[uv N/M] …": the
	// fetched wheel's copy and its extraction, beside the base image pull).
	UV time.Duration
}

// runner runs the tools against the harness's daemon.
type runner struct {
	repo   string // repository root
	work   string // the harness's temp dir: logs and outputs
	daemon *daemon
	seq    int
	// frontendImage is the stagebuild frontend (testenv.Env.FrontendImage).
	frontendImage string
	// push makes every tool push its image to the local registry instead
	// of writing an OCI tar (-output push).
	push bool
	// dockerfile is B1's and B2's Dockerfile in bench/; "" is
	// dockerfileName.
	dockerfile string
}

// output is the --output of one tool's image: an OCI tar named after the
// tool in out, or a push to the local registry.
func (r *runner) output(out, tool string) string {
	if r.push {
		return "type=image,name=" + testenv.RegistryAddr + "/bench/" + strings.ToLower(tool) + ":latest,push=true"
	}
	return "type=oci,dest=" + filepath.Join(out, strings.ToLower(tool)+".tar")
}

// run builds ws with one tool and times it. A tool that exits non-zero is
// reported in result.Failed, not as an error; err is for the harness.
func (r *runner) run(ctx context.Context, tool, ws string) (result, error) {
	out := filepath.Join(r.work, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return result{}, err
	}
	switch tool {
	case toolS:
		return r.invoke(ctx, filepath.Join(r.repo, "bin", "stagebuild"), "build", ws, "--target", "service",
			"-o", r.output(out, toolS), "--addr", r.daemon.addr(), "--progress", "rawjson")
	case toolB1:
		return r.invoke(ctx, r.buildctl(ws, "service", r.output(out, toolB1))...)
	case toolF:
		return r.invoke(ctx, filepath.Join(r.repo, "bin", "buildctl"), "--addr", r.daemon.addr(), "build",
			"--frontend", "gateway.v0", "--opt", "source="+r.frontendImage, "--local", "context="+ws, "--local", "dockerfile="+ws,
			"--opt", "filename=stagebuild.yaml", "--opt", "target=service", "--progress", "rawjson",
			"--output", r.output(out, toolF))
	case toolB2:
		first, err := r.invoke(ctx, r.buildctl(ws, "tests", "")...)
		if err != nil || first.Failed {
			return first, err // a CI script stops at the failing tests
		}
		second, err := r.invoke(ctx, r.buildctl(ws, "service", r.output(out, toolB2))...)
		second.Wall += first.Wall
		second.Stats = first.Stats.plus(second.Stats)
		second.Logs = append(first.Logs, second.Logs...)
		second.Top = topVertices(append(first.Top, second.Top...), 3)
		second.Kinds = addKinds(first.Kinds, second.Kinds)
		second.Startup += first.Startup
		second.Tail += first.Tail
		return second, err
	}
	return result{}, fmt.Errorf("unknown tool %q", tool)
}

// buildctl returns a buildctl command line for target with output (none
// when empty).
func (r *runner) buildctl(ws, target, output string) []string {
	df := r.dockerfile
	if df == "" {
		df = dockerfileName
	}
	args := []string{filepath.Join(r.repo, "bin", "buildctl"), "--addr", r.daemon.addr(), "build",
		"--frontend", "dockerfile.v0", "--local", "context=" + ws,
		"--local", "dockerfile=" + filepath.Join(r.repo, "bench"),
		"--opt", "filename=" + df, "--opt", "target=" + target, "--progress", "rawjson"}
	if output != "" {
		args = append(args, "--output", output)
	}
	return args
}

func (r *runner) invoke(ctx context.Context, argv ...string) (result, error) {
	r.seq++
	logPath := filepath.Join(r.work, "logs", fmt.Sprintf("%04d-%s.jsonl", r.seq, filepath.Base(argv[0])))
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return result{}, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return result{}, err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = r.repo
	cmd.Env = append(os.Environ(), "BUILDKIT_HOST=") // --addr decides
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	runErr := cmd.Run()
	end := time.Now()
	res := result{Wall: end.Sub(start), Logs: []string{logPath}}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err()
	case errors.As(runErr, &exitErr):
		res.Failed, res.Exit = true, exitErr.ExitCode()
	case runErr != nil:
		return res, fmt.Errorf("%s: %w", argv[0], runErr)
	}
	if _, err := logf.Seek(0, 0); err != nil {
		return res, err
	}
	t, err := parseRawJSON(logf)
	if err != nil {
		return res, fmt.Errorf("reading progress %s: %w", logPath, err)
	}
	res.Stats = t.stats()
	res.Top = t.top(3)
	res.Kinds = t.kinds()
	res.UV = t.prefixTime("[uv ")
	if first, last := t.span(); !first.IsZero() && !last.IsZero() {
		res.Startup, res.Tail = first.Sub(start), end.Sub(last)
	}
	if r.frontendImage != "" {
		res.FrontendStart = t.frontendStart(r.frontendImage)
	}
	return res, nil
}

// copyTree copies the regular files and directories of src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}
