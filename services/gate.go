package services

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
)

// Gate is the services of one gate's run.
type Gate struct {
	m      *Manager
	sess   Session
	gate   string
	holder string
	stage  *plan.Stage
	env    []string // the gate's image env, for ${NAME} in its service env
	runs   []*run
}

// Name is the gate's name.
func (gs *Gate) Name() string { return gs.gate }

// wait returns once every service is ready, or the first failure.
func (gs *Gate) wait(ctx context.Context) error {
	for _, r := range gs.runs {
		select {
		case <-r.ready:
			if r.err != nil {
				return r.err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// failure is the first service failure, once known.
func (gs *Gate) failure() error {
	for _, r := range gs.runs {
		select {
		case <-r.ready:
			if r.err != nil {
				return r.err
			}
		default:
		}
	}
	return nil
}

// Explain prefers a service's failure to the error of the test's solve,
// which only says that the env file could not be read.
func (gs *Gate) Explain(err error) error {
	if gs != nil {
		if serr := gs.failure(); serr != nil {
			return serr
		}
	}
	return err
}

// End stops serving the env file and releases the services no other gate
// of the session needs.
func (gs *Gate) End() {
	if gs == nil {
		return
	}
	id := llbgen.ServicesSecretID(gs.gate)
	gs.m.mu.Lock()
	gs.m.gates[id] = slices.DeleteFunc(gs.m.gates[id], func(x *Gate) bool { return x == gs })
	if len(gs.m.gates[id]) == 0 {
		delete(gs.m.gates, id)
	}
	gs.m.mu.Unlock()
	gs.m.Unclaim(gs.sess, gs.holder)
}

// Vars waits for the services and returns the gate's service env with
// every ${services…} and ${NAME} expanded.
func (gs *Gate) Vars(ctx context.Context) ([]plan.EnvVar, error) {
	if err := gs.wait(ctx); err != nil {
		return nil, err
	}
	ports := map[string]map[string]int{}
	for _, r := range gs.runs {
		ports[r.svc.Name] = r.ports
	}
	env := append([]string(nil), gs.env...)
	var out []plan.EnvVar
	for _, e := range gs.stage.ServiceEnv {
		v := plan.ExpandServices(e.Value, func(svc, port string) string { return strconv.Itoa(ports[svc][port]) })
		v = os.Expand(v, func(name string) string { return lookupEnv(env, name) })
		env = append(env, e.Key+"="+v)
		out = append(out, plan.EnvVar{Key: e.Key, Value: v})
	}
	return out, nil
}

// EnvFile waits for the services and returns the env file the gate's
// test sources (KEY='value' lines). A frontend, which serves no session
// secret, hands it to the test in its proxy env (llbgen.Options.ServicesEnv).
func (gs *Gate) EnvFile(ctx context.Context) ([]byte, error) { return gs.envFile(ctx) }

// envFile renders Vars as the file the test wrapper sources.
func (gs *Gate) envFile(ctx context.Context) ([]byte, error) {
	vars, err := gs.Vars(ctx)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&b, "%s='%s'\n", v.Key, strings.ReplaceAll(v.Value, "'", `'\''`))
	}
	return []byte(b.String()), nil
}

// lookupEnv finds name in KEY=VALUE entries; the last one wins.
func lookupEnv(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, _ := strings.Cut(kv, "="); k == name {
			v = val
		}
	}
	return v
}
