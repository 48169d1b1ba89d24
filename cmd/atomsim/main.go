// Command atomsim serves the Atoms API simulator (package atoms/atomsim) on
// a local address, for manual runs and for pointing a bot at it:
//
//	atomsim -addr :8090 -seed-demo
//	ATOMS_BASE_URL=http://localhost:8090/atoms/v1 …
//
// -model picks the versioning model the agent API runs: v1 (drafts →
// versions → activate; the default) or v2, the branch model production runs
// since 2026-07-23 (branches, drafts, revisions, make-live; the v1 writes
// and lists answer 409 versioning_v2_migration_required). -branch-model is
// an alias of -model v2. With v2, -rich-conflicts answers draft conflicts
// with data.conflict (dev's shape; production's is lean) and -read-lag
// delays what reads show after a commit or a make-live.
//
// The API key, when wanted, comes from -api-key or ATOMSIM_API_KEY (the
// environment keeps it out of the process list); it is never logged.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(os.Args[1:], log); err != nil {
		log.Error("atomsim failed", "err", err)
		os.Exit(1)
	}
}

type config struct {
	addr            string
	checkDelay      time.Duration
	seedDemo        bool
	branchModel     bool
	richConflicts   bool
	readLag         time.Duration
	specDiff        bool
	faultRate       float64
	afterEffectRate float64
	latency         time.Duration
	faultSeed       int64
	apiKey          string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("atomsim", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", ":8090", "listen address")
	fs.DurationVar(&c.checkDelay, "check-delay", atomsim.DefaultCheckDelay, "duration of a version's security check (0: the default; negative: instant)")
	fs.BoolVar(&c.seedDemo, "seed-demo", false, "create the demo agents at startup")
	model := fs.String("model", "v1", "versioning model of the agent API: v1 (drafts and versions) or v2 (the branch model)")
	fs.BoolVar(&c.branchModel, "branch-model", false, "alias of -model v2")
	fs.BoolVar(&c.richConflicts, "rich-conflicts", false, "v2: answer draft conflicts with data.conflict (dev's shape) besides the paths")
	fs.DurationVar(&c.readLag, "read-lag", 0, "v2: how long reads still show the previous live branch and heads after a commit or make-live")
	fs.BoolVar(&c.specDiff, "spec-diff", false, "answer diffs in the spec's {sections, hasChanges} shape")
	fs.Float64Var(&c.faultRate, "fault-rate", 0, "fraction of requests answered 500 or 429 before taking effect")
	fs.Float64Var(&c.afterEffectRate, "after-effect-rate", 0, "fraction of successful writes answered 500 after taking effect")
	fs.DurationVar(&c.latency, "latency", 0, "latency added to every request")
	fs.Int64Var(&c.faultSeed, "fault-seed", 1, "seed of the fault draws")
	fs.StringVar(&c.apiKey, "api-key", os.Getenv("ATOMSIM_API_KEY"), "required bearer key (default $ATOMSIM_API_KEY; empty: no auth)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch *model {
	case "v2":
		c.branchModel = true
	case "v1":
		if c.branchModel && modelSet(fs) {
			return c, errors.New("-branch-model contradicts -model v1")
		}
	default:
		return c, fmt.Errorf("-model %q: want v1 or v2", *model)
	}
	if c.readLag < 0 {
		return c, errors.New("-read-lag must not be negative")
	}
	if c.faultRate < 0 || c.faultRate > 1 || c.afterEffectRate < 0 || c.afterEffectRate > 1 {
		return c, errors.New("fault rates must be between 0 and 1")
	}
	return c, nil
}

func modelSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "model" })
	return set
}

func run(args []string, log *slog.Logger) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	sim := atomsim.New(atomsim.Options{
		APIKey:        c.apiKey,
		CheckDelay:    c.checkDelay,
		BranchModel:   c.branchModel,
		RichConflicts: c.richConflicts,
		ReadLag:       c.readLag,
		SpecDiffShape: c.specDiff,
		Faults: atomsim.Faults{
			ErrorRate: c.faultRate, AfterEffectRate: c.afterEffectRate, Latency: c.latency, Seed: c.faultSeed,
		},
	})
	if c.seedDemo {
		agents, err := sim.SeedDemo()
		if err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		for _, a := range agents {
			log.Info("seeded agent", "id", a.ID, "name", a.Name, "versions", len(a.Versions), "active", a.ActiveVersionID,
				"branches", len(a.Branches))
		}
	}
	srv := &http.Server{
		Addr:              c.addr,
		Handler:           logRequests(log, sim),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("atomsim listening", "addr", c.addr, "base", "/atoms/v1", "auth", c.apiKey != "",
		"checkDelay", c.checkDelay, "model", modelName(c.branchModel), "faultRate", c.faultRate)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	log.Info("shutting down")
	return srv.Shutdown(shutdown)
}

func modelName(branch bool) string {
	if branch {
		return "v2"
	}
	return "v1"
}

// logRequests logs method, path, status and duration of each call; never
// headers, so the API key cannot leak into the log.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"requestId", rec.Header().Get("X-Request-Id"), "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
