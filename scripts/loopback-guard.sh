#!/usr/bin/env bash
# Runs a command so that neither it nor any process it starts can reach an
# address off this machine, and fails when one tried: the tests may talk to
# loopback only (in particular never to a cloud's instance metadata address,
# which the AWS SDK's default credential chain asks when no credentials are
# set). The work is done by scripts/loopguard (a seccomp filter whose
# connect() and addressed sendto() calls it answers; no ptrace), built here.
#
#   scripts/loopback-guard.sh COMMAND [ARGS...]   exit status: the command's,
#                                                 or 97 when it dialled out
#                                                 (such calls fail with
#                                                 ENETUNREACH and are listed)
#   scripts/loopback-guard.sh --self-test         proves the guard lets
#                                                 loopback through and
#                                                 refuses and reports the rest
set -euo pipefail
bin="${TMPDIR:-/tmp}/metalinkd-loopguard-$(id -u)"
(cd "$(dirname "$0")/.." && go build -o "$bin" ./scripts/loopguard)
exec "$bin" "$@"
