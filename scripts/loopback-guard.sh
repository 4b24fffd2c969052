#!/usr/bin/env bash
# Runs a command under strace, recording every connect() of it and of every
# process it starts, and fails when any of them asked for an address that is
# not on this machine: the tests may talk to loopback only (in particular
# never to a cloud's instance metadata address, which the AWS SDK's default
# credential chain asks when no credentials are set).
#
#   scripts/loopback-guard.sh COMMAND [ARGS...]   exit status: the command's,
#                                                 or 97 when it dialled out
#   scripts/loopback-guard.sh --self-test         proves the guard notices a
#                                                 non-loopback connect
#
# Only the connect() system call is traced (seccomp-filtered), so the
# command runs at nearly full speed. The self-test connects a UDP socket,
# which sends no packet.
set -uo pipefail

violations() {
  # AF_INET: anything outside 127.0.0.0/8 and 0.0.0.0 (this host);
  # AF_INET6: anything but ::1, ::, and v4-mapped loopback.
  grep -E 'connect\(' "$1" |
    grep -E 'AF_INET6?' |
    grep -vE 'inet_addr\("(127\.[0-9.]+|0\.0\.0\.0)"\)' |
    grep -vE 'inet_pton\(AF_INET6, "(::1|::|::ffff:127\.[0-9.]+)"' || true
}

# programs names, for each thread id that dialled out, the program it ran
# in: the last execve of the thread or of the nearest ancestor that made it
# by clone, with its arguments.
programs() {
  local trace=$1 bad=$2
  awk -v bad="$bad" '
    BEGIN { n = split(bad, lines, "\n"); for (i = 1; i <= n; i++) { split(lines[i], f, " "); if (f[1] != "") want[f[1]] = 1 } }
    ($2 ~ /^clone3?\(/ || $2 == "<..." && $3 ~ /^clone3?$/) && $NF ~ /^[0-9]+$/ { parent[$NF] = $1 }
    $2 ~ /^execve\(/ && $NF == "0" { line = $0; sub(/^[0-9]+ +/, "", line); exe[$1] = line }
    END {
      for (t in want) {
        p = t
        while (p != "" && !(p in exe)) p = parent[p]
        print "  thread " t ": " (p == "" ? "program unknown" : substr(exe[p], 1, 300))
      }
    }' "$trace"
}

guard() {
  local trace
  trace="$(mktemp)"
  strace -f -qq --seccomp-bpf -e trace=connect,execve,clone,clone3 -e signal=none -o "$trace" "$@"
  local status=$?
  local bad
  bad="$(violations "$trace")"
  if [ -n "$bad" ]; then
    echo "loopback guard: a process under test connected to a non-loopback address:" >&2
    printf '%s\n' "$bad" | head -20 >&2
    echo "loopback guard: the programs that did:" >&2
    programs "$trace" "$bad" | head -20 >&2
    rm -f "$trace"
    return 97
  fi
  rm -f "$trace"
  return "$status"
}

if [ "${1:-}" = "--self-test" ]; then
  if guard python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.0.0.1", 9))' 2>/dev/null; then :; else
    echo "loopback guard self-test: a loopback connect was flagged" >&2; exit 1
  fi
  if guard python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try: s.connect(("192.0.2.1", 9))
except OSError: pass' 2>/dev/null; then
    echo "loopback guard self-test: a non-loopback connect went unnoticed" >&2; exit 1
  fi
  echo "loopback guard: self-test passed"
  exit 0
fi
guard "$@"
