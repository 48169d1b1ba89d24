package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The workspace the page pretends to be.
const (
	teamID     = "T0SANDBOX"
	teamDomain = "sandbox"
	appID      = "A0SANDBOX"
)

// maxAnswer bounds what is read of the bot's acknowledgement.
const maxAnswer = 1 << 20

// sign returns the X-Slack-Signature Slack sends: v0= and the hex
// HMAC-SHA256 of "v0:<ts>:<body>" under the signing secret. It is written
// here rather than borrowed from the bot, so the tests' check with the bot's
// verifier is a check of two independent implementations.
func sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// botAnswer is the bot's acknowledgement of a forwarded request.
type botAnswer struct {
	status int
	ctype  string // media type, e.g. application/json
	body   []byte
}

// ForwardError is a request Slack would have reported as failed: the bot did
// not answer within Slack's 3 s, or could not be reached. Code is the error
// Slack shows, e.g. operation_timeout.
type ForwardError struct {
	Code string
	Err  error
}

func (e *ForwardError) Error() string { return "sandbox: " + e.Code + ": " + e.Err.Error() }
func (e *ForwardError) Unwrap() error { return e.Err }

// forward POSTs form to the bot's route, signed as Slack signs it, and
// returns the acknowledgement.
func (p *Page) forward(ctx context.Context, route string, form url.Values) (botAnswer, error) {
	body := []byte(form.Encode())
	ts := strconv.FormatInt(p.o.Now().Unix(), 10)
	ctx, cancel := context.WithTimeout(ctx, ackBudget)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.BotURL+route, bytes.NewReader(body))
	if err != nil {
		return botAnswer{}, &ForwardError{Code: "dispatch_failed", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sign(p.o.Secret, ts, body))
	start := time.Now()
	resp, err := p.o.HTTPClient.Do(req)
	if err != nil {
		code := "dispatch_failed"
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			code = "operation_timeout"
		}
		p.o.Logger.Warn("sandbox: bot unreachable", "route", route, "err", err)
		return botAnswer{}, &ForwardError{Code: code, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return botAnswer{}, &ForwardError{Code: "dispatch_failed", Err: err}
	}
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	p.o.Logger.Debug("sandbox: forwarded", "route", route, "status", resp.StatusCode, "ms", time.Since(start).Milliseconds())
	return botAnswer{status: resp.StatusCode, ctype: ctype, body: bytes.TrimSpace(b)}, nil
}

// failed is the text Slack's client shows when a slash command or an
// interaction gets no acceptable answer.
func failed(what string, err error, a botAnswer) string {
	var fe *ForwardError
	if errors.As(err, &fe) {
		return fmt.Sprintf("%s failed with the error %q", what, fe.Code)
	}
	return fmt.Sprintf("%s failed with the error \"http_service_error\" (the bot answered HTTP %d)", what, a.status)
}

// pageRequest decodes a JSON request from the page. Requiring
// application/json means another site cannot post here from a browser
// without a CORS preflight, which this server never grants.
func pageRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, answer{Error: "send application/json"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAnswer))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, answer{Error: "malformed request: " + err.Error()})
		return false
	}
	return true
}

// actor is a page request made as one of the demo users.
type actor interface{ actingUser() string }

func (r *commandRequest) actingUser() string { return r.User }
func (r *actionRequest) actingUser() string  { return r.User }
func (r *submitRequest) actingUser() string  { return r.User }
func (r *closeRequest) actingUser() string   { return r.User }

// userRequest decodes a page request and looks up the user acting.
func (p *Page) userRequest(w http.ResponseWriter, r *http.Request, req actor) (User, bool) {
	if !pageRequest(w, r, req) {
		return User{}, false
	}
	u, ok := p.user(req.actingUser())
	if !ok {
		writeJSON(w, http.StatusBadRequest, answer{Error: "unknown user"})
	}
	return u, ok
}

// answer is what the page's actions return.
type answer struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Ack is the acknowledgement message a slash command got, if any.
	Ack *messageDTO `json:"ack,omitempty"`
	// Errors are a modal's field errors by block_id.
	Errors map[string]string `json:"errors,omitempty"`
	// Closed says the modal was closed; Updated that its content changed.
	Closed  bool `json:"closed,omitempty"`
	Updated bool `json:"updated,omitempty"`
	// Notice says what a control did.
	Notice string `json:"notice,omitempty"`
}

type commandRequest struct {
	User string `json:"user"`
	Text string `json:"text"`
}

// command runs a slash command typed in the message box: it shows the
// command to its author, sends the bot what Slack sends and shows the ack.
func (p *Page) command(w http.ResponseWriter, r *http.Request) {
	var req commandRequest
	u, ok := p.userRequest(w, r, &req)
	if !ok {
		return
	}
	text := strings.TrimSpace(req.Text)
	if rest, ok := strings.CutPrefix(text, p.o.Command); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
		text = strings.TrimSpace(rest)
	} else if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		writeJSON(w, http.StatusBadRequest, answer{Error: fmt.Sprintf("%s is not a valid command here; this workspace has %s.", cmd, p.o.Command)})
		return
	}
	p.o.Slack.RecordCommand(p.o.Channel.ID, u.ID, strings.TrimSpace(p.o.Command+" "+text))
	form := p.commandForm(u, text)
	a, err := p.forward(r.Context(), "/slack/commands", form)
	if err != nil || a.status != http.StatusOK {
		writeJSON(w, http.StatusOK, answer{Error: failed(p.o.Command, err, a)})
		return
	}
	if len(a.body) == 0 {
		writeJSON(w, http.StatusOK, answer{OK: true})
		return
	}
	// A JSON body is a message; any other body is shown as its text, as
	// Slack does for a plain-text ack.
	msg := struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}{Text: string(a.body)}
	if a.ctype == "application/json" {
		msg.Text = ""
		if err := json.Unmarshal(a.body, &msg); err != nil {
			writeJSON(w, http.StatusOK, answer{Error: fmt.Sprintf("%s answered with JSON Slack cannot read: %v", p.o.Command, err)})
			return
		}
	}
	m, err := p.o.Slack.RecordAck(p.o.Channel.ID, u.ID, msg.Text, msg.Blocks, msg.ResponseType == "in_channel")
	if err != nil {
		writeJSON(w, http.StatusOK, answer{Error: "Slack would refuse the acknowledgement: " + err.Error()})
		return
	}
	d := toMessage(m)
	writeJSON(w, http.StatusOK, answer{OK: true, Ack: &d})
}

// commandForm is the form Slack posts for a slash command.
func (p *Page) commandForm(u User, text string) url.Values {
	return url.Values{
		"token":                 {"sandbox-verification-token"},
		"team_id":               {teamID},
		"team_domain":           {teamDomain},
		"channel_id":            {p.o.Channel.ID},
		"channel_name":          {p.o.Channel.Name},
		"user_id":               {u.ID},
		"user_name":             {u.Name},
		"command":               {p.o.Command},
		"text":                  {text},
		"api_app_id":            {appID},
		"is_enterprise_install": {"false"},
		"response_url":          {p.o.Slack.NewResponseURLFor(responseTarget(p.o.Channel.ID, u.ID, ""))},
		"trigger_id":            {p.o.Slack.IssueTrigger(u.ID)},
	}
}

// interact posts an interaction payload as the form field payload.
func (p *Page) interact(ctx context.Context, payload any) (botAnswer, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return botAnswer{}, err
	}
	return p.forward(ctx, "/slack/interactions", url.Values{"payload": {string(b)}})
}
