package branches

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

func TestStageFeatureBranch(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("stage")
	feature := e.fork(id, mainID, "feature", map[string]any{"firstMessage": "v1 of feature"})
	e.edit(id, feature, map[string]any{"firstMessage": "v2 of feature"})
	e.sim.ResetCalls()
	r, err := e.a.Stage(ctx, platform.Release{AgentID: id, ID: "pr_feat", DraftID: feature, Base: head})
	if err != nil {
		t.Fatal(err)
	}
	tok := decodeToken(r.Token)
	draft := e.branch(id, feature).DraftID
	if tok.Stage != feature || tok.Own || tok.Live != mainID || tok.Prior != e.branch(id, feature).HeadRevisionID || tok.Draft != draft {
		t.Fatalf("token %+v", tok)
	}
	if r.Model != platform.ModelV2 || r.Key != feature+":"+draft || r.Ref != "feature/v2" || r.Number != 2 {
		t.Fatalf("release %+v", r)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("staging a feature branch wrote %v", w)
	}
}

func TestStageLiveBranchCopiesTheDraft(t *testing.T) {
	tests := []struct {
		name string
		opts atomsim.Options
		edit map[string]any
	}{
		{"prompt only: tools preserved", atomsim.Options{},
			map[string]any{"singlePromptConfig": map[string]any{"prompt": "Shorter.", "tools": []any{toolEnd, toolLookup}}}},
		{"a tool removed: the array replaces", atomsim.Options{},
			map[string]any{"singlePromptConfig": map[string]any{"prompt": "You are the support agent.", "tools": []any{toolLookup}}}},
		{"metrics, greeting and voice", atomsim.Options{}, map[string]any{
			"postCallAnalyticsConfig": map[string]any{"dispositionMetrics": []any{metricTopic, metricResolved}},
			"firstMessage":            "Hi there",
			"synthesizer":             map[string]any{"voiceConfig": map[string]any{"voiceId": "emily"}, "speed": 1.0},
		}},
		{"language", atomsim.Options{}, map[string]any{
			"language": map[string]any{"default": "hi", "supported": []any{"en", "hi"}, "switching": map[string]any{"isEnabled": true}},
		}},
		{"a fork copies the head", atomsim.Options{ForkCopiesHead: true},
			map[string]any{"firstMessage": "Forks with a head of their own"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			id, mainID, head := e.agent("copy")
			draftRev := e.edit(id, mainID, tt.edit)
			mainBefore := e.branch(id, mainID)
			want := e.config(id, mainID+":draft")

			r, err := e.a.Stage(ctx, platform.Release{AgentID: id, ID: "pr_copy", DraftID: mainID, Base: head})
			if err != nil {
				t.Fatal(err)
			}
			own, ok := e.branchNamed(id, "atomsbot-pr_copy")
			tok := decodeToken(r.Token)
			if !ok || tok.Stage != own.ID || !tok.Own || tok.Draft != own.DraftID || own.SourceBranchID != mainID || own.SourceRevisionID != head {
				t.Fatalf("own branch %+v, token %+v", own, tok)
			}
			next := 1 // the number the publish will get
			if tt.opts.ForkCopiesHead {
				next = 2
			}
			if r.Number != next || r.Ref != fmt.Sprintf("atomsbot-pr_copy/v%d", next) {
				t.Fatalf("release names %s (%d), want v%d", r.Ref, r.Number, next)
			}
			if got := e.config(id, own.ID+":draft"); !reflect.DeepEqual(got, want) {
				t.Fatalf("the copy differs from the live branch's draft:\n got %v\nwant %v", got, want)
			}
			if m := e.branch(id, mainID); m.DraftRevision != draftRev || m.HeadRevisionID != head || m.DraftID != mainBefore.DraftID || !m.Live {
				t.Fatalf("the live branch changed: %+v", m)
			}

			// Staging again (a retry) finds the copy: nothing new is made.
			e.sim.ResetCalls()
			again, err := e.a.Stage(ctx, platform.Release{AgentID: id, ID: "pr_copy", DraftID: mainID, Base: head})
			if err != nil || decodeToken(again.Token).Stage != own.ID {
				t.Fatalf("second Stage = %+v, %v", again, err)
			}
			if w := e.writes(); len(w) != 0 {
				t.Fatalf("second Stage wrote %v", w)
			}
		})
	}
}

func TestStageRefusals(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("refuse")
	quiet := e.fork(id, mainID, "quiet", nil)
	ready := e.fork(id, mainID, "ready", nil)
	e.edit(id, ready, map[string]any{"firstMessage": "Ready"})
	scanning := e.fork(id, mainID, "scanning", nil)
	e.edit(id, scanning, map[string]any{"firstMessage": "Scanning"})
	if _, err := e.c.PublishBranchDraft(ctx, id, scanning, ""); err != nil {
		t.Fatal(err)
	}
	e.edit(id, mainID, map[string]any{"firstMessage": "Hello from refuse"}) // the live value again

	tests := []struct {
		name  string
		r     platform.Release
		kind  error
		moved bool
	}{
		{"branch without a draft", platform.Release{DraftID: quiet, Base: head}, platform.ErrNotFound, false},
		{"unknown branch", platform.Release{DraftID: "0123456789abcdef01234567", Base: head}, platform.ErrNotFound, false},
		{"scanning already", platform.Release{DraftID: scanning, Base: head}, platform.ErrBusy, false},
		{"live moved since the request", platform.Release{DraftID: ready, Base: "0123456789abcdef01234567"}, nil, true},
		{"a live draft that changes nothing", platform.Release{DraftID: mainID, Base: head}, platform.ErrRefused, false},
		{"begun on v1", platform.Release{Model: platform.ModelV1, DraftID: quiet}, platform.ErrWrongModel, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.AgentID, tt.r.ID = id, "pr_x"
			_, err := e.a.Stage(ctx, tt.r)
			if tt.moved {
				var me *platform.MovedError
				if !errors.As(err, &me) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			isKind(t, err, tt.kind)
		})
	}
}

// TestStageRetried: a Stage whose fork or copy was answered unclearly is
// repeated; the repeat finds the branch by its name and copies once. A
// branch of ours that published already is not staged again.
func TestStageRetried(t *testing.T) {
	tests := []struct {
		name     string
		opts     atomsim.Options
		failOn   string // the method whose answer is lost after its effect
		publish  bool   // the first staging was published and committed
		refusal  error
		branches int // branches of the agent at the end
	}{
		{"fork answer lost", atomsim.Options{}, "POST", false, nil, 2},
		{"fork answer lost, the fork copies the head", atomsim.Options{ForkCopiesHead: true}, "POST", false, nil, 2},
		{"copy answer lost", atomsim.Options{}, "PUT", false, nil, 2},
		{"published already", atomsim.Options{}, "", true, platform.ErrRefused, 2},
		{"published already, the fork copies the head", atomsim.Options{ForkCopiesHead: true}, "", true, platform.ErrRefused, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			id, mainID, head := e.agent("retried")
			e.edit(id, mainID, map[string]any{"firstMessage": "Staged twice"})
			rel := platform.Release{AgentID: id, ID: "pr_r", DraftID: mainID, Base: head}
			if tt.failOn != "" {
				e.sim.SetFaults(atomsim.Faults{AfterEffectRate: 1, Methods: []string{tt.failOn}})
				_, err := e.a.Stage(ctx, rel)
				e.sim.SetFaults(atomsim.Faults{})
				isKind(t, err, platform.ErrUnclear)
			}
			if tt.publish {
				r := e.publish(e.stage(id, mainID, "pr_r", head))
				e.clock.Advance(checkDelay)
				e.refresh(r)
				e.edit(id, mainID, map[string]any{"firstMessage": "Edited again"})
			}
			r, err := e.a.Stage(ctx, rel)
			if tt.refusal != nil {
				isKind(t, err, tt.refusal)
			} else if err != nil {
				t.Fatal(err)
			} else if own, _ := e.branchNamed(id, "atomsbot-pr_r"); decodeToken(r.Token).Stage != own.ID || own.DraftRevision != 1 ||
				!reflect.DeepEqual(e.config(id, own.ID+":draft"), e.config(id, mainID+":draft")) {
				t.Fatalf("own branch %+v", own)
			}
			if n := len(e.branches(id)); n != tt.branches {
				t.Fatalf("%d branches", n)
			}
		})
	}
}
