#!/bin/sh
# Install what is needed, build with warnings as errors, and run the whole
# suite twice: a normal build, then one under AddressSanitizer and
# UndefinedBehaviorSanitizer; between them a clang build with the fuzz
# targets runs the unit and fuzz suites. The lab tests need root (they build network
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
# clang as well, with the libFuzzer targets (fuzz/README.md): its warnings
# are errors too, and the unit tests and fuzz replays run on its build.
# The lab does not run again here: it needs no second compiler.
if [ -d build-clang ]; then
	meson configure build-clang -Dwerror=true -Dfuzzing=true
else
	CC=clang meson setup build-clang -Dwerror=true -Dfuzzing=true >/dev/null
fi
meson compile -C build-clang
meson test -C build-clang --print-errorlogs --suite unit --suite fuzz
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
