#!/usr/bin/env bash
# fuzz-all.sh runs every fuzz target of the given packages (default ./...),
# each for FUZZTIME (default 60s), one after the other, and fails if any
# fails or if a package with fuzz targets does not build. Targets are found,
# not listed by hand: `go test -list '^Fuzz'` in each package whose test
# files declare a func Fuzz….
#
#   scripts/fuzz-all.sh [FUZZTIME] [PACKAGE...]
#   GO=go1.26 scripts/fuzz-all.sh 10s ./llm/tokenizer ./probe
set -uo pipefail

GO=${GO:-go}
fuzztime=${1:-60s}
shift $(($# > 0 ? 1 : 0))
[ $# -gt 0 ] || set -- ./...

pkgs=$("$GO" list -f '{{.ImportPath}} {{.Dir}}' "$@") || exit 1

failed=()
ran=0
while read -r pkg dir; do
	# Cheap filter before compiling the package's tests to list them.
	grep -qs '^func Fuzz' "$dir"/*_test.go || continue
	if ! list=$("$GO" test -list '^Fuzz' "$pkg" </dev/null); then
		echo "$list"
		failed+=("$pkg (does not build)")
		continue
	fi
	for name in $(grep '^Fuzz' <<<"$list"); do
		echo "== $pkg $name ($fuzztime)"
		ran=$((ran + 1))
		if ! "$GO" test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" </dev/null; then
			failed+=("$pkg $name")
		fi
	done
done <<<"$pkgs"

if [ "$ran" -eq 0 ] && [ ${#failed[@]} -eq 0 ]; then
	echo "fuzz-all: no fuzz targets found in $*" >&2
	exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz-all: ${#failed[@]} failed of $ran run:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz-all: $ran fuzz targets passed"
