package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     string
		check   func(c config) bool
		wantErr bool
	}{
		{"defaults", nil, "", func(c config) bool {
			return c.addr == ":8090" && c.checkDelay == atomsim.DefaultCheckDelay && !c.seedDemo && c.apiKey == "" && !c.branchModel
		}, false},
		{"all flags", []string{"-addr", ":9", "-check-delay", "1s", "-seed-demo", "-branch-model", "-fault-rate", "0.25", "-api-key", "k"}, "", func(c config) bool {
			return c.addr == ":9" && c.checkDelay == time.Second && c.seedDemo && c.branchModel && c.faultRate == 0.25 && c.apiKey == "k"
		}, false},
		{"key from the environment", nil, "envkey", func(c config) bool { return c.apiKey == "envkey" }, false},
		{"model v2", []string{"-model", "v2", "-rich-conflicts", "-read-lag", "2s"}, "", func(c config) bool {
			return c.branchModel && c.richConflicts && c.readLag == 2*time.Second
		}, false},
		{"model v1 explicitly", []string{"-model", "v1"}, "", func(c config) bool { return !c.branchModel }, false},
		{"branch-model alias", []string{"-branch-model"}, "", func(c config) bool { return c.branchModel }, false},
		{"alias contradicts v1", []string{"-branch-model", "-model", "v1"}, "", nil, true},
		{"unknown model", []string{"-model", "v3"}, "", nil, true},
		{"negative read lag", []string{"-read-lag", "-1s"}, "", nil, true},
		{"rate out of range", []string{"-fault-rate", "2"}, "", nil, true},
		{"unknown flag", []string{"-nope"}, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ATOMSIM_API_KEY", tt.env)
			c, err := parseFlags(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			if err == nil && !tt.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}

func TestLogRequestsNeverLogsTheKey(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	h := logRequests(log, atomsim.New(atomsim.Options{APIKey: "sk_live_secret"}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, key := range []string{"sk_live_secret", "sk_wrong"} {
		req, _ := http.NewRequest("GET", srv.URL+"/atoms/v1/agent", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	out := buf.String()
	if strings.Contains(out, "sk_") || !strings.Contains(out, "status=200") || !strings.Contains(out, "status=401") {
		t.Fatalf("log:\n%s", out)
	}
}
