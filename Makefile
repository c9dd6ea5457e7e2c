# One Makefile for people, CI and `sam build` (BuildMethod: makefile calls build-<LogicalId>).
GO            ?= go
ARTIFACTS_DIR ?= $(CURDIR)/.aws-sam/build/manual
# Lambda runs arm64; tests that run a bootstrap locally set LAMBDA_ARCH to the host's.
LAMBDA_ARCH   ?= arm64
LAMBDA_FLAGS  := -tags lambda.norpc -trimpath -ldflags='-s -w'
# The Lambda Runtime Interface Emulator the integration tests run the bootstraps under, pinned.
RIE_VERSION   := v0.0.0-20261030222936-bef5c4ba774d
RIE_STAMP     := bin/.aws-lambda-rie-$(RIE_VERSION)

.PHONY: run tools web-tools screenshots test test-fast bench fuzz lint build clean deploy-local

run: ## serve the gateway on http://127.0.0.1:3000 and its DynamoDB on 127.0.0.1:8000 (ADDR, LOCAL_DYNAMODB_ADDR, SEED_FILE and the security settings from the environment)
	$(GO) run ./cmd/localapi $(ARGS)

tools: $(RIE_STAMP) ## install the test tools into bin/ (the RIE; moto_server and cfn-lint come from the machine)

# The stamp names the version, so changing RIE_VERSION reinstalls; a missing binary does too.
$(RIE_STAMP):
	GOBIN=$(CURDIR)/bin $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)
	rm -f bin/.aws-lambda-rie-*
	touch $@
ifeq ($(wildcard bin/aws-lambda-rie),)
.PHONY: $(RIE_STAMP)
endif

# The hosted pages' browser tests drive Debian's chromium (apt-get install chromium) with the npm
# packages pinned in web/test/package-lock.json; without them those tests skip, except under CI=true.
web-tools: web/test/node_modules/.package-lock.json ## install the browser tests' npm packages into web/test/node_modules

web/test/node_modules/.package-lock.json: web/test/package.json web/test/package-lock.json
	cd web/test && npm ci --no-audit --no-fund

screenshots: web-tools ## write docs/screenshots/*.png of the hosted pages with the browser tests' harness
	WEB_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestHostedPagesInBrowser$$' ./cmd/localapi/

test: tools ## everything: vet, unit, handler and integration tests, and each Go benchmark run once
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./shared/...

test-fast: ## unit and handler tests only (no moto, RIE or cfn-lint)
	$(GO) test -short ./...

build: build-LoginFunction build-VerifyFunction build-AuthorizerFunction build-ApplicationsFunction build-AccountFunction build-WebFunction

build-LoginFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/login

build-VerifyFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/verify

build-AuthorizerFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/authorizer

build-ApplicationsFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/applications

build-AccountFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/account

build-WebFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/web

deploy-local: ## deploy template.yaml on moto as sam build and sam deploy would (builds, zips, SAM transform, stack) and print its outputs; moto keeps serving until Ctrl-C (ARGS: --endpoint URL, --param Key=Value, --stack NAME)
	$(GO) run ./cmd/deploylocal $(ARGS)

bench: ## measure against floors (cold start, init, login vs hash, round trips, warm p50/p99 on the embedded engine and moto, size, RSS, Go benchmarks); prints one table, writes docs/performance.md
	-@$(MAKE) --no-print-directory tools
	$(GO) run ./cmd/bench $(ARGS)

FUZZTIME ?= 20s
fuzz: ## run every fuzz target for FUZZTIME each (their seed corpus also runs in make test)
	for target in FuzzLogin FuzzVerify FuzzResend FuzzApplications FuzzAuthorizer; do \
		$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) ./shared/httpapi/ || exit 1; \
	done

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	cfn-lint template.yaml

clean:
	rm -rf .aws-sam
