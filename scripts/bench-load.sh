#!/usr/bin/env bash
# Load benchmark: metalinkd answering /metalink for a repository of MIRRORS
# (50) always-up-to-date mirrors, against a trivial Go handler (scripts/benchbaseline) that returns a body of
# the same size and Content-Type. Each server runs in turn with GOMAXPROCS=1
# pinned to one core while wrk runs pinned to the other, over loopback only.
# Prints the median req/s and p99 latency of each and the ratio.
#
# Usage: scripts/bench-load.sh
# Environment: RUNS (5), DURATION (10s), WARMUP (3s), CONNECTIONS (32),
# SERVER_CPU (0), LOAD_CPU (1), OUT_DIR (bench-out/load-DATE: raw wrk output),
# METRICS (0; 1 serves Prometheus metrics on a second loopback port, scraped
# once per run, to measure what counting costs the answers), MIRRORS (50),
# STATS (0; 1 counts request and countme statistics and flushes them to the
# store every STATS_FLUSH, 5s, so that runs include flushes; both runs a
# second metalinkd with statistics on, on a data directory of its own, and
# alternates the three servers, to compare statistics off and on under the
# same conditions), COUNTME (0; 1 adds countme=1 to every request, the
# statistics' costliest case), EXTRA_FLAGS (more flags for metalinkd
# serve, such as --answer-reuse 0 to draw every answer afresh).
set -euo pipefail

RUNS=${RUNS:-5}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
METRICS=${METRICS:-0}
STATS=${STATS:-0}
STATS_FLUSH=${STATS_FLUSH:-5s}
COUNTME=${COUNTME:-0}
MIRRORS=${MIRRORS:-50}
REPO_DIR=releases/41/Everything/x86_64/os
QUERY='/metalink?repo=fedora-41&arch=x86_64'
if [[ $COUNTME == 1 ]]; then
	QUERY+='&countme=1'
fi

cd "$(dirname "$0")/.."
OUT_DIR=${OUT_DIR:-bench-out/load-$(date -u +%Y%m%dT%H%M%SZ)}

die() { echo "bench-load: $*" >&2; exit 1; }

for tool in go wrk taskset curl; do
	command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install -y wrk util-linux curl)"
done
if (( $(nproc) < 2 )); then
	echo "bench-load: only one core: server and wrk share it, figures are pessimistic" >&2
	LOAD_CPU=$SERVER_CPU
fi

work=$(mktemp -d)
metalinkd_pid=
stats_pid=
baseline_pid=

# stop_pid ends one server we started, by its pid.
stop_pid() {
	local pid=$1
	[[ -n $pid ]] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	stop_pid "$metalinkd_pid"
	stop_pid "$stats_pid"
	stop_pid "$baseline_pid"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

# wait_ready polls url until it answers 200, or fails when pid has exited;
# the failure shows the end of the server's log when one is named.
wait_ready() {
	local url=$1 pid=$2 log=${3:-} i
	for i in $(seq 100); do
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || die "server (pid $pid) exited before answering $url${log:+:$'\n'$(tail -20 "$log")}"
		sleep 0.1
	done
	die "server (pid $pid) never answered $url"
}

# write_dataset writes a mirrors file with $MIRRORS always-up-to-date mirrors
# carrying the repository, and a master tree holding one repomd.xml.
write_dataset() {
	local i countries=(US DE FR NL GB SE CZ JP CA BR)
	{
		echo "mirrors:"
		for i in $(seq -w 1 "$MIRRORS"); do
			cat <<-EOF
			  - name: mirror-$i
			    country: ${countries[$((10#$i % ${#countries[@]}))]}
			    bandwidth: $((100 * 10#$i))
			    urls: ["http://mirror$i.example.org/pub/fedora/linux", "https://mirror$i.example.org/pub/fedora/linux"]
			    always_up_to_date: true
			EOF
		done
	} >"$work/mirrors.yaml"
	mkdir -p "$work/master/$REPO_DIR/repodata"
	cat >"$work/master/$REPO_DIR/repodata/repomd.xml" <<-'EOF'
	<?xml version="1.0" encoding="UTF-8"?>
	<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
	  <revision>1729000000</revision>
	  <data type="primary">
	    <checksum type="sha256">9a5b3c1d2e4f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9</checksum>
	    <open-checksum type="sha256">1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a</open-checksum>
	    <location href="repodata/9a5b3c1d2e4f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9-primary.xml.gz"/>
	    <timestamp>1729000000</timestamp>
	    <size>12345678</size>
	    <open-size>98765432</open-size>
	  </data>
	</repomd>
	EOF
}

# to_ms converts a wrk latency such as 850.00us, 1.23ms or 1.02s to ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n = n
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.3f", n
	}'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run_once NAME URL I loads URL for one timed run and appends its req/s and
# p99 (ms) to the NAME_rps and NAME_p99 arrays.
run_once() {
	local name=$1 url=$2 i=$3 out
	out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
	echo "$out" >"$OUT_DIR/$name-$i.txt"
	if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
		die "$name run $i had errors:"$'\n'"$out"
	fi
	local -n rps_arr="${name}_rps" p99_arr="${name}_p99"
	rps_arr+=("$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")")
	p99_arr+=("$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")")
	echo "  $name run $i: ${rps_arr[-1]} req/s, p99 ${p99_arr[-1]} ms" >&2
}

mkdir -p "$OUT_DIR"
echo "building metalinkd and the baseline" >&2
go build -o "$work/metalinkd" ./cmd/metalinkd
go build -o "$work/baseline" ./scripts/benchbaseline

write_dataset
data="$work/data"
"$work/metalinkd" import --data-dir "$data" "$work/mirrors.yaml" >&2
"$work/metalinkd" scan --data-dir "$data" --root "$work/master" >&2
if [[ $STATS == both ]]; then
	"$work/metalinkd" import --data-dir "$data-stats" "$work/mirrors.yaml" >/dev/null
	"$work/metalinkd" scan --data-dir "$data-stats" --root "$work/master" >/dev/null
fi

# metalinkd logs one line per request; the cost of formatting and writing it
# is part of what is measured, the lines themselves are not kept (the
# access log goes to /dev/null, the server's own log to OUT_DIR).
port=$(free_port)
metrics_flags=() metrics_url=
if [[ $METRICS == 1 ]]; then
	metrics_port=$(free_port)
	metrics_flags=(--metrics-listen "127.0.0.1:$metrics_port")
	metrics_url="http://127.0.0.1:$metrics_port/metrics"
fi
stats_flags=(--stats-flush 0)
if [[ $STATS == 1 ]]; then
	stats_flags=(--stats-flush "$STATS_FLUSH")
fi
GOMAXPROCS=1 taskset -c "$SERVER_CPU" "$work/metalinkd" serve --data-dir "$data" \
	--listen "127.0.0.1:$port" "${metrics_flags[@]}" "${stats_flags[@]}" \
	--access-log-file /dev/null ${EXTRA_FLAGS:-} 2>"$OUT_DIR/metalinkd.log" &
metalinkd_pid=$!
wait_ready "http://127.0.0.1:$port/healthz" "$metalinkd_pid" "$OUT_DIR/metalinkd.log"
metalinkd_url="http://127.0.0.1:$port$QUERY"
content_type=$(curl -fsS -o "$work/answer.xml" -w '%{content_type}' "$metalinkd_url")
urls=$(grep -o '<url ' "$work/answer.xml" | wc -l)
(( urls == 2 * MIRRORS )) || die "metalinkd listed $urls URLs, want $((2 * MIRRORS)):"$'\n'"$(cat "$work/answer.xml")"
size=$(wc -c <"$work/answer.xml")
cp "$work/answer.xml" "$OUT_DIR/answer.xml"
echo "metalinkd answers $size bytes ($content_type) listing $urls URLs of $MIRRORS mirrors" >&2

stats_url=
if [[ $STATS == both ]]; then
	port=$(free_port)
	GOMAXPROCS=1 taskset -c "$SERVER_CPU" "$work/metalinkd" serve --data-dir "$data-stats" \
		--listen "127.0.0.1:$port" --stats-flush "$STATS_FLUSH" \
		--access-log-file /dev/null 2>"$OUT_DIR/metalinkd-stats.log" &
	stats_pid=$!
	wait_ready "http://127.0.0.1:$port/healthz" "$stats_pid" "$OUT_DIR/metalinkd-stats.log"
	stats_url="http://127.0.0.1:$port$QUERY"
fi

port=$(free_port)
GOMAXPROCS=1 taskset -c "$SERVER_CPU" "$work/baseline" -listen "127.0.0.1:$port" \
	-body "$work/answer.xml" -content-type "$content_type" &
baseline_pid=$!
baseline_url="http://127.0.0.1:$port$QUERY"
wait_ready "$baseline_url" "$baseline_pid"

# Both servers wait on the same core; runs alternate between them so that a
# drift in the machine's speed touches both alike.
echo "metalinkd (pid $metalinkd_pid) and baseline (pid $baseline_pid) on core $SERVER_CPU, wrk on core $LOAD_CPU" >&2
taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "$metalinkd_url" >/dev/null
taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "$baseline_url" >/dev/null
if [[ -n $stats_url ]]; then
	taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "$stats_url" >/dev/null
fi
metalinkd_rps=() metalinkd_p99=() baseline_rps=() baseline_p99=() stats_rps=() stats_p99=()
for i in $(seq "$RUNS"); do
	run_once metalinkd "$metalinkd_url" "$i"
	if [[ -n $metrics_url ]]; then
		curl -fsS -o "$OUT_DIR/metrics-$i.txt" "$metrics_url" || die "metrics scrape failed"
	fi
	if [[ -n $stats_url ]]; then
		run_once stats "$stats_url" "$i"
	fi
	run_once baseline "$baseline_url" "$i"
done
stop_pid "$metalinkd_pid"
metalinkd_pid=
stop_pid "$stats_pid"
stats_pid=
stats_dir=
case $STATS in
1) stats_dir=$data ;;
both) stats_dir=$data-stats ;;
esac
if [[ -n $stats_dir ]]; then
	# The last flush ran at shutdown: the store holds every request answered.
	"$work/metalinkd" stats --data-dir "$stats_dir" --by repo --csv >"$OUT_DIR/stats.csv" ||
		die "metalinkd stats failed"
	echo "statistics kept: $(tail -n +2 "$OUT_DIR/stats.csv" | tr '\n' ' ')" >&2
fi
stop_pid "$baseline_pid"
baseline_pid=
m_rps=$(printf '%s\n' "${metalinkd_rps[@]}" | median) m_p99=$(printf '%s\n' "${metalinkd_p99[@]}" | median)
b_rps=$(printf '%s\n' "${baseline_rps[@]}" | median) b_p99=$(printf '%s\n' "${baseline_p99[@]}" | median)

{
	case $STATS in
	1) stats_note="on, flushed every $STATS_FLUSH" ;;
	both) stats_note="off (metalinkd) and on (stats, flushed every $STATS_FLUSH)" ;;
	*) stats_note=off ;;
	esac
	echo "# $RUNS alternating runs of $DURATION each, $CONNECTIONS connections, GOMAXPROCS=1; $size-byte answer, $MIRRORS mirrors; metrics $([[ $METRICS == 1 ]] && echo on || echo off); statistics $stats_note; countme $([[ $COUNTME == 1 ]] && echo "in every request" || echo absent)"
	printf '%-10s %12s %10s\n' server 'req/s' 'p99 ms'
	printf '%-10s %12.0f %10.3f\n' metalinkd "$m_rps" "$m_p99"
	if [[ -n $stats_url ]]; then
		s_rps=$(printf '%s\n' "${stats_rps[@]}" | median) s_p99=$(printf '%s\n' "${stats_p99[@]}" | median)
		printf '%-10s %12.0f %10.3f\n' stats "$s_rps" "$s_p99"
	fi
	printf '%-10s %12.0f %10.3f\n' baseline "$b_rps" "$b_p99"
	awk -v a="$m_rps" -v b="$b_rps" -v pa="$m_p99" -v pb="$b_p99" \
		'BEGIN { printf "ratio metalinkd/baseline: req/s %.2f, p99 %.2f\n", a / b, pa / pb }'
	# The spread: each run's ratio to the baseline run that followed it.
	for i in "${!metalinkd_rps[@]}"; do
		awk -v a="${metalinkd_rps[$i]}" -v b="${baseline_rps[$i]}" 'BEGIN { printf "%.3f\n", a / b }'
	done | sort -g | awk '{ v[NR] = $1 } END { printf "per-run ratios: min %.3f, median %.3f, max %.3f\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
	if [[ -n $stats_url ]]; then
		awk -v a="$s_rps" -v b="$b_rps" 'BEGIN { printf "ratio stats/baseline: req/s %.2f\n", a / b }'
		for i in "${!stats_rps[@]}"; do
			awk -v a="${stats_rps[$i]}" -v b="${baseline_rps[$i]}" 'BEGIN { printf "%.3f\n", a / b }'
		done | sort -g | awk '{ v[NR] = $1 } END { printf "per-run ratios stats/baseline: min %.3f, median %.3f, max %.3f\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
		# Statistics on against off, run by run (the two ran back to back).
		for i in "${!stats_rps[@]}"; do
			awk -v a="${stats_rps[$i]}" -v b="${metalinkd_rps[$i]}" 'BEGIN { printf "%.3f\n", a / b }'
		done | sort -g | awk '{ v[NR] = $1 } END { printf "per-run req/s statistics on/off: min %.3f, median %.3f, max %.3f\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
	fi
} | tee "$OUT_DIR/summary.txt"
