#!/usr/bin/env bash
# Benchmark mirror-sync against `aws s3 sync` (Debian's awscli) on the same
# generated repository of 2,000 small packages, served by versitygw on
# loopback, in one run. Needs versitygw, rpmbuild, createrepo_c and awscli.
# Prints the table and writes it to bench-out/mirror-sync.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-out
MIRRORSYNC_BENCH=1 MIRRORSYNC_BENCH_OUT="$PWD/bench-out/mirror-sync.txt" \
  go test -count=1 -run '^TestBenchmarkAgainstAWSCLI$' -v ./mirror-sync/ | grep -v '^time='
cat bench-out/mirror-sync.txt
