#!/usr/bin/env bash
# Scale benchmark: a Fedora-shaped data set (scripts/scalegen: 1,000 public
# mirrors, 20 regional ones, 3,000 directories, 50,000 netblocks, 500,000
# freshness rows by default) measured on each store in one run:
#   - import: wall time and peak RSS of `metalinkd import` of the whole set;
#   - cold start: from starting `metalinkd serve` to /readyz answering 200;
#   - RSS when idle (after ready), under load (wrk on the busiest
#     repository's metalink) and at peak (VmHWM) while changes are made;
#   - time from a change to its visibility in the answers, while wrk runs:
#     CHANGES freshness reports and forgets, and TOGGLES mirror disables and
#     enables, through the admin API (p50, p99, max; scripts/benchscale);
#   - the server's CPU per second under load without changes and with them
#     (the difference is what rebuilding costs);
#   - failed requests (non-2xx or socket errors) during all of it.
# Then, unless RATIOS=0, the throughput ratio against the static handler at
# 50, 300 and 1,000 mirrors (scripts/bench-load.sh, embedded store: the
# answer is served from memory, whichever store holds the data).
#
# Usage: scripts/bench-scale.sh
# Environment: STORES ("embedded postgres"), MIRRORS (1000), DIRECTORIES
# (3000), NETBLOCKS (50000), FRESHNESS (500000), CHANGES (100), TOGGLES (20),
# LOAD (20s of wrk before the changes), CONNECTIONS (32), LOAD_CPU (1; the
# server is not pinned), DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres:
# a throw-away database is created next to it), RATIOS (1), OUT_DIR
# (bench-out/scale-DATE).
set -euo pipefail

STORES=${STORES:-embedded postgres}
MIRRORS=${MIRRORS:-1000}
DIRECTORIES=${DIRECTORIES:-3000}
NETBLOCKS=${NETBLOCKS:-50000}
FRESHNESS=${FRESHNESS:-500000}
CHANGES=${CHANGES:-100}
TOGGLES=${TOGGLES:-20}
LOAD=${LOAD:-20s}
CONNECTIONS=${CONNECTIONS:-32}
LOAD_CPU=${LOAD_CPU:-1}
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
RATIOS=${RATIOS:-1}

cd "$(dirname "$0")/.."
OUT_DIR=${OUT_DIR:-bench-out/scale-$(date -u +%Y%m%dT%H%M%SZ)}
export AWS_EC2_METADATA_DISABLED=true

die() { echo "bench-scale: $*" >&2; exit 1; }

for tool in go wrk taskset curl jq /usr/bin/time; do
	command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install -y wrk util-linux curl jq time)"
done
if [[ $STORES == *postgres* ]]; then
	command -v psql >/dev/null || die "psql is missing (Debian: apt-get install -y postgresql-client)"
fi

work=$(mktemp -d)
server_pid= sampler_pid= wrk_pid= dbname=
cleanup() {
	for pid in $wrk_pid $sampler_pid $server_pid; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n $dbname ]]; then
		psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

now() { date +%s.%N; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# cpu_ticks prints the user+system clock ticks a process has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# wrk_failures prints the non-2xx responses and socket errors in wrk output.
wrk_failures() {
	awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$1"
}

mkdir -p "$OUT_DIR"
echo "building" >&2
go build -o "$work/metalinkd" ./cmd/metalinkd
go build -o "$work/scalegen" ./scripts/scalegen
go build -o "$work/benchscale" ./scripts/benchscale
echo "generating $MIRRORS mirrors, $DIRECTORIES directories, $NETBLOCKS netblocks, $FRESHNESS freshness rows" >&2
"$work/scalegen" -mirrors "$MIRRORS" -directories "$DIRECTORIES" -netblocks "$NETBLOCKS" \
	-freshness "$FRESHNESS" >"$work/data.json"
# The busiest directory's repository is what wrk asks for.
query=$(jq -r '
	(reduce .freshness[] as $f ({}; .[$f.directory] += 1)) as $n
	| ($n | to_entries | max_by(.value) | .key) as $d
	| .repositories[] | select(.directory == $d) | "/metalink?repo=\(.prefix)&arch=\(.arch)"' "$work/data.json")
echo "load: $query" >&2

summary=()
for st in $STORES; do
	case $st in
	embedded) flags=(--data-dir "$work/data-$st") ;;
	postgres)
		dbname=benchscale_$$
		psql -q "$DATABASE_URL" -c "CREATE DATABASE $dbname" >/dev/null
		url=$(sed -E "s#/[^/?]*(\?|$)#/$dbname\1#" <<<"$DATABASE_URL")
		flags=(--database-url "$url")
		"$work/metalinkd" migrate "${flags[@]}" >&2
		;;
	*) die "unknown store $st (embedded or postgres)" ;;
	esac
	echo "== $st" >&2

	/usr/bin/time -f '%e %M' -o "$work/import-time" \
		"$work/metalinkd" import "${flags[@]}" "$work/data.json" >"$OUT_DIR/$st-import.txt" 2>&1 ||
		die "import into $st failed: $(tail -5 "$OUT_DIR/$st-import.txt")"
	read -r import_s import_kb <"$work/import-time" || true
	token=$("$work/metalinkd" token create "${flags[@]}" --scope admin --name bench-scale)

	port=$(free_port)
	start=$(now)
	"$work/metalinkd" serve "${flags[@]}" --listen "127.0.0.1:$port" --access-log=false \
		--log-format json 2>"$OUT_DIR/$st-serve.log" &
	server_pid=$!
	base="http://127.0.0.1:$port"
	for _ in $(seq 600); do
		curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
		kill -0 "$server_pid" 2>/dev/null || die "$st server exited: $(tail -5 "$OUT_DIR/$st-serve.log")"
		sleep 0.05
	done
	ready=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
	sleep 3
	idle_kb=$(rss_kb "$server_pid")
	curl -fsS -o "$OUT_DIR/$st-answer.xml" "$base$query"
	urls=$(grep -c '<url ' "$OUT_DIR/$st-answer.xml" || true)

	# Load alone, then load with changes; RSS is sampled throughout.
	(while kill -0 "$server_pid" 2>/dev/null; do rss_kb "$server_pid"; sleep 0.1; done) >"$work/rss-$st" 2>/dev/null &
	sampler_pid=$!
	c0=$(cpu_ticks "$server_pid") t0=$(now)
	taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$LOAD" --latency "$base$query" >"$OUT_DIR/$st-wrk-quiet.txt"
	c1=$(cpu_ticks "$server_pid") t1=$(now)
	load_kb=$(sort -n "$work/rss-$st" | tail -1)
	taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d1h --latency "$base$query" >"$OUT_DIR/$st-wrk-changes.txt" &
	wrk_pid=$!
	sleep 1
	c2=$(cpu_ticks "$server_pid") t2=$(now)
	METALINKD_TOKEN=$token "$work/benchscale" -url "$base" -data "$work/data.json" \
		-changes "$CHANGES" -toggles "$TOGGLES" >"$OUT_DIR/$st-changes.json"
	c3=$(cpu_ticks "$server_pid") t3=$(now)
	kill -INT "$wrk_pid"
	wait "$wrk_pid" || true
	wrk_pid=
	peak_kb=$(hwm_kb "$server_pid")
	kill "$sampler_pid" 2>/dev/null || true
	wait "$sampler_pid" 2>/dev/null || true
	sampler_pid=
	kill "$server_pid"
	wait "$server_pid" || true
	server_pid=
	failed=$(($(wrk_failures "$OUT_DIR/$st-wrk-quiet.txt") + $(wrk_failures "$OUT_DIR/$st-wrk-changes.txt")))
	hz=$(getconf CLK_TCK)
	cpu_quiet=$(awk -v c="$((c1 - c0))" -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.2f", c / hz / (b - a) }')
	cpu_changes=$(awk -v c="$((c3 - c2))" -v a="$t2" -v b="$t3" -v hz="$hz" 'BEGIN { printf "%.2f", c / hz / (b - a) }')
	rps_quiet=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT_DIR/$st-wrk-quiet.txt")
	p99_quiet=$(awk '$1 == "99%" { print $2 }' "$OUT_DIR/$st-wrk-quiet.txt")
	report=$(jq -r 'select(.kind == "report") | "p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max \(.max_ms) ms (\(.changes) changes, \(.errors) errors)"' "$OUT_DIR/$st-changes.json")
	toggle=$(jq -r 'select(.kind == "enable-disable") | "p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max \(.max_ms) ms (\(.changes) changes, \(.errors) errors)"' "$OUT_DIR/$st-changes.json")
	summary+=("[$st]"
		"  import: ${import_s:-?} s, peak RSS $(mb "${import_kb:-0}") MB"
		"  cold start to ready: $ready s"
		"  RSS: idle $(mb "$idle_kb") MB, under load $(mb "$load_kb") MB, peak $(mb "$peak_kb") MB"
		"  answer: $urls URLs; load without changes: $rps_quiet req/s, p99 $p99_quiet ($CONNECTIONS connections)"
		"  report to visible: $report"
		"  enable/disable to visible: $toggle"
		"  server CPU: $cpu_quiet s/s under load, $cpu_changes s/s under load with changes"
		"  failed requests: $failed")
	if [[ $st == postgres ]]; then
		psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null
		dbname=
	fi
done

if [[ $RATIOS == 1 ]]; then
	for n in 50 300 1000; do
		MIRRORS=$n OUT_DIR="$OUT_DIR/load-$n" scripts/bench-load.sh >&2
		summary+=("[ratio at $n mirrors] $(tail -1 "$OUT_DIR/load-$n/summary.txt")")
	done
fi

printf '%s\n' "# bench-scale: $MIRRORS mirrors, $DIRECTORIES directories, $NETBLOCKS netblocks, $FRESHNESS freshness rows; $(nproc) cores" \
	"${summary[@]}" | tee "$OUT_DIR/summary.txt"
