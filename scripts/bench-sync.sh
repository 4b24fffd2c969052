#!/usr/bin/env bash
# Benchmark mirror-sync against `aws s3 sync` (Debian's awscli) on the same
# generated repository of 2,000 small packages, served by versitygw on
# loopback, in one run; then multipart uploads of three 200 MiB files with
# parts one at a time and part_concurrency at once, alternating for three
# rounds. Needs versitygw, rpmbuild, createrepo_c and awscli. Prints the
# tables and writes them to bench-out/mirror-sync.txt and
# bench-out/mirror-sync-multipart.txt. MIRRORSYNC_BENCH_FILES and
# MIRRORSYNC_BENCH_ROUNDS change the multipart case's file count and rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-out
MIRRORSYNC_BENCH=1 MIRRORSYNC_BENCH_OUT="$PWD/bench-out/mirror-sync.txt" \
  MIRRORSYNC_BENCH_OUT_MULTIPART="$PWD/bench-out/mirror-sync-multipart.txt" \
  go test -count=1 -timeout 30m -run '^(TestBenchmarkAgainstAWSCLI|TestBenchmarkMultipart)$' -v ./mirror-sync/ | grep -v '^time='
cat bench-out/mirror-sync.txt bench-out/mirror-sync-multipart.txt
