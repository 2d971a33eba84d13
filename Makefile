# forensics — build, test and measure. `make help` lists the targets.
GO      ?= go
BIN     := bin/forensics
PKGS    := ./...
FUZZTIME ?= 60s

.PHONY: help build test unit e2e ollama report-tools redis clients hfref bench lint fuzz measure demo walkthrough experiments calibrate bench-go clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

# The build names its revision (forensics version; every evidence file).
# Go stamps it itself with -buildvcs (off in some machines' GOFLAGS, and
# blind to git worktrees, whose .git is a file), so the linker is given it
# too; outside a git checkout (a tarball) both are empty and the binary
# says it is unstamped.
GIT_REVISION = $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && git rev-parse HEAD)
GIT_TIME     = $(shell TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd)
GIT_MODIFIED = $(shell [ -n "$$(git status --porcelain)" ] && echo true || echo false)
STAMP        = $(if $(GIT_REVISION),-X forensics/internal/buildinfo.revision=$(GIT_REVISION) -X forensics/internal/buildinfo.commitTime=$(GIT_TIME) -X forensics/internal/buildinfo.modified=$(GIT_MODIFIED))

# Outside a checkout of its own (a tarball unpacked inside another
# repository), Go's own stamp would name that repository's commit: off.
build: ## build bin/forensics, stamped with its git revision
	$(GO) build -buildvcs=$(if $(GIT_REVISION),auto,false) -ldflags '$(STAMP)' -o $(BIN) ./cmd/forensics

test: ollama report-tools clients hfref redis ## every test (the README's test command): the suite under the race detector, then the end-to-end tests against a real Ollama (alone and without it: they measure timing, and a busy machine hides or fakes a timing channel)
	@echo "$(GO) test -race -count=1 -timeout 40m (every package but e2e)"; \
	FORENSICS_REQUIRE_REPORT_TOOLS=1 FORENSICS_REQUIRE_REDIS=1 FORENSICS_REQUIRE_HFREF=1 $(GO) test -race -count=1 -timeout 40m $$($(GO) list $(PKGS) | grep -v '/e2e$$'); rc=$$?; \
	echo "== e2e ($(GO) test -count=1 ./e2e)"; \
	FORENSICS_REQUIRE_CLIENTS=1 FORENSICS_REQUIRE_REDIS=1 FORENSICS_OLLAMA_BIN=$$(scripts/build-ollama.sh) $(GO) test -count=1 -timeout 30m ./e2e; erc=$$?; \
	[ $$rc -eq 0 ] && [ $$erc -eq 0 ]

unit: ## the tests that need no Ollama (e2e ones skip and say so), under a minute
	$(GO) test -count=1 $(PKGS)

e2e: ollama clients ## only the end-to-end tests against a real Ollama (the npm clients' suite included)
	FORENSICS_REQUIRE_CLIENTS=1 FORENSICS_REQUIRE_REDIS=1 FORENSICS_OLLAMA_BIN=$$(scripts/build-ollama.sh) $(GO) test -count=1 -v -timeout 30m ./e2e

report-tools: ## install pdftotext and chromium for the report tests (apt, if missing)
	scripts/install-report-tools.sh

redis: ## install Debian's redis-server (if missing) for the shared-state tests, which start their own servers
	scripts/install-redis.sh

clients: ## install Node.js (apt, if missing) and the pinned openai and ollama npm clients into e2e/clients/node_modules
	scripts/install-clients.sh

hfref: ## install Hugging Face's JS tokenizers and Jinja and real models' tokenizer files into e2e/hfref/node_modules (the agreement tests' reference)
	scripts/install-hfref.sh

ollama: ## build (or reuse the cached) pinned Ollama from the Go module proxy
	scripts/build-ollama.sh >/dev/null

bench: build ## one table of speeds and their ratios to baselines, measured in one run
	./$(BIN) bench

bench-go: ## every Go benchmark (one core; compare ratios within one run)
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 $(PKGS)

STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

lint: ## gofmt, go vet, staticcheck, functions of at most 80 lines, and the docs' relative links (installed from the Go module proxy if missing)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@[ -x $(STATICCHECK) ] && $(STATICCHECK) -version | grep -q $(STATICCHECK_VERSION:v%=%) || GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) $(PKGS)
	$(GO) run ./scripts/funclen -max 80 .
	@if command -v python3 >/dev/null; then python3 scripts/check-links.py .; else echo 'python3 missing: relative links in README.md and docs/ not checked'; fi

fuzz: ## run every fuzz target of PKGS (found, not listed: scripts/fuzz-all.sh) for FUZZTIME each (default 60s)
	GO=$(GO) scripts/fuzz-all.sh $(FUZZTIME) $(PKGS)

measure: build ## the long measurements (every test's full size under FORENSICS_MEASURE=1, the innocent-suspect suite)
	bash -o pipefail -c 'FORENSICS_MEASURE=1 $(GO) test -count=1 -v -timeout 120m $(PKGS) 2>&1 | tee measure.log'
	./$(BIN) calibrate --innocent --out docs/calibration

demo: build ## the main job on the embedded model: serve, harvest, distil, scan, probe, report, verify
	./$(BIN) demo --out .demo
	./$(BIN) verify --key .demo/keys/main.yaml --pub .demo/keys/signer.key.pub --ledger-pub .demo/keys/signer.key.pub --request-log .demo/gateway/requests.jsonl .demo/evidence-student

experiments: build ## the distillation experiment (docs/experiments)
	./$(BIN) experiments distill --out docs/experiments

calibrate: build ## empirical against nominal false-positive rates (docs/calibration; copied for reports)
	./$(BIN) calibrate --out docs/calibration
	cp docs/calibration/calibration.json report/calibration.json

walkthrough: build ## the watermark by hand: keygen, generate, detect, a gateway answer
	./scripts/demo.sh

clean: ## remove build output and the demo folder (not the Ollama cache)
	rm -rf bin .demo .walkthrough
