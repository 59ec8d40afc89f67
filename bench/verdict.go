package main

import (
	"fmt"
	"strings"
)

// evaluate checks a scenario against its target and explains a miss with
// the data that shows why.
func (rep *report) evaluate(m measured) verdict {
	s, b1, b2 := m.med(toolS, wall), m.med(toolB1, wall), m.med(toolB2, wall)
	maxS := func(f func(result) float64) float64 {
		x := 0.0
		for _, r := range m.res[toolS] {
			x = max(x, f(r))
		}
		return x
	}
	var v verdict
	// ratios checks S against k1×B1 and, when k2 > 0, against k2×B2.
	ratios := func(k1, k2 float64) bool {
		ok1, ok2 := s <= k1*b1, k2 <= 0 || s <= k2*b2
		if !ok1 {
			v.notes = append(v.notes, fmt.Sprintf("S/B1 = %.2f > %.2f: S took %s (median). %s %s", s/b1, k1,
				than(s, b1, "B1"), m.extraTime(toolB1), dominated(m)))
		}
		if !ok2 {
			v.notes = append(v.notes, fmt.Sprintf("S/B2 = %.2f > %.2f: S took %s, B2 %s (median). %s", s/b2, k2, secs(s), secs(b2), m.extraTime(toolB2)))
		}
		return ok1 && ok2
	}
	switch m.sc.name {
	case "cold":
		v.target = "S ≤ 0.7×B1 (issue 16)"
		ok := ratios(0.7, 0)
		v.met = yes(ok)
		v.got = fmt.Sprintf("S/B1 %.2f, S/B2 %.2f", s/b1, s/b2)
		if !ok {
			v.notes = append(v.notes, coldLever(m, s, b1))
		}
	case "noop":
		v.target = "S ≤ 0.3×B1, 0 steps executed (issue 16)"
		v.got = fmt.Sprintf("S/B1 %.2f, S/B2 %.2f, ≤ %.0f executed", s/b1, s/b2, maxS(executed))
		ok := ratios(0.3, 0)
		if ex := maxS(executed); ex > 0 {
			ok = false
			v.notes = append(v.notes, fmt.Sprintf("S executed up to %.0f steps on a no-op: %s", ex, strings.Join(m.medianRun(toolS).Stats.ExecutedNames, ", ")))
		}
		v.met = yes(ok)
	case "src-edit":
		v.target = "S ≤ 0.8×B1 (issue 16); deps/test_deps 100% cached"
		over := m.med(toolS, overhead)
		depsEx := maxS(func(r result) float64 { return float64(r.Stats.DepsExecuted) })
		v.got = fmt.Sprintf("S/B1 %.2f; wall − pytest %s; deps/test_deps executed ≤ %.0f", s/b1, secs(over), depsEx)
		ok := ratios(0.8, 0)
		if !ok {
			v.notes = append(v.notes, fmt.Sprintf("S wall − pytest = %s (wall %s, pytest %s, median); B1's is %s. %s %s", secs(over), secs(s),
				secs(m.med(toolS, pytest)), secs(m.med(toolB1, overhead)), m.extraTime(toolB1), dominated(m)))
		}
		if depsEx > 0 {
			ok = false
			v.notes = append(v.notes, fmt.Sprintf("S re-ran up to %.0f deps/test_deps steps after a source edit", depsEx))
		}
		v.met = yes(ok)
	case "req-edit":
		v.target = "only deps and dependents rerun; the installer (uv or pip) reuses its cache (0 downloads)"
		ok := true
		for _, r := range m.res[toolS] {
			for _, n := range r.Stats.ExecutedNames {
				if strings.Contains(n, " FROM ") {
					ok = false
					v.notes = append(v.notes, "S re-ran the base image: "+n)
				}
			}
		}
		d, c := maxS(func(r result) float64 { return float64(r.Stats.PipDownl) }),
			m.med(toolS, func(r result) float64 { return float64(r.Stats.PipUsingCached) })
		v.got = fmt.Sprintf("installer: ≤ %.0f downloads, %.0f cached", d, c)
		if d > 0 || c == 0 {
			ok = false
			v.notes = append(v.notes, fmt.Sprintf("the installer in S: up to %.0f downloads, median %.0f from its cache: the cache mount was not (fully) reused", d, c))
			if b1 := m.med(toolB1, func(r result) float64 { return float64(r.Stats.PipDownl) }); b1 > 0 {
				v.notes = append(v.notes, fmt.Sprintf("B1's pip, with its own cache mount, downloaded %.0f files (median) too, so this is not stagebuild's doing. "+
					"pip reuses a download from its cache only when the index allows caching; a likely cause is an index or proxy "+
					"that sends no Cache-Control headers, so pip stores nothing in the mounted cache", b1))
			}
		}
		v.met = yes(ok)
	case "noisy-context":
		per10k := m.med(toolS, ctxSecs) * 1000 * 10000 / float64(noiseFiles())
		sent := maxS(ctxBytes)
		// A no-op sync still sends the stat packets of the included files;
		// the clean no-op's bytes are that floor. The noise would add
		// megabytes of stats alone, so 1 KiB of slack tells the two apart.
		floor, haveFloor := 0.0, false
		if noop, ok := rep.scenario("noop"); ok {
			haveFloor = true
			for _, r := range noop.res[toolS] {
				floor = max(floor, ctxBytes(r))
			}
		}
		v.target = "context sync ≤ 100 ms per 10k files; nothing re-sent"
		v.got = fmt.Sprintf("%.0f ms per 10k; ≤ %.0f B sent, clean no-op ≤ %.0f B", per10k, sent, floor)
		ok := per10k <= 100 && haveFloor && sent <= floor+1024
		if per10k > 100 {
			v.notes = append(v.notes, fmt.Sprintf("S's context vertex took %.0f ms (median) for a context with %d noise files", 1000*m.med(toolS, ctxSecs), noiseFiles()))
		}
		if !haveFloor {
			v.notes = append(v.notes, "run the noop scenario too: its bytes sent are the floor this check compares against")
		} else if sent > floor+1024 {
			v.notes = append(v.notes, fmt.Sprintf("S sent up to %.0f bytes of context on a no-op rebuild, the clean no-op %.0f", sent, floor))
		}
		v.met = yes(ok)
	case "failing-test":
		v.target = "S time to fail ≤ pytest + S's no-op time"
		v.got = fmt.Sprintf("wall − pytest %s", secs(m.med(toolS, overhead)))
		noop, ok := rep.scenario("noop")
		if !ok {
			v.met = "n/a (noop not run)"
			break
		}
		budget := noop.med(toolS, wall)
		over := m.med(toolS, overhead)
		v.got = fmt.Sprintf("wall − pytest %s, no-op %s", secs(over), secs(budget))
		if over > budget {
			v.notes = append(v.notes, fmt.Sprintf("S wall − pytest = %s > S no-op %s; B1's is %s. %s %s", secs(over), secs(budget),
				secs(m.med(toolB1, overhead)), m.extraTime(toolB1), dominated(m)))
		}
		v.met = yes(over <= budget)
	}
	return v
}

func (rep *report) scenario(name string) (measured, bool) {
	for _, m := range rep.results {
		if m.sc.name == name {
			return m, true
		}
	}
	return measured{}, false
}

// dominated names the longest vertices of S's median run.
func dominated(m measured) string {
	r := m.medianRun(toolS)
	var parts []string
	var sum float64
	for _, t := range r.Top {
		parts = append(parts, fmt.Sprintf("`%s` %.2f s", clip(t.Name, 60), t.D.Seconds()))
		sum += t.D.Seconds()
	}
	if len(parts) == 0 {
		return "No vertex took measurable time."
	}
	return fmt.Sprintf("Longest vertices of S's median run (wall %s): %s.", secs(wall(r)), strings.Join(parts, "; "))
}

const methodText = `- **Steps** are counted from the rawjson progress (one BuildKit ` + "`client.SolveStatus`" + ` per line), each vertex once by digest. ` +
	"A vertex is *cached* if any update says so, *executed* if it completed and was never cached (failed steps count as executed). " +
	"Not steps, and not counted: the context sources (see context sync below) and vertices whose name contains `[internal]`, `[auth]`, " +
	"`[context]`, `load metadata for`, `load build context`, " +
	"`load build definition`, `load .dockerignore`, `resolve image config`, `exporting` or `sending tarball` (frontend loads, " +
	"metadata, the context transfer and the exporter). An image source (name contains ` FROM `) with no layer " +
	"download or extraction status (`sha256:…`, `extracting …`) pulled nothing and counts as cached (BuildKit marks such a vertex " +
	"cached only sometimes). Likewise a url: copy's source (`[fetch] …`) that completed within 20 ms only looked up its " +
	"checksum-keyed cache entry (BuildKit sends no request for it then) and counts as cached.\n" +
	"- **deps+test_deps** are the vertices whose name starts with `[deps ` / `[deps]` / `[test_deps ` (both tools name steps after their stage).\n" +
	"- **pytest** is the duration (started → completed) of the executed vertex whose name contains `pytest`; " +
	"*wall − pytest* is the median of the per-run differences.\n" +
	"- **Context sync** is the summed duration of the context-source vertices: names containing `build context` (`[internal] load " +
	"build context` for buildctl) or starting with `[context]` (stagebuild: `[context] load build context`, or one `[context] <path>` " +
	"source per copied path), or vertices that carry a `transferring context:` status. Sources that sync in parallel are summed, " +
	"so this can exceed their wall-clock share. *Bytes sent* " +
	"is the largest `current` of those statuses, summed over vertices: fsutil counts every packet, so a no-op still sends the stat " +
	"packets of the included files. The noisy-context verdict charges S's whole context time to the noise (ms per 10k noise " +
	"files) and calls the context re-sent when S sent more than 1 KiB over the clean no-op's bytes.\n" +
	"- **start → 1st vertex** is the time from launching the CLI to the first vertex starting (client start-up, pipeline parsing, " +
	"connecting, resolving the base image); **last vertex → exit** is the time after the last vertex completed (the client " +
	"finishing the export, e.g. writing or renaming the output). B2 sums both invocations.\n" +
	"- **pip** counts `Using cached` and `Downloading` in the logs of executed vertices whose name contains `pip install`; for uv (`uv pip install`), \"Prepared N packages\" counts N downloads and \"Installed M packages\" M − N taken from the cache.\n" +
	"- **Fairness:** the buildctl context gets a `.dockerignore` ([bench/python-service.dockerignore](bench/python-service.dockerignore)) " +
	"with stagebuild's default excludes (`.git`, `.venv`, `__pycache__`, `node_modules`, `*.pyc`); the Dockerfile frontend itself " +
	"only follows the paths its COPYs name. The noise's 1 GiB is two sparse 512 MiB files (truncate). Edits are unique per " +
	"invocation, so no run can reuse a cache entry an earlier run created; the workspace is restored from the example before each edit. " +
	"Cold runs restart the daemon on an empty root before every invocation (start-up not timed); the base image comes from the " +
	"local registry mirror. stagebuild and the Dockerfile use different pip cache-mount IDs, so each tool has its own pip cache."

// than says how S's median compares with another tool's, in seconds.
func than(s, other float64, name string) string {
	if s <= other {
		return fmt.Sprintf("%s less than %s", secs(other-s), name)
	}
	return fmt.Sprintf("%s more than %s", secs(s-other), name)
}

// coldLever explains a missed cold target: the base image pull every tool
// waits for, the ratio without it, and what S runs after the pull before its
// installs can start (the next lever).
func coldLever(m measured, s, b1 float64) string {
	pullS, pullB1 := m.kindMedians(toolS)["pull"], m.kindMedians(toolB1)["pull"]
	note := fmt.Sprintf("Why: both tools first pull the base image (S %s, B1 %s, median vertex time); S cannot shorten it, and it is %.0f%% of B1's time. "+
		"Without it S/B1 would be %.2f.", secs(pullS), secs(pullB1), 100*pullB1/b1, (s-pullS)/max(b1-pullB1, 0.001))
	if uv := m.medianRun(toolS).UV; uv > 0 {
		note += fmt.Sprintf(" The uv stage (%s of steps in S's median run) runs in a small image beside the pull, so uv is ready when the base is.", secs(uv.Seconds()))
	}
	note += fmt.Sprintf(" Next lever: after the pull S runs its steps (%s of run-step time, median) one stage after another: deps, then test_deps, then the tests. "+
		"Installing the test deps beside the deps where a lock makes them independent (--no-deps per group into separate layers, then merged) would take test_deps off the path.",
		secs(m.kindMedians(toolS)["run"]))
	return note
}
