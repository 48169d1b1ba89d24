// Command atomsbot is the Slack ChatOps bot for the Atoms agent-version
// lifecycle. `atomsbot -sandbox` runs the whole product locally with no
// credentials; otherwise it is configured from the environment (atomsbot -h).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// drainDelay is how long a stopping replica keeps serving while /readyz
// already fails, so Kubernetes removes it from the Service before the listener
// closes (endpoint updates take a moment to reach every node).
const drainDelay = 3 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("atomsbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sandbox := fs.Bool("sandbox", false, "run the sandbox: embedded Redis, Atoms simulator and a local Slack stand-in, no credentials")
	addr := fs.String("addr", "", "listen address (overrides LISTEN_ADDR; sandbox default localhost:3000)")
	atomsAPI := fs.String("atoms-api", "", "sandbox: the Atoms versioning model to simulate, v2 (branches, as production runs) or v1 (drafts + versions); default v2")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atomsbot [-sandbox [-atoms-api v2|v1]] [-addr host:port]")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nConfiguration (environment variables):")
		_ = printUsage(stderr)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *sandbox {
		model := *atomsAPI
		switch model {
		case "", "v2":
			model = "v2"
		case "v1":
		default:
			fmt.Fprintln(stderr, "atomsbot: -atoms-api must be v1 or v2")
			return 2
		}
		return runSandbox(ctx, *addr, model, stdout, stderr)
	}
	if *atomsAPI != "" {
		fmt.Fprintln(stderr, "atomsbot: -atoms-api is for the sandbox; set ATOMS_API otherwise")
		return 2
	}
	cfg, err := loadConfig()
	if err != nil {
		reportConfigError(stderr, err)
		return 2
	}
	if *addr != "" {
		cfg.ListenAddr = *addr
	}
	log, _ := newLogger(stdout, "json", cfg.LogLevel, cfg.Secrets())
	// go-redis logs pool trouble through a process-wide logger of its own;
	// route it into the JSON log (and its redaction) instead of raw stderr.
	redis.SetLogger(redisLogger{log})
	a, err := newApp(cfg, appOptions{Logger: log, DrainDelay: drainDelay})
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		log.Error("listen", "addr", cfg.ListenAddr, "err", err)
		a.close()
		return 1
	}
	if err := a.run(ctx, ln, nil); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

// reportConfigError names every problem, one per line. Values are never
// echoed: a malformed variable may well be a pasted secret.
func reportConfigError(w io.Writer, err error) {
	var ce *ConfigError
	if !errors.As(err, &ce) {
		fmt.Fprintln(w, "atomsbot:", err)
	} else {
		fmt.Fprintf(w, "atomsbot: the configuration has %d problem(s):\n", len(ce.Problems))
		for _, p := range ce.Problems {
			fmt.Fprintln(w, "  -", p)
		}
	}
	fmt.Fprintln(w, "Run `atomsbot -h` for the list of variables.")
}

// redisLogger adapts slog to go-redis's logger.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}
