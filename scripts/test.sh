#!/bin/sh
# Install what is needed, build with warnings as errors, and run the whole
# suite twice: a normal build, then one under AddressSanitizer and
# UndefinedBehaviorSanitizer. The lab tests need root (they build network
# namespaces); without it they are skipped, and say so.
set -eu
cd "$(dirname "$0")/.."

scripts/deps.sh

run_suite() {
	dir=$1; shift
	if [ -d "$dir" ]; then
		meson configure "$dir" -Dwerror=true "$@"
	else
		meson setup "$dir" -Dwerror=true "$@" >/dev/null
	fi
	meson compile -C "$dir"
	meson test -C "$dir" --print-errorlogs
}

run_suite build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
