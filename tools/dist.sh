#!/usr/bin/env bash
# `make dist`: the release tarball of the working tree and its rockspec.
#   tools/dist.sh OUTDIR VERSION [URL]
# Writes OUTDIR/lrengine-VERSION.tar.gz (the files git tracks or would
# track, as they are in the working tree; build trees left out) and
# OUTDIR/lrengine-VERSION-1.rockspec, lrengine-scm-1.rockspec with that
# version and the tarball as its source: URL/lrengine-VERSION.tar.gz, or
# the tarball where it lies (file://, for luarocks pack and build here).
# Also OUTDIR/lrengine-scm.tar.gz, the same files: lrengine-scm-1.rockspec's
# source when OUTDIR is build/dist.
set -eu
cd "$(dirname "$0")/.."
out=$1 version=$2 url=${3:-}
mkdir -p "$out"
files=$(mktemp)
trap 'rm -f "$files"' EXIT
git ls-files -co --exclude-standard | grep -vE '^build[^/]*/|^lrengine/' | while read -r f; do
  [ -f "$f" ] && echo "$f"
done >"$files"
for v in "$version" scm; do
  tar --transform "s,^,lrengine-$v/," --owner=0 --group=0 --numeric-owner --mode=u+rw,go+r,go-w \
    -czf "$out/lrengine-$v.tar.gz" -T "$files"
done
src="lrengine-$version.tar.gz"
if [ -z "$url" ]; then src="file://$(cd "$out" && pwd)/$src"; else src="${url%/}/$src"; fi
sed -e "s/^version = \"scm-1\"/version = \"$version-1\"/" \
    -e '/^-- In a checkout/,/^source = /{/^--/d}' \
    -e "/^source = /i -- Written by make dist from lrengine-scm-1.rockspec for release $version." \
    -e "s|^source = {.*|source = { url = \"$src\", dir = \"lrengine-$version\" }|" \
    lrengine-scm-1.rockspec >"$out/lrengine-$version-1.rockspec"
grep -q "lrengine-$version\"" "$out/lrengine-$version-1.rockspec" || { echo "dist.sh: the rockspec's source line was not replaced" >&2; exit 1; }
echo "$out/lrengine-$version.tar.gz"
echo "$out/lrengine-$version-1.rockspec"
