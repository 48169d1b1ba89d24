package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// maxReplyPages is how many messages a diff may take through response_url
// (Slack allows five uses; one stays free for a follow-up).
const maxReplyPages = 4

func (h *Handler) cmdDiff(ctx context.Context, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	var d platform.Diff
	var title string
	if c.Version != "" {
		a, err := h.resolveVersion(ctx, agent, c.Version)
		if err != nil {
			return reply{}, err
		}
		b, err := h.resolveVersion(ctx, agent, c.VersionB)
		if err != nil {
			return reply{}, err
		}
		if d, err = h.atoms.DiffVersions(ctx, agent.ID, a.ID, b.ID); err != nil {
			return reply{}, err
		}
		title = fmt.Sprintf("%s: %s → %s", agent.Name, a.Ref, b.Ref)
	} else {
		var draft platform.Draft
		if c.Draft != "" {
			draft, err = h.resolveDraft(ctx, agent, c.Draft, true)
			var re *RefError
			if errors.As(err, &re) && versionNum.MatchString(c.Draft) {
				// "diff agent v3" reads like a version: say how to compare versions.
				re.Msg += fmt.Sprintf(" To compare two versions, name both: `/atoms diff %s %s &lt;version&gt;`.", render.Escape(c.Agent), render.Escape(c.Draft))
			}
		} else {
			draft, err = h.onlyDraft(ctx, agent)
		}
		if err != nil {
			return reply{}, err
		}
		if agent.LiveVersionID == "" {
			return reply{}, &RefError{Msg: render.Literal(agent.Name) + " has no active version to compare with."}
		}
		if d, err = h.atoms.DiffDraft(ctx, agent.ID, draft.ID); err != nil {
			return reply{}, err
		}
		title = fmt.Sprintf("%s: draft “%s” vs the active version", agent.Name, cmp.Or(draft.Name, draft.ID))
		r := diffReply(agent.Name, title, d)
		// Hearing a draft tells more than reading its diff.
		call := render.CallBlock(render.CallValue(render.CallDraft, agent.ID, draft.ID))
		if first := &r.msgs[0]; len(first.Blocks) < render.MaxBlocks {
			first.Blocks = append(first.Blocks, call)
		} else {
			r.msgs = append(r.msgs, render.Message{Text: "Call me with this draft", Blocks: []slack.Block{call}})
		}
		return r, nil
	}
	return diffReply(agent.Name, title, d), nil
}

// diffReply pages a diff for response_url; when it needs more pages than
// that allows, the full diff follows as a file.
func diffReply(agentName, title string, d platform.Diff) reply {
	pages := render.Diff(title, d, render.DiffOptions{})
	if len(pages) <= maxReplyPages {
		return reply{msgs: pages}
	}
	return reply{
		msgs: render.Diff(title, d, render.DiffOptions{MaxPages: maxReplyPages}),
		file: &fileReply{name: fileSafe(agentName) + "-diff.txt", title: title, content: render.DiffText(title, d)},
	}
}

var unsafeFile = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileSafe(s string) string {
	s = unsafeFile.ReplaceAllString(s, "-")
	if s == "" || len(s) > 60 {
		s = "agent"
	}
	return s
}

// cmdPromote refuses what it can tell at once (a promotion in flight, the
// same draft published already, no such draft, a draft being published or
// without changes) before it says
// "Publishing…": the command's ack says nothing, so no refusal follows a
// promise.
func (h *Handler) cmdPromote(ctx context.Context, sc slack.SlashCommand, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	if err := h.inFlight(ctx, agent, c.Draft); err != nil {
		return reply{}, err
	}
	draft, err := h.resolveDraft(ctx, agent, c.Draft, true)
	if err != nil {
		return reply{}, err
	}
	req := workflow.PromoteRequest{
		Agent: agent, Draft: draft, Label: c.Label,
		Requester: sc.UserID, RequesterName: sc.UserName, Channel: sc.ChannelID, ChangesChecked: true,
	}
	if err := h.engine.CheckPromote(ctx, req); err != nil {
		return reply{}, err
	}
	h.send(ctx, sc, single(render.Note(fmt.Sprintf(":hourglass_flowing_sand: Publishing %s of %s…", render.Literal(cmp.Or(draft.Name, draft.ID)), render.Literal(agent.Name)))))
	p, err := h.engine.Promote(ctx, req)
	if err != nil {
		return reply{}, err
	}
	return single(promotionReply(p, "published")), nil
}

// inFlight refuses a promotion or, with draftRef "", a rollback while the
// agent has one in flight (the engine's lock refuses it too; this says so
// before anything is promised). Promoting the draft that promotion
// published says where that stands: once published, a draft is gone, and
// "no open draft" would mislead.
func (h *Handler) inFlight(ctx context.Context, agent platform.Agent, draftRef string) error {
	holder, err := h.store.LockHolder(ctx, state.AgentLock(agent.ID))
	if err != nil || holder == "" {
		return nil // the engine's lock still guards
	}
	p, err := h.store.Promotion(ctx, holder)
	switch {
	case err != nil:
		return &workflow.InFlightError{AgentName: agent.Name}
	case p.State.Done():
		return nil
	case draftRef == "" || p.Kind != state.KindPromote || draftRef != p.DraftID && draftRef != p.DraftName:
		return &workflow.InFlightError{AgentName: agent.Name, Holder: p}
	}
	draft, version := render.Literal(cmp.Or(p.DraftName, p.DraftID)), render.Escape(workflow.VersionName(p))
	var msg string
	switch p.State {
	case state.Requested:
		msg = fmt.Sprintf("Draft “%s” of %s is being published", draft, render.Literal(agent.Name))
	case state.Activating:
		msg = fmt.Sprintf("Draft “%s” of %s is already published as %s, approved and being activated", draft, render.Literal(agent.Name), version)
	default:
		msg = fmt.Sprintf("Draft “%s” of %s is already published as %s, awaiting approval", draft, render.Literal(agent.Name), version)
	}
	if link := workflow.Permalink(p.Channel, p.MessageTS); link != "" {
		msg += fmt.Sprintf(" — <%s|see the request>", link)
	}
	return &workflow.RefusedError{Msg: msg + fmt.Sprintf(". That promotion is in flight; approve or reject it there, or `/atoms cancel %s`.", render.Escape(refArg(agent.Name, agent.ID)))}
}

// cmdRollback, like cmdPromote, refuses what it can tell at once (a
// promotion in flight, no such version, the version already active) before
// it says "Preparing…".
func (h *Handler) cmdRollback(ctx context.Context, sc slack.SlashCommand, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	if err := h.inFlight(ctx, agent, ""); err != nil {
		return reply{}, err
	}
	v, err := h.resolveVersion(ctx, agent, c.Version)
	if err != nil {
		return reply{}, err
	}
	req := workflow.RollbackRequest{Agent: agent, Version: v, Requester: sc.UserID, Channel: sc.ChannelID}
	if err := workflow.CheckRollback(req); err != nil {
		return reply{}, err
	}
	h.send(ctx, sc, single(render.Note(fmt.Sprintf(":hourglass_flowing_sand: Preparing the rollback of %s to %s…", render.Literal(agent.Name), render.Escape(cmp.Or(v.Ref, c.Version))))))
	p, err := h.engine.Rollback(ctx, req)
	if err != nil {
		return reply{}, err
	}
	return single(promotionReply(p, "ready")), nil
}

// promotionReply tells the requester where their promotion stands.
func promotionReply(p state.Promotion, done string) render.Message {
	name := render.Literal(p.AgentName) + " " + render.Escape(workflow.VersionName(p))
	switch p.State {
	case state.Published, state.Activating, state.Live:
		return render.Note(fmt.Sprintf(":white_check_mark: %s is %s; the approval request is in this channel.", name, done))
	case state.Requested:
		if p.Reason != "" {
			return render.Note(":snowflake: Not published yet: " + render.Escape(p.Reason) + ". Nothing was changed on Atoms; the approval request will be posted here once it is published.")
		}
		return render.Note(":hourglass_flowing_sand: Atoms did not confirm the publish in time. atomsbot is checking whether the version was created and will post the approval request here; nothing will be published twice.")
	}
	return render.Note(fmt.Sprintf(":x: The promotion of %s %s: %s", render.Literal(p.AgentName), p.State, render.Escape(p.Reason)))
}

func (h *Handler) cmdCancel(ctx context.Context, sc slack.SlashCommand, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	p, err := h.engine.Cancel(ctx, agent.ID, agent.Name, sc.UserID)
	if err != nil {
		return reply{}, err
	}
	return single(render.Note(fmt.Sprintf(":heavy_multiplication_x: Cancelled the promotion of %s %s.", render.Literal(agent.Name), render.Escape(workflow.VersionName(p))))), nil
}

func (h *Handler) cmdWatch(ctx context.Context, sc slack.SlashCommand, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	name := render.Literal(agent.Name)
	if c.Name == command.Unwatch {
		removed, err := h.engine.Unwatch(ctx, agent.ID, sc.ChannelID, sc.UserID)
		if err != nil {
			return reply{}, err
		}
		if !removed {
			return single(render.Note("This channel was not watching " + name + ".")), nil
		}
		return reply{msgs: []render.Message{render.Note(":mute: This channel no longer follows changes of " + name + ".")}, inChannel: true}, nil
	}
	added, err := h.engine.Watch(ctx, agent, sc.ChannelID, sc.UserID)
	if err != nil {
		return reply{}, err
	}
	if !added {
		return single(render.Note("This channel already watches " + name + ".")), nil
	}
	return reply{msgs: []render.Message{render.Note(fmt.Sprintf(":eyes: This channel will be told when the active version of %s changes, whoever changes it (watch started by %s).", name, render.Mention(sc.UserID)))}, inChannel: true}, nil
}
