package sandbox

import (
	"context"
	"net/http"
)

// Controls change what a channel cannot: they act as the Atoms dashboard
// or the security scanner would, so that what follows from it (a failed
// check, a watch announcement) can be tried in the page.
type Controls interface {
	// Agents names the agents the controls can act on.
	Agents(ctx context.Context) ([]string, error)
	// FailNextCheck makes the next security check of the agent fail.
	FailNextCheck(ctx context.Context, agent string) (string, error)
	// ChangeLive changes the agent's live version, as someone in the
	// dashboard would.
	ChangeLive(ctx context.Context, agent string) (string, error)
}

// The controls the page offers, by the name it posts.
const (
	ControlFailCheck  = "fail-next-check"
	ControlChangeLive = "change-live"
)

type controlRequest struct {
	Control string `json:"control"`
	Agent   string `json:"agent"`
}

// control runs one of the controls; the answer's notice says what it did,
// in a sentence for the page.
func (p *Page) control(w http.ResponseWriter, r *http.Request) {
	var req controlRequest
	if !pageRequest(w, r, &req) {
		return
	}
	if p.o.Controls == nil {
		writeJSON(w, http.StatusNotFound, answer{Error: "this sandbox has no controls"})
		return
	}
	if req.Agent == "" {
		writeJSON(w, http.StatusBadRequest, answer{Error: "choose an agent first"})
		return
	}
	var (
		said string
		err  error
	)
	switch req.Control {
	case ControlFailCheck:
		said, err = p.o.Controls.FailNextCheck(r.Context(), req.Agent)
	case ControlChangeLive:
		said, err = p.o.Controls.ChangeLive(r.Context(), req.Agent)
	default:
		writeJSON(w, http.StatusBadRequest, answer{Error: "no such control: " + req.Control})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusOK, answer{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, answer{OK: true, Notice: said})
}
