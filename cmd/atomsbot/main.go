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
)

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
	addr := fs.String("addr", "", "listen address (overrides LISTEN_ADDR; sandbox default :3000)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: atomsbot [-sandbox] [-addr host:port]")
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
		return runSandbox(ctx, *addr, stdout, stderr)
	}
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(stderr, "atomsbot:", err)
		fmt.Fprintln(stderr, "Run `atomsbot -h` for the list of variables.")
		return 2
	}
	if *addr != "" {
		cfg.ListenAddr = *addr
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := newApp(cfg, appOptions{Logger: log})
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
