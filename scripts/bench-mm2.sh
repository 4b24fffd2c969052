#!/usr/bin/env bash
# Times `metalinkd import --from-mirrormanager2` on a MirrorManager2 network
# of Fedora's size (scripts/mm2gen: 1,000 hosts, 3,000 repository
# directories, about 475,000 up2date rows), into each store:
#   - the first import (everything is added), wall time and peak RSS;
#   - a dry run of the same database (read, convert, plan);
#   - a second import of the unchanged database (nothing is written);
#   - an import after one host changed in MirrorManager2.
# The load average is printed with the figures: on a shared machine they
# vary with it.
#
# Usage: scripts/bench-mm2.sh
# Environment: STORES ("embedded postgres"), HOSTS (1000), DIRS (3000),
# DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres: throw-away
# databases are created next to it), OUT_DIR (bench-out/mm2-DATE).
set -euo pipefail

STORES=${STORES:-embedded postgres}
HOSTS=${HOSTS:-1000}
DIRS=${DIRS:-3000}
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
OUT_DIR=${OUT_DIR:-bench-out/mm2-$(date -u +%Y%m%dT%H%M%SZ)}

cd "$(dirname "$0")/.."
mkdir -p "$OUT_DIR"
go build -o "$OUT_DIR/metalinkd" ./cmd/metalinkd
bin=$OUT_DIR/metalinkd
base=${DATABASE_URL%/*}
suffix=$$
created=()
cleanup() {
	for db in "${created[@]}"; do
		psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
	done
}
trap cleanup EXIT
newdb() {
	psql -q "$DATABASE_URL" -c "CREATE DATABASE $1"
	created+=("$1")
}

newdb "mm2_source_$suffix"
source_url=$base/mm2_source_$suffix
go run ./scripts/mm2gen -url "$source_url" -hosts "$HOSTS" -dirs "$DIRS"

# timed NAME ARGS...: runs metalinkd, prints wall seconds and peak RSS.
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$OUT_DIR/$name.time" "$bin" "$@" >"$OUT_DIR/$name.out"
	read -r secs kb <"$OUT_DIR/$name.time"
	printf '%-34s %8.1f s %8d MiB   %s\n' "$name" "$secs" $((kb / 1024)) "$(tail -n 1 "$OUT_DIR/$name.out" | cut -c1-60)"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for st in $STORES; do
	case $st in
	embedded) flags=(--data-dir "$OUT_DIR/data") ;;
	postgres)
		newdb "mm2_store_$suffix"
		"$bin" migrate --database-url "$base/mm2_store_$suffix" >/dev/null
		flags=(--database-url "$base/mm2_store_$suffix")
		;;
	*) echo "unknown store $st" >&2; exit 2 ;;
	esac
	timed "$st: first import" import --from-mirrormanager2 "$source_url" "${flags[@]}"
	timed "$st: dry run" import --from-mirrormanager2 "$source_url" "${flags[@]}" --dry-run
	timed "$st: unchanged re-import" import --from-mirrormanager2 "$source_url" "${flags[@]}"
	psql -q "$source_url" -c "UPDATE host SET bandwidth_int = bandwidth_int + 1 WHERE id = 1"
	timed "$st: re-import, one host changed" import --from-mirrormanager2 "$source_url" "${flags[@]}"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
