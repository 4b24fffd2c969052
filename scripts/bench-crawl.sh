#!/usr/bin/env bash
# Benchmark `metalinkd crawl`: 300 mirrors x 50 directories (15,000
# repomd.xml checks), each mirror a Go file server on its own loopback
# address, recorded in a fresh embedded store, or in PostgreSQL when
# BENCH_DATABASE_URL names an empty database migrated by `metalinkd
# migrate`. Prints wall time, requests per second, the crawl's peak RSS
# and the TCP connections the mirrors accepted; writes the same to
# bench-out/crawl.txt. MIRRORS, DIRS and CONCURRENCY change the size.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_EC2_METADATA_DISABLED=true
mkdir -p bench-out
bin="$(mktemp -d)/metalinkd"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/metalinkd
go run ./scripts/benchcrawl -metalinkd "$bin" -mirrors "${MIRRORS:-300}" -dirs "${DIRS:-50}" \
  -concurrency "${CONCURRENCY:-32}" -database-url "${BENCH_DATABASE_URL:-}" | tee bench-out/crawl.txt
