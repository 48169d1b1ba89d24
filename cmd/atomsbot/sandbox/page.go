package sandbox

import (
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

//go:embed assets
var assets embed.FS

// User is a person the page can act as.
type User struct {
	ID   string `json:"id"`   // Slack user id, e.g. UALICE
	Name string `json:"name"` // handle, e.g. alice
	Role string `json:"role"` // what the demo uses them for, e.g. requester
}

// Channel is the one channel the page shows.
type Channel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// DemoUsers is the sandbox's cast: someone who asks for a promotion, someone
// allowed to approve it, and someone who is not.
func DemoUsers() []User {
	return []User{
		{ID: "UALICE", Name: "alice", Role: "requester"},
		{ID: "UBOB", Name: "bob", Role: "approver"},
		{ID: "UOLIVIA", Name: "olivia", Role: "outsider"},
	}
}

// DemoChannel is the channel the sandbox's conversation happens in.
func DemoChannel() Channel { return Channel{ID: "CRELEASES", Name: "agent-releases"} }

// Options configure a Page.
type Options struct {
	// Slack is the fake Web API the bot talks to; the page shows its state.
	Slack *slackfake.Server
	// Secret is the app's signing secret, shared with the bot.
	Secret string
	// BotURL is where the bot's /slack/* routes are served, e.g.
	// "http://127.0.0.1:3000".
	BotURL  string
	Channel Channel
	Users   []User
	// Command is the slash command, "/atoms" by default.
	Command string
	// Commands are the slash command's subcommands, in the order the help
	// lists them: the message box's hint chips.
	Commands []Subcommand
	// Controls act on the simulated world the way the channel cannot (the
	// Atoms dashboard, the security scanner); nil shows none.
	Controls Controls
	// Now is the clock of the request signatures; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// HTTPClient reaches the bot. Default: a client with Slack's 3 s budget
	// for acknowledgements.
	HTTPClient *http.Client
	// Heartbeat is the interval of keep-alive comments on the event
	// stream; default 15 s.
	Heartbeat time.Duration
}

// Subcommand is one subcommand of the slash command, as its help says it.
type Subcommand struct {
	Name    string `json:"name"`    // e.g. promote
	Usage   string `json:"usage"`   // e.g. /atoms promote <agent> <draft> [label…]
	Summary string `json:"summary"` // what it does, in a line
}

// Page serves the page and its API. Create one with New.
type Page struct {
	o      Options
	static http.Handler

	closeOnce sync.Once
	done      chan struct{}
}

// ackBudget is how long Slack waits for an acknowledgement.
const ackBudget = 3 * time.Second

// New returns a page for o.
func New(o Options) (*Page, error) {
	if o.Slack == nil || o.Secret == "" || o.BotURL == "" || o.Channel.ID == "" || len(o.Users) == 0 {
		return nil, errors.New("sandbox: Slack, Secret, BotURL, Channel and Users are required")
	}
	if o.Command == "" {
		o.Command = "/atoms"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: ackBudget}
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	o.BotURL = strings.TrimSuffix(o.BotURL, "/")
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	return &Page{o: o, static: http.StripPrefix("/sandbox/static/", http.FileServerFS(sub)), done: make(chan struct{})}, nil
}

// Close ends the open event streams, so a server shutting down is not held
// up by browsers that stay connected.
func (p *Page) Close() { p.closeOnce.Do(func() { close(p.done) }) }

// Handler serves the page at / and its API under /sandbox/, and passes every
// other request (the bot's /slack/*, /healthz, /metrics…) to bot.
func (p *Page) Handler(bot http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.index)
	mux.Handle("GET /sandbox/static/", p.assetHeaders(p.static))
	mux.HandleFunc("GET /sandbox/api/config", p.config)
	mux.HandleFunc("GET /sandbox/api/state", p.state)
	mux.HandleFunc("GET /sandbox/api/events", p.events)
	mux.HandleFunc("POST /sandbox/api/command", p.command)
	mux.HandleFunc("POST /sandbox/api/action", p.action)
	mux.HandleFunc("POST /sandbox/api/submit", p.submit)
	mux.HandleFunc("POST /sandbox/api/close", p.closeView)
	mux.HandleFunc("POST /sandbox/api/control", p.control)
	mux.Handle("/sandbox/", http.NotFoundHandler()) // the page's paths never reach the bot
	if bot != nil {
		mux.Handle("/", bot)
	}
	return mux
}

// csp keeps the page to its own origin: no external network, no inline code.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

func (p *Page) assetHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

func (p *Page) index(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

// pageConfig is what the page needs to know about the workspace.
type pageConfig struct {
	Channel  Channel      `json:"channel"`
	Users    []User       `json:"users"`
	Command  string       `json:"command"`
	Commands []Subcommand `json:"commands"`
	// Agents are what the controls act on; empty without controls.
	Agents []string `json:"agents"`
}

func (p *Page) config(w http.ResponseWriter, r *http.Request) {
	c := pageConfig{Channel: p.o.Channel, Users: p.o.Users, Command: p.o.Command, Commands: p.o.Commands, Agents: []string{}}
	if c.Commands == nil {
		c.Commands = []Subcommand{}
	}
	if p.o.Controls != nil {
		agents, err := p.o.Controls.Agents(r.Context())
		if err != nil {
			p.o.Logger.Warn("sandbox: listing the agents for the controls", "err", err)
		}
		c.Agents = append(c.Agents, agents...)
	}
	writeJSON(w, http.StatusOK, c)
}

func (p *Page) user(id string) (User, bool) {
	for _, u := range p.o.Users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}
