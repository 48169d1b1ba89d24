package atoms

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestAllAgents(t *testing.T) {
	agentsJSON := func(from, to int) string {
		var parts []string
		for i := from; i < to; i++ {
			parts = append(parts, `{"_id":"a`+itoa3(i)+`"}`)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	tests := []struct {
		name      string
		page      func(page int) string
		wantCount int
		wantReqs  int
	}{
		{
			name: "live shape follows hasMore",
			page: func(p int) string {
				if p < 3 {
					return `{"agents":` + agentsJSON((p-1)*50, p*50) + `,"totalCount":120,"totalPages":3,"hasMore":true}`
				}
				return `{"agents":` + agentsJSON(100, 120) + `,"totalCount":120,"totalPages":3,"hasMore":false}`
			},
			wantCount: 120, wantReqs: 3,
		},
		{
			name: "spec shape follows total",
			page: func(p int) string {
				if p == 1 {
					return `{"agents":` + agentsJSON(0, 50) + `,"total":60}`
				}
				return `{"agents":` + agentsJSON(50, 60) + `,"total":60}`
			},
			wantCount: 60, wantReqs: 2,
		},
		{
			name:      "server ignoring page stops on a page with nothing new",
			page:      func(p int) string { return `{"agents":` + agentsJSON(0, 50) + `,"hasMore":true}` },
			wantCount: 50, wantReqs: 2,
		},
		{
			name:      "empty",
			page:      func(p int) string { return `{"agents":[],"totalCount":0,"hasMore":false}` },
			wantCount: 0, wantReqs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				p, _ := strconv.Atoi(r.URL.Query().Get("page"))
				ok(w, 200, tt.page(p))
			})
			c, _ := newTestClient(t, f.URL(), nil)
			all, err := c.AllAgents(context.Background(), "bot")
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != tt.wantCount {
				t.Errorf("%d agents, want %d", len(all), tt.wantCount)
			}
			reqs := f.requests()
			if len(reqs) != tt.wantReqs {
				t.Errorf("%d requests, want %d", len(reqs), tt.wantReqs)
			}
			for i, r := range reqs {
				q, _ := url.ParseQuery(r.RawQuery)
				if q.Get("page") != strconv.Itoa(i+1) || q.Get("offset") != "50" || q.Get("search") != "bot" {
					t.Errorf("request %d query %v, want page %d, offset 50, search bot", i, q, i+1)
				}
			}
		})
	}
}

// itoa3 formats a small number with three digits.
func itoa3(i int) string {
	return string([]byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestAllVersions(t *testing.T) {
	versions := func(from, to int) string {
		var parts []string
		for i := from; i < to; i++ {
			parts = append(parts, `{"_id":"v`+itoa3(150-i)+`"}`)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Query().Get("skip") {
		case "":
			ok(w, 200, `{"versions":`+versions(0, 100)+`,"total":150}`)
		case "100":
			// A version was published meanwhile: the page starts one early.
			ok(w, 200, `{"versions":`+versions(99, 150)+`,"total":151}`)
		default:
			ok(w, 200, `{"versions":[],"total":151}`)
		}
	})
	c, _ := newTestClient(t, f.URL(), nil)
	all, err := c.AllVersions(context.Background(), "a1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 150 || all[0].ID != "v150" || all[149].ID != "v001" {
		t.Errorf("%d versions, first %q last %q", len(all), all[0].ID, all[len(all)-1].ID)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, wantSkip := range []string{"", "100"} {
		q, _ := url.ParseQuery(reqs[i].RawQuery)
		if q.Get("limit") != "100" || q.Get("skip") != wantSkip {
			t.Errorf("request %d query %v", i, q)
		}
	}
}
