package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestMakeLintRunsStaticcheck: make lint (and so make test, which CI runs)
// includes staticcheck at a pinned version that go run fetches on a fresh
// machine, with no tool expected on the PATH.
func TestMakeLintRunsStaticcheck(t *testing.T) {
	b, err := os.ReadFile(repoPath("Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	deps := func(target string) []string {
		m := regexp.MustCompile(`(?m)^` + target + `:(.*)$`).FindStringSubmatch(mk)
		if m == nil {
			t.Fatalf("no %s target", target)
		}
		return strings.Fields(m[1])
	}
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	if !has(deps("lint"), "staticcheck") {
		t.Errorf("lint does not run staticcheck: %v", deps("lint"))
	}
	if test := deps("test"); !has(test, "lint") && !has(test, "staticcheck") {
		t.Errorf("test does not run staticcheck: %v", test)
	}
	recipe := regexp.MustCompile(`(?m)^staticcheck:.*\n\t(.*)$`).FindStringSubmatch(mk)
	if recipe == nil {
		t.Fatal("no staticcheck recipe")
	}
	pinned := regexp.MustCompile(`honnef\.co/go/tools/cmd/staticcheck@v\d+\.\d+\.\d+`)
	if !strings.Contains(recipe[1], "$(GO) run") || !pinned.MatchString(mk) {
		t.Errorf("staticcheck is not run pinned through go run: %q", recipe[1])
	}
}
