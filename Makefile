# Developer commands. Recipes stay thin: the logic lives in scripts/.
# Quick start on Debian/Ubuntu with Swift installed: `make run`, `make test`.

SHELL := bash
.DEFAULT_GOAL := help

PORT ?= 8080
ARGS ?=
SWIFT_TEST_ARGS ?=
PGPORT_PRIVATE ?= 54320
export PORT ARGS SWIFT_TEST_ARGS PGPORT_PRIVATE

.PHONY: help deps build release run test stop db psql clean chaos browser-test deploy-check backup-test \
	contract-test fuzz fuzz-smoke asan bench bench-http lint shellcheck format-check

help: ## List the targets
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  %-13s %s\n", $$1, $$2 }'
	@echo "Variables: PORT=$(PORT) ARGS='$(ARGS)' SWIFT_TEST_ARGS='$(SWIFT_TEST_ARGS)' PGPORT_PRIVATE=$(PGPORT_PRIVATE)"
	@echo "Set DATABASE_URL to use your own PostgreSQL instead of a private cluster."

deps: ## Install the missing system packages (apt-get)
	scripts/deps.sh

build: deps ## Debug build, tests included
	swift build --build-tests

release: deps ## Release build of the imageproc binary
	swift build -c release --product imageproc

run: ## Start the private PostgreSQL (.data/postgres), build for release, serve on PORT
	scripts/run.sh

test: ## Every test (swift test, the page in Chromium, chaos) on throwaway PostgreSQL; SWIFT_TEST_ARGS for swift test
	scripts/test.sh

chaos: ## Only the durability tests: crash, two replicas, database restart, SIGTERM, idempotency
	scripts/chaos.sh

browser-test: ## Only the page's Selenium test, against a running imageproc (IMAGEPROC_URL=http://127.0.0.1:PORT)
	scripts/browser-test.sh

contract-test: ## Only schemathesis against a live server, checking openapi.yaml (DATABASE_URL or the private cluster)
	scripts/contract-test.sh

fuzz: ## Run each libFuzzer harness for FUZZ_SECONDS (default 600)
	scripts/fuzz.sh $${FUZZ_SECONDS:-600}

fuzz-smoke: ## Each libFuzzer harness for 100000 inputs from a fixed seed, at most 90 s (CI; repeatable)
	FUZZ_RUNS=100000 FUZZ_SEED=1 scripts/fuzz.sh 90

asan: deps ## The image kernel's tests under AddressSanitizer (separate build in .build-asan)
	swift test --sanitize=address --scratch-path .build-asan --disable-xctest \
		--filter 'ImageKernel|ImageError|ImageFormat|ProcessingOptions'

bench: ## Benchmark imageproc against pyvips, Pillow and the libjpeg decode floor (bench/README.md)
	bench/bench.sh

bench-http: ## imageproc's HTTP server against a Hummingbird 2 hello-world, wrk at 32 and 256 connections
	bench/http.sh

lint: shellcheck format-check ## shellcheck, then format-check

shellcheck: ## shellcheck on every shell script git tracks (Debian's shellcheck, installed when missing)
	scripts/shellcheck.sh

format-check: ## Swift and C against .swift-format/.clang-format: 120 columns, whitespace, clang-format (pinned)
	scripts/format-check.sh

deploy-check: ## Check Dockerfile and k8s/ (kustomize, kubernetes-validate, checkov, backup-test, static build + ldd)
	scripts/check-deploy.sh

.PHONY: failover-test
failover-test: ## Only the failover: a synchronous standby promoted under upload load (ports 55601-2, 18601-2)
	scripts/failover-test.sh

backup-test: ## Only the backup and restore of k8s/base/backup/backup.sh against a throwaway PostgreSQL (port 55733)
	scripts/backup-test.sh

.PHONY: image image-check
image: ## Build the Dockerfile with podman as imageproc:dev (installs podman; local stand-ins for the base images)
	scripts/image.sh build

image-check: image ## Run imageproc:dev as k8s/base does against a throwaway PostgreSQL: upload, results, HEALTHCHECK
	scripts/image.sh check

stop: ## Stop the private PostgreSQL that `make run` started
	scripts/pg.sh stop

db: ## Start the private PostgreSQL only and print its DATABASE_URL
	scripts/pg.sh start

psql: ## Open psql on the private database
	scripts/pg.sh psql

clean: ## Remove build products, including the static (deploy-check, bench) and sanitizer builds; keeps the database
	swift package clean
	rm -rf .build-static .build-asan
