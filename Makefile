# atomsbot — see README.md. Every target works on a fresh machine with Go 1.26.
GO        ?= go
PKGS      := ./...
BENCHTIME ?= 1s
# staticcheck, pinned: `go run pkg@version` fetches and builds it on a fresh
# machine (cached afterwards) without touching go.mod.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test build vet fmt fmt-check staticcheck bench fuzz lint docker clean

## run: the sandbox — embedded Redis, Atoms simulator, local Slack stand-in (no credentials);
##      ADDR picks where the page is served (make run ADDR=localhost:3001)
ADDR ?= localhost:3000
run:
	@$(GO) build -o bin/atomsbot ./cmd/atomsbot
	@exec ./bin/atomsbot -sandbox -addr '$(ADDR)'

## test: everything CI runs (gofmt check, go vet, staticcheck, go test -race; uses a real Redis when REDIS_URL is set)
test: lint
	$(GO) test -race -count=1 $(PKGS)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/atomsbot ./cmd/atomsbot
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/atomsim ./cmd/atomsim

vet:
	$(GO) vet $(PKGS)

staticcheck:
	GOFLAGS=-mod=mod $(GO) run $(STATICCHECK) $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

fmt-check:
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## bench: benchmarks with allocations (set REDIS_URL for the Redis-backed ones)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

## fuzz: run each fuzz target for FUZZTIME (CI runs only their seed corpora, via make test)
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./bot/command -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./bot -run '^$$' -fuzz FuzzDecodeInteraction -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./bot -run '^$$' -fuzz FuzzParseSlashCommand -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

lint: fmt-check vet staticcheck

docker:
	docker build -t atomsbot:dev .

clean:
	rm -rf bin
