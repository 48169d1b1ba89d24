package bot

import (
	"cmp"
	"context"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// How many of an agent's latest promotions are read to name the people
// behind versions: as many as a version list shows; for status, which names
// only who activated the live version, fewer.
const (
	byBotScan       = 40
	byBotStatusScan = 10
)

// activationSkew is how much earlier than Atoms' own activation time the
// bot may record an activation it made (it records it once verified, after
// Atoms' clock stamped it; clocks differ a little).
const activationSkew = 2 * time.Minute

func (h *Handler) cmdHistory(ctx context.Context, c command.Command) (reply, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	recs, err := h.store.PromotionHistory(ctx, agent.ID, cmp.Or(c.Count, command.DefaultHistory))
	if err != nil {
		return reply{}, err
	}
	items := make([]render.HistoryItem, len(recs))
	for i, r := range recs {
		endedBy := r.EndedBy
		if endedBy == "atomsbot" {
			endedBy = ""
		}
		items[i] = render.HistoryItem{
			Rollback: r.Kind == state.KindRollback, Version: r.Version, VersionID: r.VersionID, Label: r.Label,
			Requester: r.Requester, Approvers: r.Approvers, Outcome: string(r.Outcome), EndedBy: endedBy, Reason: r.Reason,
			RequestedAt: r.RequestedAt, PublishedAt: r.PublishedAt, EndedAt: r.EndedAt,
		}
	}
	return single(render.History(agent, items)), nil
}

// byBot names, by version id, the Slack users behind what atomsbot did to
// the agent's versions (Atoms records only its API key): the requester of
// the promotion that published a version, and of the newest promotion or
// rollback that made it live. Best effort: without it the lists show what
// Atoms says.
func (h *Handler) byBot(ctx context.Context, agent platform.Agent, scan int) map[string]render.ByBot {
	recs, err := h.store.PromotionHistory(ctx, agent.ID, scan)
	if err != nil {
		h.log.Warn("read the audit stream for the versions list", "agent", agent.ID, "err", err)
		return nil
	}
	out := map[string]render.ByBot{}
	for _, r := range recs { // newest first
		if r.VersionID == "" {
			continue
		}
		b := out[r.VersionID]
		if r.Kind == state.KindPromote && !r.PublishedAt.IsZero() && b.PublishedBy == "" {
			b.PublishedBy = r.Requester
		}
		if r.Outcome == state.Live && b.ActivatedBy == "" {
			b.ActivatedBy, b.ActivatedAt = r.Requester, r.EndedAt
		}
		out[r.VersionID] = b
	}
	return out
}
