#!/usr/bin/env bash
# Makes the RPM sources: OUTDIR/metalinkd-VERSION.tar.gz, holding the tree
# at HEAD (git archive) and the modules it needs (go mod vendor) under
# metalinkd-VERSION/, so that rpmbuild builds with no network; next to it
# packaging/metalinkd.spec with Version set and the sysusers.d files the
# spec names as Source1 and Source2.
#
# Usage: scripts/srpm.sh [-s] [-w] [OUTDIR]
#   -s      also make the SRPM in OUTDIR (rpmbuild -bs; not -ts, which
#           stops at the demo repository's spec also in the tarball)
#   -w      pack the working tree (tracked and untracked files that are not
#           ignored) instead of HEAD, to try changes before committing them
#   OUTDIR  defaults to bin/rpm
# VERSION is $VERSION, else the latest v* tag without its v, else 0.1.0.
# The binary packages then build offline with
#   rpmbuild -bb --define "_sourcedir OUTDIR" OUTDIR/metalinkd.spec
# or from the SRPM with rpmbuild --rebuild.
set -euo pipefail

srpm=false worktree=false
while getopts sw opt; do
  case $opt in
    s) srpm=true ;;
    w) worktree=true ;;
    *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
out=${1:-$root/bin/rpm}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=${VERSION:-$(git -C "$root" describe --tags --match 'v[0-9]*' --abbrev=0 2>/dev/null || true)}
version=${version#v}
version=${version:-0.1.0}
case $version in
  *[!0-9A-Za-z.~^+_]*) echo "srpm.sh: version $version is not a valid RPM version" >&2; exit 2 ;;
esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
name=metalinkd-$version
mkdir "$stage/$name"

if $worktree; then
  (cd "$root" && git ls-files -z -c -o --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar -cf - --null -T -) | tar -xf - -C "$stage/$name"
else
  git -C "$root" archive --format=tar HEAD | tar -xf - -C "$stage/$name"
fi

spec=$stage/$name/packaging/metalinkd.spec
sed -i "s/^Version:.*/Version:        $version/" "$spec"
(cd "$stage/$name" && go mod vendor)

mtime=$(git -C "$root" log -1 --format=%ct)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
  -C "$stage" -cf - "$name" | gzip -n >"$out/$name.tar.gz"
cp "$spec" "$out/metalinkd.spec"
cp "$stage/$name/packaging/metalinkd.sysusers" "$stage/$name/packaging/mirror-sync.sysusers" "$out/"
echo "$out/$name.tar.gz"

if $srpm; then
  rpmbuild -bs --define "_sourcedir $out" --define "_srcrpmdir $out" "$out/metalinkd.spec"
fi
