# One Makefile for people, CI and `sam build` (BuildMethod: makefile calls build-<LogicalId>).
GO            ?= go
ARTIFACTS_DIR ?= $(CURDIR)/.aws-sam/build/manual
# Lambda runs arm64; tests that run a bootstrap locally set LAMBDA_ARCH to the host's.
LAMBDA_ARCH   ?= arm64
LAMBDA_FLAGS  := -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: run test test-fast bench fuzz lint build clean

run: ## serve the gateway on http://127.0.0.1:3000 (ADDR, SEED_FILE and the security settings from the environment)
	$(GO) run ./cmd/localapi $(ARGS)

test: ## everything: vet, unit, handler and integration tests
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-fast: ## unit and handler tests only (no moto, RIE or cfn-lint)
	$(GO) test -short -count=1 ./...

build: build-LoginFunction build-VerifyFunction

build-LoginFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/login

build-VerifyFunction:
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/verify

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	cfn-lint template.yaml

clean:
	rm -rf .aws-sam
