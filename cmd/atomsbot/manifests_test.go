package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot"
	"gopkg.in/yaml.v3"
)

// repoPath names a file of the repository from this package's directory.
func repoPath(rel string) string { return filepath.Join("..", "..", filepath.FromSlash(rel)) }

type doc = map[string]any

// decodeAll parses every YAML document of a file.
func decodeAll(t *testing.T, rel string) []doc {
	t.Helper()
	f, err := os.Open(repoPath(rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var out []doc
	for {
		var d doc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if d != nil {
			out = append(out, d)
		}
	}
}

func decodeOne(t *testing.T, rel string) doc {
	t.Helper()
	ds := decodeAll(t, rel)
	if len(ds) != 1 {
		t.Fatalf("%s: %d YAML documents, want 1", rel, len(ds))
	}
	return ds[0]
}

// get walks a path of map keys and list indexes ("spec.template.spec.containers.0").
func get(d any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch v := d.(type) {
		case map[string]any:
			d = v[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(v) {
				return nil
			}
			d = v[i]
		default:
			return nil
		}
	}
	return d
}

func str(d any, path string) string { s, _ := get(d, path).(string); return s }

func TestManifestsParse(t *testing.T) {
	var files []string
	err := filepath.WalkDir(repoPath("manifests"), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			rel, _ := filepath.Rel(repoPath(""), p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d manifests: %v", len(files), files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			for _, d := range decodeAll(t, f) {
				if !strings.HasPrefix(f, "manifests/kubernetes/") {
					continue
				}
				if str(d, "apiVersion") == "" || str(d, "kind") == "" {
					t.Errorf("a document without apiVersion/kind")
				}
				if str(d, "kind") == "Kustomization" {
					for _, r := range get(d, "resources").([]any) {
						if _, err := os.Stat(repoPath(filepath.ToSlash(filepath.Join(filepath.Dir(f), r.(string))))); err != nil {
							t.Errorf("resource %s: %v", r, err)
						}
					}
				} else if str(d, "metadata.name") == "" {
					t.Errorf("%s without metadata.name", str(d, "kind"))
				}
			}
		})
	}
}

// methodScope maps each Web API method the code calls to the bot scopes it
// needs (none for some). A method missing here fails the test: add it with
// its scopes from https://api.slack.com/methods.
var methodScope = map[string][]string{
	"chat.postMessage":   {"chat:write"},
	"chat.update":        {"chat:write"},
	"chat.postEphemeral": {"chat:write"},
	// Looking for an announcement whose answer was lost: public and private
	// channels.
	"conversations.history": {"channels:history", "groups:history"},
	"views.open":            nil,
	"views.update":          nil,
	// slack-go's UploadFileContext: files.getUploadURLExternal and
	// files.completeUploadExternal, both files:write.
	"files.upload": {"files:write"},
	// Not a Web API method: a response_url carries its own authority.
	"response_url": nil,
}

// neededScopes derives the bot scopes from the Slack adapter's calls, in
// every source file of bot/slackweb.
func neededScopes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(repoPath("bot/slackweb/*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, regexp.MustCompile(`c\.call\(ctx, "([^"]+)"`).FindAllStringSubmatch(string(src), -1)...)
	}
	if len(calls) < 5 {
		t.Fatalf("found only %d Web API calls in bot/slackweb: the scan is out of date", len(calls))
	}
	scopes := []string{"commands"} // the manifests declare a slash command
	for _, c := range calls {
		needed, ok := methodScope[c[1]]
		if !ok {
			t.Errorf("the code calls %s: add it and its scopes to methodScope", c[1])
			continue
		}
		for _, scope := range needed {
			if !slices.Contains(scopes, scope) {
				scopes = append(scopes, scope)
			}
		}
	}
	slices.Sort(scopes)
	return scopes
}

var backgroundColor = regexp.MustCompile(`^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$`)

// checkKeys reports keys the manifest schema does not allow at this level
// (it sets additionalProperties: false everywhere).
func checkKeys(t *testing.T, where string, m any, allowed ...string) map[string]any {
	t.Helper()
	mm, ok := m.(map[string]any)
	if !ok {
		t.Errorf("%s: not an object", where)
		return nil
	}
	for k := range mm {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s.%s: not allowed by Slack's manifest schema", where, k)
		}
	}
	return mm
}

func checkString(t *testing.T, where string, v any, minLen, maxLen int, pattern string) {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Errorf("%s: want a string, got %T", where, v)
		return
	}
	if n := len([]rune(s)); n < minLen || n > maxLen {
		t.Errorf("%s: %d characters, want %d–%d", where, n, minLen, maxLen)
	}
	if pattern != "" && !regexp.MustCompile(pattern).MatchString(s) {
		t.Errorf("%s: %q does not match %s", where, s, pattern)
	}
}

// TestSlackManifests checks both manifests against the parts of Slack's
// manifest schema (manifest.schema.1.0.0.json) they use, the scopes against
// the code, and the URLs against the routes the bot serves.
func TestSlackManifests(t *testing.T) {
	want := neededScopes(t)
	routes := bot.NewServer(nil, bot.ServerOptions{Verifier: bot.NewVerifier("x", time.Now)})
	for _, tc := range []struct {
		file   string
		socket bool
	}{{"manifests/slack-app.yaml", false}, {"manifests/slack-app-socket.yaml", true}} {
		t.Run(tc.file, func(t *testing.T) {
			m := decodeOne(t, tc.file)
			checkKeys(t, "manifest", m, "_metadata", "display_information", "features", "oauth_config", "settings")
			di := checkKeys(t, "display_information", m["display_information"], "name", "description", "background_color", "long_description")
			checkString(t, "display_information.name", di["name"], 1, 35, "")
			checkString(t, "display_information.description", di["description"], 1, 140, "")
			if c, ok := di["background_color"].(string); ok && !backgroundColor.MatchString(c) {
				t.Errorf("background_color %q", c)
			}
			features := checkKeys(t, "features", m["features"], "app_home", "bot_user", "shortcuts", "slash_commands", "unfurl_domains", "workflow_steps", "functions", "assistant_view")
			bu := checkKeys(t, "features.bot_user", features["bot_user"], "display_name", "always_online")
			checkString(t, "features.bot_user.display_name", bu["display_name"], 1, 80, "")
			cmds, _ := features["slash_commands"].([]any)
			if len(cmds) != 1 {
				t.Fatalf("%d slash commands, want /atoms only", len(cmds))
			}
			cmd := checkKeys(t, "slash_commands.0", cmds[0], "command", "url", "description", "usage_hint", "should_escape")
			checkString(t, "slash_commands.0.command", cmd["command"], 2, 32, `^/`)
			checkString(t, "slash_commands.0.description", cmd["description"], 1, 2000, "")
			checkString(t, "slash_commands.0.usage_hint", cmd["usage_hint"], 1, 1000, "")
			oc := checkKeys(t, "oauth_config", m["oauth_config"], "redirect_urls", "scopes", "token_management_enabled", "pkce_enabled")
			scopes := checkKeys(t, "oauth_config.scopes", oc["scopes"], "bot", "user", "bot_optional", "user_optional")
			var got []string
			for _, s := range scopes["bot"].([]any) {
				got = append(got, s.(string))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("bot scopes %v, want exactly %v (derived from the Web API methods the code calls)", got, want)
			}
			settings := checkKeys(t, "settings", m["settings"], "allowed_ip_address_ranges", "event_subscriptions", "incoming_webhooks",
				"interactivity", "org_deploy_enabled", "socket_mode_enabled", "is_hosted", "token_rotation_enabled", "siws_links")
			inter := checkKeys(t, "settings.interactivity", settings["interactivity"], "is_enabled", "request_url", "message_menu_options_url")
			if inter["is_enabled"] != true {
				t.Error("interactivity must be enabled: the approval buttons and the edit modal need it")
			}
			if settings["socket_mode_enabled"] != tc.socket {
				t.Errorf("socket_mode_enabled = %v, want %v", settings["socket_mode_enabled"], tc.socket)
			}

			urls := map[string]any{"/slack/commands": cmd["url"], "/slack/interactions": inter["request_url"]}
			if es, ok := settings["event_subscriptions"]; ok || !tc.socket {
				ev := checkKeys(t, "settings.event_subscriptions", es, "request_url", "bot_events", "user_events", "metadata_subscriptions")
				urls["/slack/events"] = ev["request_url"]
			}
			for route, u := range urls {
				if tc.socket {
					if u != nil {
						t.Errorf("Socket Mode manifest has a URL for %s: %v", route, u)
					}
					continue
				}
				checkString(t, route+" url", u, 1, 3000, `^https?://`)
				p, err := url.Parse(fmt.Sprint(u))
				if err != nil || p.Path != route {
					t.Errorf("URL %v: path must be %s", u, route)
				}
				// The route exists: an unsigned request is refused, not unknown.
				rec := httptest.NewRecorder()
				routes.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, route, strings.NewReader("")))
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("POST %s = %d, want 401 (route served and verified)", route, rec.Code)
				}
			}
		})
	}
}
