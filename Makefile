# stagebuild: `make run` builds the example's service image with its tests
# gating it; `make test` runs every test. Both bring up the hermetic
# environment first (runc, buildkitd, a local registry mirror, base images).
GO      ?= go
EXAMPLE ?= examples/python-service
OUT     ?= out

.PHONY: all build probe env run test unit integration lint clean down bench fuzz docs

all: build

build: bin/buildkitd
	$(GO) build -o bin/stagebuild ./cmd/stagebuild

# The probe program stagebuild runs on the daemon's network (readiness,
# smoke checks, ports): static and small, committed in internal/probebin.
# Rebuild it after editing cmd/stagebuild-probe or internal/probe.
probe:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w -buildid=' -o internal/probebin/stagebuild-probe ./cmd/stagebuild-probe
	$(GO) test -count=1 ./internal/probebin -run TestProbeUpToDate -args -update

bin/buildkitd: go.mod go.sum
	$(GO) build -o bin/buildkitd github.com/moby/buildkit/cmd/buildkitd

# buildctl from the same pinned module, for the benchmark baselines.
bin/buildctl: go.mod go.sum
	$(GO) build -o bin/buildctl github.com/moby/buildkit/cmd/buildctl

# Benchmarks stagebuild against buildctl + an equivalent Dockerfile on a
# private buildkitd and writes BENCHMARKS.md. BENCHFLAGS="-runs 3 -scenarios noop".
# Then the lockfile shape (the example as a uv project, -pipeline lock; its
# flags in LOCKBENCHFLAGS), whose report goes to $(OUT)/BENCHMARKS-lock.md
# and its "Lockfile shape" section into BENCHMARKS.md.
bench: env build bin/buildctl
	$(GO) run ./bench -o BENCHMARKS.md $(BENCHFLAGS)
	mkdir -p $(OUT)
	$(GO) run ./bench -pipeline lock -o $(OUT)/BENCHMARKS-lock.md $(LOCKBENCHFLAGS)
	$(GO) run ./bench -merge $(OUT)/BENCHMARKS-lock.md -scenarios lock -o BENCHMARKS.md

# Idempotent and cached: installs runc/debootstrap if missing, starts the
# registry on 127.0.0.1:5100, builds and pushes the base images, installs the
# buildkitd config. Fast when already up.
env: bin/buildkitd
	$(GO) run ./testenv/envctl up

# The main job: the service image of the example, gated by its tests, on a
# local buildkitd that stagebuild starts itself.
run: env build
	bin/stagebuild build $(EXAMPLE) --target service -o type=oci,dest=$(OUT)/service.tar
	@echo "service image: $(OUT)/service.tar"

# Regenerates docs/reference (one page per command: usage, flags, exit codes)
# from the cobra tree; cli's TestReferenceUpToDate fails when it is stale.
docs:
	$(GO) run docs/generate.go docs/reference

# Fuzzes the pipeline parser, the JUnit parser and the requirements and
# lockfile parsers, FUZZTIME each (10 minutes per target by default, 40 in all).
# Not part of `make test`; a crasher lands in the package's testdata/fuzz/
# and then fails `go test` until it is fixed.
FUZZTIME ?= 10m
fuzz:
	$(GO) test ./pipeline -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./report -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzRequirements$$' -fuzztime $(FUZZTIME)
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzLockfiles$$' -fuzztime $(FUZZTIME)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1)
	$(GO) vet ./...

unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /integration)

integration: env build
	$(GO) test -count=1 -timeout 60m ./integration/

test: env build lint
	$(GO) test -count=1 -timeout 60m ./...

down:
	$(GO) run ./testenv/envctl down

clean:
	rm -rf bin $(OUT)
