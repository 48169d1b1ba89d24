package state

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestWatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		steps := []struct {
			name       string
			watch      *Watch // else unwatch
			agent, ch  string
			wantChange bool
			watchers   map[string][]string // agent → channels, oldest first
		}{
			{name: "first", watch: &Watch{AgentID: "a1", AgentName: "Support", Channel: "C2", By: "U1"}, wantChange: true,
				watchers: map[string][]string{"a1": {"C2"}}},
			{name: "second channel", watch: &Watch{AgentID: "a1", Channel: "C1", By: "U2"}, wantChange: true,
				watchers: map[string][]string{"a1": {"C2", "C1"}}},
			{name: "again", watch: &Watch{AgentID: "a1", Channel: "C2", By: "U3"}, wantChange: false,
				watchers: map[string][]string{"a1": {"C2", "C1"}}},
			{name: "other agent", watch: &Watch{AgentID: "a2", Channel: "C1"}, wantChange: true,
				watchers: map[string][]string{"a1": {"C2", "C1"}, "a2": {"C1"}}},
			{name: "unwatch", agent: "a1", ch: "C2", wantChange: true,
				watchers: map[string][]string{"a1": {"C1"}, "a2": {"C1"}}},
			{name: "unwatch again", agent: "a1", ch: "C2", wantChange: false,
				watchers: map[string][]string{"a1": {"C1"}, "a2": {"C1"}}},
			{name: "last watcher", agent: "a2", ch: "C1", wantChange: true,
				watchers: map[string][]string{"a1": {"C1"}}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				e.clock.Advance(time.Second)
				var changed bool
				var err error
				if st.watch != nil {
					changed, err = e.store.Watch(ctx, *st.watch)
				} else {
					changed, err = e.store.Unwatch(ctx, st.agent, st.ch)
				}
				if err != nil || changed != st.wantChange {
					t.Fatalf("changed %v err %v, want %v", changed, err, st.wantChange)
				}
				agents, err := e.store.WatchedAgents(ctx)
				wantAgents := slices.Sorted(maps.Keys(st.watchers))
				if err != nil || !reflect.DeepEqual(agents, wantAgents) {
					t.Fatalf("watched agents %v %v, want %v", agents, err, wantAgents)
				}
				for a, chans := range st.watchers {
					ws, err := e.store.Watchers(ctx, a)
					var got []string
					for _, w := range ws {
						got = append(got, w.Channel)
						if w.AgentID != a || w.Since.IsZero() {
							t.Fatalf("watch record %+v", w)
						}
					}
					if err != nil || !reflect.DeepEqual(got, chans) {
						t.Fatalf("watchers of %s: %v %v, want %v", a, got, err, chans)
					}
				}
			})
		}
		ws, _ := e.store.Watchers(ctx, "a1")
		want := Watch{AgentID: "a1", Channel: "C1", By: "U2", Since: epoch.Add(2 * time.Second)}
		if len(ws) != 1 || ws[0] != want {
			t.Fatalf("kept record %+v, want %+v", ws, want)
		}
		if _, err := e.store.Watch(ctx, Watch{AgentID: "a1"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("watch without channel: %v", err)
		}
	})
}

func TestSeenVersion(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		steps := []struct {
			old, new string
			wantOK   bool
			wantSeen string
		}{
			{"v1", "v2", false, ""}, // nothing recorded yet, so old must be ""
			{"", "v1", true, "v1"},
			{"", "v2", false, "v1"},
			{"v0", "v2", false, "v1"},
			{"v1", "v2", true, "v2"},
		}
		for _, st := range steps {
			ok, err := e.store.SetSeenVersion(ctx, "a1", st.old, st.new)
			seen, err2 := e.store.SeenVersion(ctx, "a1")
			if err != nil || err2 != nil || ok != st.wantOK || seen != st.wantSeen {
				t.Fatalf("SetSeenVersion(%q→%q) = %v %v, seen %q %v; want %v %q", st.old, st.new, ok, err, seen, err2, st.wantOK, st.wantSeen)
			}
		}
		// Replicas noticing the same change: exactly one records (and announces) it.
		var wins atomicCount
		run(16, func(int) {
			if ok, _ := e.store.SetSeenVersion(ctx, "a1", "v2", "v3"); ok {
				wins.inc()
			}
		})
		if wins.get() != 1 {
			t.Fatalf("%d replicas won", wins.get())
		}
	})
}
