package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/daemon"
)

// DaemonOptions are the parsed flags of `stagebuild daemon COMMAND`.
type DaemonOptions struct {
	// Action is start, stop, status or prune.
	Action string
	// Addr is --addr; empty means $BUILDKIT_HOST, else the local daemon.
	Addr   string
	Format string
	// Prune only.
	All          bool
	KeepDuration time.Duration
	KeepStorage  int64
}

func newDaemonCmd(s Streams, runF func(*DaemonOptions) error) *cobra.Command {
	var addr, format, keepStorage string
	var keepDuration time.Duration
	var all bool
	cmd := &cobra.Command{
		Use:   "daemon start|stop|status|prune",
		Short: "Manage the local buildkitd: start, stop, status, prune its cache",
		Long: `Manage the buildkitd that stagebuild starts on demand (state under $STAGEBUILD_HOME, else
$XDG_STATE_HOME/stagebuild, else ~/.local/state/stagebuild).

  start   start the local daemon if it is not running, and print its address
  stop    stop the local daemon (nothing to do if it is not running)
  status  address, running or not, pid, buildkitd version, workers with their GC policy, disk usage
  prune   remove unused build cache, and print what was reclaimed

With --addr or BUILDKIT_HOST set, status and prune act on that daemon; start and stop refuse.`,
		Example: `  stagebuild daemon status --format json
  stagebuild daemon prune --keep-storage 10GB
  stagebuild daemon prune --all`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usage(fmt.Errorf("daemon: give a command: start, stop, status or prune"))
			}
			return usage(fmt.Errorf("unknown daemon command %q: use start, stop, status or prune", args[0]))
		},
	}
	cmd.PersistentFlags().StringVar(&addr, "addr", "", "BuildKit address for status and prune (default $BUILDKIT_HOST, else the local daemon)")
	sub := func(action, short string) *cobra.Command {
		return &cobra.Command{
			Use:   action,
			Short: short,
			Args: func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usage(fmt.Errorf("daemon %s takes no arguments, got %q", action, strings.Join(args, " ")))
				}
				return nil
			},
			RunE: func(c *cobra.Command, args []string) error {
				o := &DaemonOptions{Action: action, Addr: addr, Format: format, All: all, KeepDuration: keepDuration}
				if err := o.check(keepStorage); err != nil {
					return usage(err)
				}
				if runF != nil {
					return runF(o)
				}
				return runDaemon(c.Context(), s, o)
			},
		}
	}
	start := sub("start", "Start the local buildkitd and print its address")
	stop := sub("stop", "Stop the local buildkitd")
	status := sub("status", "Show the daemon's address, state, version, workers and disk usage")
	status.Flags().StringVar(&format, "format", "text", "output format: text or json")
	prune := sub("prune", "Remove unused build cache")
	prune.Flags().StringVar(&format, "format", "text", "output format: text or json")
	prune.Flags().StringVar(&keepStorage, "keep-storage", "", "keep up to this much cache, such as 10GB, 512MB or 1.5GiB")
	prune.Flags().DurationVar(&keepDuration, "keep-duration", 0, "keep cache used within this duration, such as 24h")
	prune.Flags().BoolVar(&all, "all", false, "also remove internal and frontend records")
	cmd.AddCommand(start, stop, status, prune)
	return cmd
}

func (o *DaemonOptions) check(keepStorage string) error {
	switch o.Action {
	case "start", "stop":
		target := o.Addr
		if target == "" {
			target = os.Getenv("BUILDKIT_HOST")
		}
		if target != "" {
			return fmt.Errorf("daemon %s manages only the local daemon, but --addr/BUILDKIT_HOST selects %s: unset it", o.Action, target)
		}
	}
	if o.Format == "" {
		o.Format = "text"
	}
	if o.Format != "text" && o.Format != "json" {
		return fmt.Errorf("--format %q: must be text or json", o.Format)
	}
	if o.KeepDuration < 0 {
		return fmt.Errorf("--keep-duration %s: must not be negative", o.KeepDuration)
	}
	if keepStorage != "" {
		n, err := daemon.ParseSize(keepStorage)
		if err != nil {
			return fmt.Errorf("--keep-storage: %w", err)
		}
		o.KeepStorage = n
	}
	return nil
}

func runDaemon(ctx context.Context, s Streams, o *DaemonOptions) error {
	switch o.Action {
	case "start":
		addr, err := daemon.EnsureLocal(ctx, s.Err)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.Out, addr)
		return nil
	case "stop":
		pid, err := daemon.StopLocalDaemon()
		switch {
		case err != nil:
			return err
		case pid == 0:
			fmt.Fprintln(s.Out, "local buildkitd is not running")
		default:
			fmt.Fprintf(s.Out, "stopped local buildkitd (pid %d)\n", pid)
		}
		return nil
	case "status":
		st, err := daemon.GetStatus(ctx, o.Addr)
		if err != nil {
			return err
		}
		if o.Format == "json" {
			return writeJSON(s, st)
		}
		printStatus(s, st)
		return nil
	case "prune":
		r, err := stagebuild.Prune(ctx, o.Addr, daemon.PruneOptions{All: o.All, KeepDuration: o.KeepDuration, KeepStorage: o.KeepStorage}, s.Err)
		if err != nil {
			return err
		}
		if o.Format == "json" {
			return writeJSON(s, r)
		}
		fmt.Fprintf(s.Out, "reclaimed %s (%d bytes) from %d cache records\n", daemon.FormatSize(r.Reclaimed), r.Reclaimed, r.Records)
		return nil
	}
	return usage(fmt.Errorf("unknown daemon command %q", o.Action))
}

func writeJSON(s Streams, v any) error {
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printStatus(s Streams, st *daemon.Status) {
	w := s.Out
	where := "remote"
	if st.Local {
		where = "local"
	}
	fmt.Fprintf(w, "address:  %s (%s)\n", st.Addr, where)
	if !st.Running {
		hint := ""
		if st.Local {
			hint = "; start it with: stagebuild daemon start"
		}
		fmt.Fprintf(w, "running:  no%s\n", hint)
		if st.Error != "" && !st.Local {
			fmt.Fprintf(w, "error:    %s\n", oneLine(st.Error))
		}
		return
	}
	pid := ""
	if st.PID > 0 {
		pid = fmt.Sprintf(" (pid %d)", st.PID)
	}
	fmt.Fprintf(w, "running:  yes%s\n", pid)
	if v := st.Version; v != nil {
		fmt.Fprintf(w, "version:  %s %s (revision %s)\n", v.Package, v.Version, v.Revision)
	}
	fmt.Fprintln(w, "workers:")
	for _, wk := range st.Workers {
		fmt.Fprintf(w, "  %s  %s\n", wk.ID, strings.Join(wk.Platforms, ", "))
		for _, g := range wk.GCPolicy {
			fmt.Fprintf(w, "    gc: %s\n", g.Summary())
		}
	}
	if d := st.Disk; d != nil {
		fmt.Fprintf(w, "disk:     %s in %d records, %s reclaimable\n", daemon.FormatSize(d.Total), d.Records, daemon.FormatSize(d.Reclaimable))
	}
}
