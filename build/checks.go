package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/verify"
)

// runChecks runs an image stage's checks against its solved ref, in
// parallel. The error is for a check that could not run at all.
func (s *gwSession) runChecks(ctx context.Context, stage string, ref gateway.Reference) (*CheckReport, error) {
	ps := s.r.opts.Plan.Stage(stage)
	if ps.Checks == nil && ps.Purity == nil {
		return nil, nil
	}
	rep := &CheckReport{Stage: stage}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	add := func(fs []verify.Failure, err error) {
		mu.Lock()
		defer mu.Unlock()
		rep.Total++
		rep.Failures = append(rep.Failures, fs...)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	cfg := s.graph.Stage(stage).Config.Config
	if c := ps.Checks; c != nil {
		if c.Metadata != nil {
			add(verify.Metadata(c.Metadata, cfg), nil)
		}
		for _, fc := range c.Files {
			wg.Add(1)
			go func() { defer wg.Done(); add(fileCheck(ctx, ref, fc)) }()
		}
		for i, cc := range c.Commands {
			wg.Add(1)
			go func() { defer wg.Done(); add(s.commandCheck(ctx, stage, i, cc)) }()
		}
		if c.Smoke != nil {
			wg.Add(1)
			go func() { defer wg.Done(); add(s.smokeTest(ctx, ref, cfg, c.Smoke)) }()
		}
	}
	if ps.Purity != nil {
		wg.Add(1)
		go func() { defer wg.Done(); add(s.purityCheck(ctx, stage, ref, ps.Purity)) }()
	}
	wg.Wait()
	if firstErr != nil {
		return rep, fmt.Errorf("checks of %s: %w", stage, firstErr)
	}
	return rep, nil
}

func fileCheck(ctx context.Context, ref gateway.Reference, c plan.FileCheck) ([]verify.Failure, error) {
	st, err := ref.StatFile(ctx, gateway.StatRequest{Path: c.Path})
	if err != nil {
		if !notExist(err) {
			return nil, fmt.Errorf("stat %s: %w", c.Path, err)
		}
		return verify.File(c, verify.Stat{}), nil
	}
	m := os.FileMode(st.GetMode())
	obs := verify.Stat{Exists: true, Mode: unixPerm(m), UID: st.GetUid(), GID: st.GetGid(), IsDir: m.IsDir()}
	if !c.Contains.IsZero() && m.IsRegular() {
		if obs.Content, err = ref.ReadFile(ctx, gateway.ReadRequest{Filename: c.Path}); err != nil {
			return nil, fmt.Errorf("reading %s: %w", c.Path, err)
		}
	}
	return verify.File(c, obs), nil
}

// notExist recognises a missing path; the daemon's error crosses gRPC, so
// its text is the reliable part.
func notExist(err error) bool {
	return errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "no such file or directory") ||
		strings.Contains(err.Error(), "not a directory")
}

// unixPerm turns Go's file mode into Unix permission bits (0o7777).
func unixPerm(m os.FileMode) uint32 {
	p := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&os.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&os.ModeSticky != 0 {
		p |= 0o1000
	}
	return p
}

func (s *gwSession) commandCheck(ctx context.Context, stage string, i int, c plan.CommandCheck) ([]verify.Failure, error) {
	name := fmt.Sprintf("[%s check %d] %s", stage, i+1, c.Name)
	ref, err := s.solve(ctx, s.graph.CommandCheck(stage, c, name))
	if err != nil {
		return nil, fmt.Errorf("command check %q: %w", c.Name, err)
	}
	read := func(f string) []byte {
		b, _ := ref.ReadFile(ctx, gateway.ReadRequest{Filename: path.Join(llbgen.OutputDir, f)})
		return b
	}
	code, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: path.Join(llbgen.OutputDir, "exit")})
	if err != nil {
		return nil, fmt.Errorf("command check %q: reading its exit code: %w", c.Name, err)
	}
	exit, err := strconv.Atoi(strings.TrimSpace(string(code)))
	if err != nil {
		return nil, fmt.Errorf("command check %q: malformed exit code %q", c.Name, code)
	}
	return verify.Command(c, verify.CommandResult{Exit: exit, Stdout: read("stdout"), Stderr: read("stderr")}), nil
}
