# Personal access token service. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

FUNCTIONS := $(notdir $(wildcard functions/*))
# The release's semantic version, in one place: stamped into every binary.
VERSION := $(shell cat VERSION)
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags="-s -w -X github.com/patservice/pat/internal/version.Version=$(VERSION)" -buildvcs=false
BIN := bin

.PHONY: help run test test-unit bench lint check-template fuzz build bootstraps release publish clean screenshots

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

run: ## Start DynamoDB Local, the SES emulator, the console and the API on 127.0.0.1:8080 (PAT_ADDR to change)
	@# A built binary, not go run: go run exits 1 after Ctrl-C whatever the server does.
	go build -o $(BIN)/devserver ./infra/devserver
	infra/stack.sh $(BIN)/devserver

test: lint check-template ## Every test, with -race, against DynamoDB Local, the SES emulator and Chromium (installed if missing)
	node --test internal/console/assets/*.test.mjs
	infra/browser.sh
	infra/stack.sh go test -race -count=1 ./...

screenshots: ## Run the console's browser tests and save their screenshots into docs/screenshots
	infra/browser.sh
	PAT_SCREENSHOTS=docs/screenshots infra/stack.sh go test -count=1 -run 'TestConsoleInABrowser|TestConsoleSpeaksGermanDutchAndEnglish' ./internal/console

test-unit: ## Tests that need no emulator (integration tests skip)
	go test -race -count=1 ./...

bench: $(BIN)/authorizer/bootstrap ## Benchmarks against the local stack (ns/op, allocs/op, ratios) and the authorizer's binary size
	infra/stack.sh go test -p 1 -run '^$$' -bench . -benchmem ./...
	@echo "authorizer binary (linux/arm64, stripped): $$(stat -c %s $(BIN)/authorizer/bootstrap) bytes"

fuzz: ## Fuzz token and Authorization header parsing, FUZZTIME each (default 60s)
	go test -run '^$$' -fuzz FuzzParse -fuzztime $${FUZZTIME:-60s} ./internal/token
	go test -run '^$$' -fuzz FuzzAuthorizationHeader -fuzztime $${FUZZTIME:-60s} ./internal/authz

lint: ## gofmt, go vet and Redocly's recommended rules on openapi.yaml (redocly.yaml)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	@# Redocly CLI is one of infra's npm packages: installed first on a fresh clone.
	infra/stack.sh --install
	infra/node_modules/.bin/redocly lint openapi.yaml

check-template: ## cfn-lint, SAM transform and checks of template.yaml, templates/ and infra/examples/
	infra/cfn/check.sh

build: $(addprefix $(BIN)/,$(addsuffix /bootstrap,$(FUNCTIONS))) ## arm64 bootstrap binaries for every function, in bin/

$(BIN)/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_LAMBDA) -o $@ ./functions/$*

# The Lambda suite (internal/lambdarun) runs every bootstrap under the
# Runtime Interface Emulator, which runs them on this machine: the same
# flags as build, for this machine's architecture (deployment is arm64),
# all in one go build (shared packages compiled once, in parallel).
LAMBDA_ARCH ?= $(shell go env GOARCH)
bootstraps: ## Every function's bootstrap for this machine (LAMBDA_ARCH to change) into OUT/<function>/bootstrap
	@test -n "$(OUT)" || { echo "usage: make bootstraps OUT=<directory> [LAMBDA_ARCH=arm64]" >&2; exit 2; }
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_ARCH) go build $(GOFLAGS_LAMBDA) -o $(OUT)/.build/ $(addprefix ./functions/,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do mkdir -p $(OUT)/$$f && mv $(OUT)/.build/$$f $(OUT)/$$f/bootstrap || exit 1; done; rmdir $(OUT)/.build

# A release: every function built as sam build builds it for Lambda
# (arm64, the same flags), zipped as Lambda takes it, reproducibly (fixed
# timestamps and modes, no extra attributes: the same commit gives the same
# bytes, internal/release tests it), with the checksums of the zips.
RELEASE_OUT ?= dist/$(VERSION)
release: ## Every function for Lambda (arm64), zipped reproducibly, with SHA256SUMS, into RELEASE_OUT (default dist/<VERSION>)
	rm -rf $(RELEASE_OUT) && mkdir -p $(RELEASE_OUT)
	$(MAKE) --no-print-directory bootstraps OUT=$(RELEASE_OUT)/.functions LAMBDA_ARCH=arm64
	@set -e; out=$$(cd $(RELEASE_OUT) && pwd); for f in $(FUNCTIONS); do \
	  chmod 755 $$out/.functions/$$f/bootstrap; TZ=UTC touch -t 198001010000 $$out/.functions/$$f/bootstrap; \
	  (cd $$out/.functions/$$f && TZ=UTC zip -q -X $$out/$$f.zip bootstrap); \
	done; rm -rf $$out/.functions; \
	cd $$out && if command -v sha256sum >/dev/null; then sha256sum *.zip; else shasum -a 256 *.zip; fi > SHA256SUMS
	@echo "release $(VERSION): $(RELEASE_OUT)/*.zip and $(RELEASE_OUT)/SHA256SUMS"

publish: ## Publish VERSION to the Serverless Application Repository, nested applications first (REGION=, BUCKET=; needs the SAM and AWS CLIs)
	REGION=$(REGION) BUCKET=$(BUCKET) infra/sar/publish.sh

clean: ## Remove build output and emulator logs
	rm -rf $(BIN) dist .aws-sam infra/.logs

FORCE:

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR,
# for the functions of template.yaml and of every stack it nests (their
# CodeUri is this directory). Logical ids are the function directories in
# CamelCase + "Function" (create-token: CreateTokenFunction), the rule of
# samstack.LogicalID; internal/stackcheck runs these targets for every
# function of the templates. POSIX awk computes them: GNU sed can upper-case,
# the sed of macOS cannot. Each entry is build-<LogicalId>:<dir>.
SAM_TARGETS := $(shell printf '%s\n' $(FUNCTIONS) | awk -F- '{ id = ""; for (i = 1; i <= NF; i++) id = id toupper(substr($$i, 1, 1)) substr($$i, 2); print "build-" id "Function:" $$0 }')
define sam_target
$(word 1,$(subst :, ,$(1))): $(BIN)/$(word 2,$(subst :, ,$(1)))/bootstrap
	cp $$< $$(ARTIFACTS_DIR)/bootstrap
endef
$(foreach t,$(SAM_TARGETS),$(eval $(call sam_target,$(t))))
