package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// kube loads the Kubernetes documents by kind/name.
func kube(t *testing.T) map[string]doc {
	t.Helper()
	out := map[string]doc{}
	for _, f := range []string{"deployment.yaml", "service.yaml", "configmap.yaml", "pdb.yaml", "secret.template.yaml", "kustomization.yaml"} {
		for _, d := range decodeAll(t, "manifests/kubernetes/"+f) {
			out[str(d, "kind")] = d
		}
	}
	return out
}

func TestKubernetesManifests(t *testing.T) {
	k := kube(t)
	dep, cm, secret := k["Deployment"], k["ConfigMap"], k["Secret"]
	pod := get(dep, "spec.template.spec")
	c := get(pod, "containers.0")
	podLabels := get(dep, "spec.template.metadata.labels").(map[string]any)

	if n := get(dep, "spec.replicas"); n != 2 {
		t.Errorf("replicas = %v, want 2", n)
	}
	// Probes: liveness on /healthz, readiness on /readyz, on the port the
	// ConfigMap's LISTEN_ADDR listens on.
	_, port, err := net.SplitHostPort(str(cm, "data.LISTEN_ADDR"))
	if err != nil {
		t.Fatalf("LISTEN_ADDR: %v", err)
	}
	if cp := fmt.Sprint(get(c, "ports.0.containerPort")); cp != port || str(c, "ports.0.name") != "http" {
		t.Errorf("container port %s (%s), want %s named http", cp, str(c, "ports.0.name"), port)
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if got := str(c, probe+".httpGet.path"); got != path || str(c, probe+".httpGet.port") != "http" {
			t.Errorf("%s = %s on %s, want %s on http", probe, got, str(c, probe+".httpGet.port"), path)
		}
	}
	// Hardening.
	for path, want := range map[string]any{
		"securityContext.runAsNonRoot": true, "securityContext.readOnlyRootFilesystem": true,
		"securityContext.allowPrivilegeEscalation": false, "securityContext.capabilities.drop.0": "ALL",
	} {
		if got := get(c, path); got != want {
			t.Errorf("container %s = %v, want %v", path, got, want)
		}
	}
	if get(pod, "securityContext.runAsNonRoot") != true || get(pod, "automountServiceAccountToken") != false {
		t.Error("pod must run as non-root without a service account token")
	}
	for _, r := range []string{"resources.requests.cpu", "resources.requests.memory", "resources.limits.memory"} {
		if get(c, r) == nil {
			t.Errorf("container lacks %s", r)
		}
	}
	// Kubernetes must wait for the whole graceful shutdown.
	if g, ok := get(pod, "terminationGracePeriodSeconds").(int); !ok || time.Duration(g)*time.Second <= drainDelay+shutdownGrace {
		t.Errorf("terminationGracePeriodSeconds = %v, want more than %s", get(pod, "terminationGracePeriodSeconds"), drainDelay+shutdownGrace)
	}
	// Configuration: the ConfigMap and the Secret by name, every key a
	// variable of the table, secrets only in the Secret.
	if str(c, "envFrom.0.configMapRef.name") != str(cm, "metadata.name") || str(c, "envFrom.1.secretRef.name") != str(secret, "metadata.name") {
		t.Errorf("envFrom does not name the ConfigMap %q and the Secret %q", str(cm, "metadata.name"), str(secret, "metadata.name"))
	}
	secretVars := []string{"SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SMALLEST_API_KEY", "REDIS_URL"}
	vars := map[string]string{}
	for key, v := range get(cm, "data").(map[string]any) {
		if !slices.Contains(envNames(), key) {
			t.Errorf("ConfigMap key %s is not a variable of atomsbot", key)
		}
		if slices.Contains(secretVars, key) {
			t.Errorf("ConfigMap holds %s, a secret", key)
		}
		vars[key] = v.(string)
	}
	for key := range get(secret, "stringData").(map[string]any) {
		if !slices.Contains(envNames(), key) {
			t.Errorf("Secret key %s is not a variable of atomsbot", key)
		}
	}
	for _, key := range secretVars {
		if get(secret, "stringData."+key) == nil {
			t.Errorf("the Secret template lacks %s", key)
		}
	}
	// The ConfigMap plus filled-in secrets is a valid configuration.
	setEnv(t, with(vars, "SLACK_SIGNING_SECRET", testSigningSecret, "SLACK_BOT_TOKEN", testBotToken, "SMALLEST_API_KEY", testAPIKey,
		"REDIS_URL", "redis://redis:6379/0"))
	if _, err := loadConfig(); err != nil {
		t.Errorf("the ConfigMap does not validate: %v", err)
	}
	// Selectors.
	for what, sel := range map[string]any{
		"Service": get(k["Service"], "spec.selector"), "PodDisruptionBudget": get(k["PodDisruptionBudget"], "spec.selector.matchLabels"),
		"Deployment": get(dep, "spec.selector.matchLabels"),
	} {
		for key, v := range sel.(map[string]any) {
			if podLabels[key] != v {
				t.Errorf("%s selects %s=%v, which the pods do not carry", what, key, v)
			}
		}
	}
	if str(k["Service"], "spec.ports.0.targetPort") != "http" {
		t.Error("the Service does not target the http port")
	}
	if n, _ := get(k["PodDisruptionBudget"], "spec.minAvailable").(int); n < 1 || n >= 2 {
		t.Errorf("PDB minAvailable = %v, want 1 of 2", n)
	}
	// The kustomization applies everything but the Secret template, and
	// rewrites the image the Deployment names.
	res := fmt.Sprint(get(k["Kustomization"], "resources"))
	for _, f := range []string{"deployment.yaml", "service.yaml", "configmap.yaml", "pdb.yaml"} {
		if !strings.Contains(res, f) {
			t.Errorf("kustomization does not apply %s", f)
		}
	}
	if strings.Contains(res, "secret") {
		t.Error("the Secret template must not be applied by the kustomization")
	}
	if str(k["Kustomization"], "images.0.name") != str(c, "image") {
		t.Errorf("kustomization image %q does not match the container's %q", str(k["Kustomization"], "images.0.name"), str(c, "image"))
	}
}

func TestRedisManifest(t *testing.T) {
	sts := decodeOne(t, "manifests/kubernetes/redis/statefulset.yaml")
	args := fmt.Sprint(get(sts, "spec.template.spec.containers.0.args"))
	for _, want := range []string{"--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction", "--requirepass"} {
		if !strings.Contains(args, want) {
			t.Errorf("redis args %s lack %q", args, want)
		}
	}
	if get(sts, "spec.volumeClaimTemplates.0.spec.resources.requests.storage") == nil {
		t.Error("redis has no persistent volume")
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(repoPath("Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var froms, users []string
	var lastFrom int
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, l)
			lastFrom = i
		case "USER":
			if i > lastFrom {
				users = append(users, f[1])
			}
		case "HEALTHCHECK":
			t.Error("HEALTHCHECK: Kubernetes probes do that")
		}
	}
	if len(froms) < 2 {
		t.Errorf("%d stages, want a multi-stage build", len(froms))
	}
	s := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "org.opencontainers.image.source", "ENTRYPOINT", "./cmd/atomsbot"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1], "root") || strings.HasPrefix(users[len(users)-1], "0") {
		t.Errorf("the final stage runs as %v, want a non-root user", users)
	}
	// The builder's Go matches go.mod's.
	mod, err := os.ReadFile(repoPath("go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(mod))
	if goVer == nil || !strings.Contains(s, "GO_VERSION="+goVer[1]) {
		t.Errorf("Dockerfile's GO_VERSION does not match go.mod's go %v", goVer)
	}
	ignore, err := os.ReadFile(repoPath(".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(ignore), "\n") {
		if l = strings.TrimSpace(l); l == "go.mod" || l == "go.sum" || l == "cmd" || l == "*" {
			t.Errorf(".dockerignore excludes %s, which the build needs", l)
		}
	}
}

// TestSecretTemplateRefusedAsIs: the Secret template applied unfilled (or
// with REDIS_URL emptied) next to the ConfigMap stops atomsbot at start,
// naming what to set; two replicas can never run on embedded Redises by
// accident.
func TestSecretTemplateRefusedAsIs(t *testing.T) {
	k := kube(t)
	vars := map[string]string{}
	for key, v := range get(k["ConfigMap"], "data").(map[string]any) {
		vars[key] = v.(string)
	}
	template := map[string]string{}
	for key, v := range get(k["Secret"], "stringData").(map[string]any) {
		template[key] = fmt.Sprint(v)
	}
	filled := map[string]string{"SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_BOT_TOKEN": testBotToken, "SMALLEST_API_KEY": testAPIKey,
		"SLACK_APP_TOKEN": "", "REDIS_URL": "rediss://:pw@redis.internal:6380/0"}
	for _, tc := range []struct {
		name   string
		secret map[string]string
		want   []string // variables named; none: valid
	}{
		{"as it is", template, []string{"SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SMALLEST_API_KEY", "REDIS_URL"}},
		{"filled but REDIS_URL", with(filled, "REDIS_URL", template["REDIS_URL"]), []string{"REDIS_URL"}},
		{"filled with an empty REDIS_URL", with(filled, "REDIS_URL", ""), []string{"REDIS_URL"}},
		{"filled", filled, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := with(vars)
			for key, v := range tc.secret {
				env[key] = v
			}
			setEnv(t, env)
			_, err := loadConfig()
			if tc.want == nil {
				if err != nil {
					t.Errorf("the filled-in Secret does not validate: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("loadConfig = %v, want a *ConfigError", err)
			}
			for _, name := range tc.want {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("%s not named: %v", name, err)
				}
			}
			if len(ce.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d: %q", len(ce.Problems), len(tc.want), ce.Problems)
			}
		})
	}
}
