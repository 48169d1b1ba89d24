package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// reply is an answer to the user who typed a command.
type reply struct {
	msgs      []render.Message // sent in order (a long diff is several)
	inChannel bool
	file      *fileReply // the full text when msgs had to be cut
}

type fileReply struct{ name, title, content string }

// Command acknowledges a slash command and queues its work.
func (h *Handler) Command(ctx context.Context, sc slack.SlashCommand) Ack {
	c, err := command.Parse(sc.Text)
	if err != nil {
		var ue *command.UsageError
		if errors.As(err, &ue) {
			return h.usage(sc, ue)
		}
		return ephemeralAck(render.Note("That command could not be read."))
	}
	if c.Name == command.Help {
		if a, ok := h.acks.help[c.Topic]; ok {
			return a
		}
		return h.acks.help[""]
	}
	if !h.submit(func(ctx context.Context) { h.runCommand(ctx, sc, c) }) {
		return h.busy()
	}
	return Ack{}
}

// usage answers a command that cannot run as typed: the problem, then the
// usage of that subcommand, or the whole usage text for an unknown one. A
// problem that says it all is one line; words that may be a name with
// spaces typed without quotes are looked up first (after the ack).
func (h *Handler) usage(sc slack.SlashCommand, ue *command.UsageError) Ack {
	if ue.OneLine {
		return ephemeralAck(render.Note(":warning: " + render.Escape(ue.Message)))
	}
	if ue.Quotable && h.submit(func(ctx context.Context) {
		m := usageNote(ue)
		if hint, ok := h.quoteHint(ctx, sc.Text); ok {
			m = hint
		}
		h.send(ctx, sc, single(m))
	}) {
		return Ack{}
	}
	if ue.Name == "" {
		intro := render.Note(":warning: " + render.Escape(ue.Message))
		return h.withHelp(intro)
	}
	return ephemeralAck(usageNote(ue))
}

func usageNote(ue *command.UsageError) render.Message {
	return render.Note(fmt.Sprintf(":warning: %s\nUsage: `%s`", render.Escape(ue.Message), render.Escape(ue.Usage)))
}

// withHelp is intro followed by the full usage text. The usage block is
// marshalled once; only the intro is marshalled per request, and the result
// is the bytes json.Marshal would give for the whole message.
func (h *Handler) withHelp(intro render.Message) Ack {
	// As render.Help does: the fallback text carries the usage too.
	text := render.Truncate(intro.Text+"\n\n"+h.acks.helpText, render.MaxMessageText, "…")
	full := ephemeralMsg(render.Message{Text: text, Blocks: append(intro.Blocks[:len(intro.Blocks):len(intro.Blocks)], h.acks.helpBlock)})
	short := mustJSON(ephemeralMsg(render.Message{Text: text, Blocks: intro.Blocks}))
	last := mustJSON(intro.Blocks[len(intro.Blocks)-1])
	i := bytes.LastIndex(short, last)
	if i < 0 {
		return Ack{Body: full} // unexpected encoding: marshal it whole
	}
	i += len(last)
	raw := make([]byte, 0, len(short)+len(h.acks.helpJSON)+1)
	raw = append(append(append(append(raw, short[:i]...), ','), h.acks.helpJSON...), short[i:]...)
	return Ack{Body: full, raw: raw}
}

// helpMessage is the usage text, for one subcommand when topic names one.
func helpMessage(topic, intro string) render.Message {
	var entries []render.HelpEntry
	for _, name := range command.Order {
		if topic == "" || topic == name {
			entries = append(entries, render.HelpEntry{Usage: command.UsageOf(name), Summary: command.SummaryOf(name)})
		}
	}
	if len(entries) == 0 {
		return helpMessage("", intro)
	}
	return render.Help(intro, entries)
}

// runCommand does a command's work after the ack and answers the user.
func (h *Handler) runCommand(ctx context.Context, sc slack.SlashCommand, c command.Command) {
	// Not deduplicated: Slack never redelivers a slash command, so a repeat
	// is a new request (and a client reusing trigger ids must still be
	// answered). Commands that change things are guarded where they act:
	// the agent lock refuses a second promotion, a used trigger_id cannot
	// open a second modal.
	var r reply
	var err error
	switch c.Name {
	case command.Agents:
		r, err = h.cmdAgents(ctx, c)
	case command.Status:
		r, err = h.cmdStatus(ctx, c)
	case command.Versions:
		r, err = h.cmdVersions(ctx, c)
	case command.Drafts:
		r, err = h.cmdDrafts(ctx, c)
	case command.Diff:
		r, err = h.cmdDiff(ctx, c)
	case command.Edit:
		h.cmdEdit(ctx, sc, c)
		return
	case command.Promote:
		r, err = h.cmdPromote(ctx, sc, c)
	case command.Rollback:
		r, err = h.cmdRollback(ctx, sc, c)
	case command.Cancel:
		r, err = h.cmdCancel(ctx, sc, c)
	case command.Watch, command.Unwatch:
		r, err = h.cmdWatch(ctx, sc, c)
	case command.Call:
		r, err = h.cmdCall(ctx, sc, c)
	case command.History:
		r, err = h.cmdHistory(ctx, c)
	}
	if hint, ok := h.unquotedHint(ctx, sc.Text, err); ok {
		r, err = single(hint), nil
	}
	if err != nil {
		r = reply{msgs: []render.Message{h.failure(c.Name, err)}}
	}
	h.send(ctx, sc, r)
}

// unquotedHint is the quote hint for a command that failed because a name
// with spaces was typed without quotes.
func (h *Handler) unquotedHint(ctx context.Context, text string, err error) (render.Message, bool) {
	var re *RefError
	if !errors.As(err, &re) || !re.Unquoted {
		return render.Message{}, false
	}
	return h.quoteHint(ctx, text)
}

// hintError carries a hint that says all the user needs as the answer.
type hintError struct{ msg render.Message }

func (e *hintError) Error() string { return e.msg.Text }

// failure explains an error to the user without internals or secrets.
func (h *Handler) failure(name string, err error) render.Message {
	var re *RefError
	var rf *workflow.RefusedError
	var ife *workflow.InFlightError
	var he *hintError
	switch {
	case errors.As(err, &he):
		return he.msg
	case errors.As(err, &re):
		return render.Note(":mag: " + re.Msg)
	case errors.As(err, &rf):
		return render.Note(":no_entry_sign: " + rf.Msg)
	case errors.As(err, &ife):
		return inFlight(ife)
	case slackerr.Permanent(err):
		se, _ := slackerr.As(err)
		return slackProblem(name, se)
	case errors.Is(err, platform.ErrWrongModel):
		h.log.Warn("command failed: Atoms runs another versioning model than configured", "command", name, "err", err)
		return render.Note(fmt.Sprintf(":construction: `%s` failed: %s, which is not the versioning model atomsbot is configured for. Nothing was changed. An admin should set ATOMS_API to `auto`.", name, render.Escape(platform.Explain(err))))
	case errors.Is(err, platform.ErrFrozen):
		return render.Note(":snowflake: Atoms is in a configuration freeze for maintenance and takes no changes right now. Nothing was changed; please try again after the freeze.")
	case errors.Is(err, platform.ErrBusy):
		return render.Note(":hourglass_flowing_sand: Nothing was changed: " + render.Escape(platform.Explain(err)) + ".")
	case errors.Is(err, platform.ErrUnauthorized):
		// Not the user's doing: say what an admin has to fix.
		h.log.Warn("command failed: Atoms refused the API key", "command", name, "err", err)
		return render.Note(fmt.Sprintf(":closed_lock_with_key: `%s` failed: Atoms refused atomsbot's API key (%s). An admin needs to check SMALLEST_API_KEY.%s",
			name, render.Escape(platform.Explain(err)), requestRef(err)))
	}
	return h.unexpected(context.Background(), name, err)
}

// requestRef names the Atoms request id of a failed call, for a support
// ticket ("" when there is none).
func requestRef(err error) string {
	id := platform.RequestID(err)
	if id == "" {
		return ""
	}
	return " (Atoms request " + render.Escape(id) + ")"
}

func inFlight(ife *workflow.InFlightError) render.Message {
	p := ife.Holder
	if p.ID == "" {
		return render.Note(fmt.Sprintf(":no_entry_sign: %s already has a promotion in flight.", render.Literal(ife.AgentName)))
	}
	msg := fmt.Sprintf(":no_entry_sign: %s already has a promotion in flight: %s", render.Literal(ife.AgentName), render.Literal(workflow.VersionName(p)))
	if p.Label != "" {
		msg += " “" + render.Literal(p.Label) + "”"
	}
	msg += fmt.Sprintf(", %s, requested by %s", p.State, render.Mention(p.Requester))
	if link := workflow.Permalink(p.Channel, p.MessageTS); link != "" {
		msg += fmt.Sprintf(" — <%s|see the request>", link)
	}
	return render.Note(msg + ". Finish or `/atoms cancel` it first.")
}

// send delivers a reply through the command's response_url (Slack allows
// five uses; a long diff takes at most maxReplyPages of them), falling back to
// the Web API when the URL is used up or refused; a cut diff goes up as a file.
func (h *Handler) send(ctx context.Context, sc slack.SlashCommand, r reply) {
	for i, m := range r.msgs {
		if sc.ResponseURL != "" && i < maxReplyPages {
			err := h.slack.Respond(ctx, sc.ResponseURL, m, r.inChannel, false)
			if err == nil {
				continue
			}
			h.log.Warn("reply through response_url failed; using the Web API", "command", sc.Command, "err", err)
		}
		var err error
		if r.inChannel {
			_, err = h.slack.Post(ctx, sc.ChannelID, "", m)
		} else {
			err = h.slack.Ephemeral(ctx, sc.ChannelID, sc.UserID, m)
		}
		if err != nil {
			h.log.Warn("reply", "command", sc.Command, "err", err)
			return
		}
	}
	if r.file != nil {
		if err := h.slack.Upload(ctx, sc.ChannelID, "", r.file.name, r.file.title, r.file.content); err != nil {
			h.log.Warn("upload full diff", "err", err)
			_ = h.slack.Ephemeral(ctx, sc.ChannelID, sc.UserID, render.Note(":warning: The full diff could not be uploaded, so only its first pages are shown above."))
		}
	}
}

func single(m render.Message) reply { return reply{msgs: []render.Message{m}} }

func (h *Handler) cmdAgents(ctx context.Context, c command.Command) (reply, error) {
	agents, err := h.atoms.Agents(ctx, c.Search)
	if err != nil {
		return reply{}, err
	}
	return single(render.Agents(agents, c.Search)), nil
}

func (h *Handler) cmdStatus(ctx context.Context, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	v := render.StatusView{Agent: agent, Generated: h.now()}
	if live, err := h.atoms.Live(ctx, agent.ID); err == nil {
		v.Active = &live
		// The bot's activation names who made it live unless Atoms saw a
		// later one (the dashboard made it live again).
		if bb := h.byBot(ctx, agent, byBotStatusScan)[live.ID]; live.ActivatedAt.IsZero() || !bb.ActivatedAt.Before(live.ActivatedAt.Add(-activationSkew)) {
			v.ActiveByBot = bb
		}
	} else if !errors.Is(err, platform.ErrNotFound) {
		return reply{}, err
	}
	if v.Drafts, err = h.openDrafts(ctx, agent); err != nil && !errors.Is(err, platform.ErrWrongModel) {
		return reply{}, err
	}
	if holder, err := h.store.LockHolder(ctx, state.AgentLock(agent.ID)); err == nil && holder != "" {
		if p, err := h.store.Promotion(ctx, holder); err == nil {
			v.InFlight = &render.InFlight{VersionNumber: p.VersionNumber, VersionRef: p.VersionRef, Label: p.Label, State: string(p.State),
				Requester: p.Requester, Link: workflow.Permalink(p.Channel, p.MessageTS)}
		}
	}
	if ws, err := h.store.Watchers(ctx, agent.ID); err == nil {
		for _, w := range ws {
			v.Watchers = append(v.Watchers, w.Channel)
		}
	}
	return single(render.Status(v)), nil
}

func (h *Handler) cmdVersions(ctx context.Context, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	page, err := h.atoms.Versions(ctx, agent.ID, platform.VersionQuery{Branch: c.Branch, Limit: 40})
	if errors.Is(err, platform.ErrNotFound) && c.Branch != "" {
		return reply{}, &RefError{Msg: fmt.Sprintf("%s has %s. See `/atoms drafts %s`.", render.Literal(agent.Name), render.Escape(platform.Explain(err)), render.Escape(refArg(agent.Name, agent.ID)))}
	}
	if err != nil {
		return reply{}, err
	}
	return single(render.Versions(agent, page.Versions, page.Total, page.Branch, h.byBot(ctx, agent, byBotScan))), nil
}

func (h *Handler) cmdDrafts(ctx context.Context, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	drafts, err := h.openDrafts(ctx, agent)
	if err != nil {
		return reply{}, err
	}
	return single(render.Drafts(agent, drafts)), nil
}
