#!/usr/bin/env bash
# Runs the lint gates (gofmt, go vet, staticcheck: any finding fails) and the
# whole test suite, installing first what the tests need: the real
# yum clients and packaging tools from Debian, Versity's S3 gateway and AWS's
# metadata mock from the Go module proxy, and a running PostgreSQL.
# Idempotent: installed pieces are kept; run it as often as you like.
set -euo pipefail
cd "$(dirname "$0")/.."

# Nothing the tests start may ask a cloud's instance metadata address: the AWS
# SDK's default credential chain does when no credentials are set.
export AWS_EC2_METADATA_DISABLED=true

log() { printf '== %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages used by the real-client, packaging, load and browser tests.
pkgs=(dnf python3-librepo createrepo-c rpm aria2 wget2 curl wrk systemd chromium lighttpd rsync)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Real peers built from source through the Go module proxy (cached after the first time).
GOBIN="$(go env GOPATH)/bin"
export PATH="$GOBIN:$PATH"
if ! command -v versitygw >/dev/null; then
  log "building versitygw (a few minutes the first time)"
  (cd / && go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)
fi
if ! command -v ec2-metadata-mock >/dev/null; then
  log "building ec2-metadata-mock"
  (cd / && go install github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@v1.13.0)
fi
if ! command -v staticcheck >/dev/null; then
  log "building staticcheck"
  (cd / && go install honnef.co/go/tools/cmd/staticcheck@latest)
fi

# PostgreSQL on 127.0.0.1:5432 for the store contract suite.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  log "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

log "gofmt"
unformatted="$(gofmt -l .)"
if [ -n "$unformatted" ]; then
  printf 'not gofmt-formatted:\n%s\n' "$unformatted" >&2
  exit 1
fi

log "go vet"
go vet ./...

# The programs must build for other systems too (the sync worker and the
# guest helper run there; the server builds, with PostgreSQL as its store).
# Several packages at once: built and checked, no binary written.
for goos in windows darwin; do
  log "GOOS=$goos go build ./cmd/..."
  GOOS="$goos" go build ./cmd/...
done

log "staticcheck"
staticcheck ./...

# Tests run the go command (go list -deps, go build of the programs); every
# module and go.mod it may read is fetched here, before the guard, so that
# no test process needs the module proxy.
log "go mod download"
go mod download
go list -m all >/dev/null

log "go test (under the loopback guard: any connect to a non-loopback address fails the run)"
bash scripts/loopback-guard.sh --self-test >/dev/null
out="$(mktemp)"
status=0
bash scripts/loopback-guard.sh go test -count=1 -v -timeout 25m ./... >"$out" 2>&1 || status=$?
if [ "$status" -eq 97 ]; then
  grep -A20 '^loopback guard:' "$out" >&2
  echo "--- FAIL: the loopback guard saw a connection to a non-loopback address" >>"$out"
fi
grep -E '^(ok|FAIL|---)\s|^\s*--- (FAIL|SKIP)|^panic:' "$out" | grep -v -- '--- PASS' || true
if [ "$status" -ne 0 ]; then
  log "failures in detail:"
  grep -B2 -A30 -E '^\s*--- FAIL' "$out" | head -300 >&2 || tail -100 "$out" >&2
fi
passed=$(grep -cE '^\s*--- PASS' "$out" || true)
failed=$(grep -cE '^\s*--- FAIL' "$out" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$out" || true)
rm -f "$out"
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$status" -eq 0 ] || exit "$status"

# fuzz runs one fuzz target for a number of inputs; on a failure it prints go
# test's output (the failing input, and where it was written under
# testdata/fuzz). A count, not a duration: with -fuzztime=DURATION, Go 1.26's
# fuzzing coordinator can report its own deadline as a failure ("context
# deadline exceeded", no failing input; go.dev/issue/75804, fixed in 1.27).
# Each count is about 4-15 s of this machine's fuzzing.
fuzz() {
  local target=$1 pkg=$2 count=$3 out why=
  out="$(mktemp)"
  if ! go test -run='^$' -fuzz="^$target\$" -fuzztime="${count}x" "$pkg" >"$out" 2>&1; then
    why="failed"
  elif ! grep -q '^fuzz: elapsed' "$out"; then
    why="did not fuzz" # go test passes when -fuzz names no target
  fi
  if [ -n "$why" ]; then
    log "$target ($pkg) $why:"
    tail -60 "$out" >&2
  fi
  rm -f "$out"
  [ -z "$why" ]
}

log "fuzzing the network parsers briefly"
fuzz FuzzAnswer ./metalink 200000
fuzz FuzzParseMetalink ./internal/mm2 40000
fuzz FuzzParseMirrorlist ./internal/mm2 100000
fuzz FuzzParseListing ./internal/crawler 250000
fuzz FuzzParseChecksum ./internal/scan 750000
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
