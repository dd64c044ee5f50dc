#!/bin/sh
# Run every libFuzzer target (or those named) for SECONDS each, one after
# another on one core, from the committed corpus, and print what each did:
# the campaign of fuzz/README.md, repeatable by anyone with clang.
#
#	scripts/fuzz.sh [-m] [SECONDS] [TARGET...]
#
# SECONDS defaults to 60 (a first word that is not a number is a target);
# TARGET is ike, ip, frame, doc, sk, cert, host or match (default: all). Each runs from a copy of fuzz/corpus/TARGET in
# $FUZZ_WORK (default /tmp/ikeprobe-fuzz), with its own -max_len and
# dictionary; crashes go to $FUZZ_WORK/TARGET-artifacts/. With -m, what a
# run found is merged back into fuzz/corpus/TARGET (seeds kept, one input
# per coverage edge, as fuzz/README.md says). Exit 1 if any target found
# something or its fuzzer failed.
set -eu
cd "$(dirname "$0")/.."

merge=0
if [ "${1:-}" = "-m" ]; then
	merge=1
	shift
fi
# SECONDS if the first word is a number, else every word is a target.
secs=60
case ${1:-} in
"" | *[!0-9]*) ;;
*) secs=$1; shift ;;
esac
if [ "$secs" -eq 0 ]; then
	# libFuzzer's -max_total_time=0 means no limit.
	echo "usage: scripts/fuzz.sh [-m] [SECONDS] [TARGET...] (SECONDS > 0)" >&2
	exit 2
fi
targets=${*:-ike ip frame doc sk cert host match}
work=${FUZZ_WORK:-/tmp/ikeprobe-fuzz}
build=${FUZZ_BUILD:-build-fuzz}

if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" -Dfuzzing=true >/dev/null
fi
ninja -C "$build" >/dev/null

# What each target reads at most, and its dictionary: IKE messages and IP
# datagrams up to 64 KiB (the largest UDP datagram), frames and sealed
# answers up to a few fragments, a report up to 64 KiB.
opts() {
	case $1 in
	ike | ip | match) echo "-max_len=65536" ;;
	frame | sk | cert) echo "-max_len=8192" ;;
	doc) echo "-max_len=65536 -dict=fuzz/doc.dict" ;;
	host) echo "-max_len=16384" ;;
	*) echo "scripts/fuzz.sh: no target $1" >&2; exit 2 ;;
	esac
}

found=0
printf '%-7s %6s %12s %8s %6s %6s %7s %s\n' target secs executions exec/s cov ft corpus findings
for t in $targets; do
	o=$(opts "$t")
	dir=$work/$t
	art=$work/$t-artifacts
	rm -rf "$art"
	mkdir -p "$dir" "$art"
	cp fuzz/corpus/"$t"/* "$dir"/
	log=$work/$t.log
	# -jobs=1 with -max_total_time: one core; crashes do not stop the
	# others (each run ends at the first, and is reported below).
	# shellcheck disable=SC2086
	if [ ! -x "$build/fuzz/fuzz_$t" ]; then
		echo "scripts/fuzz.sh: $build/fuzz/fuzz_$t not built" >&2
		exit 2
	fi
	rc=0
	"$build"/fuzz/fuzz_"$t" $o -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix="$art"/ "$dir" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/\1 \2 \3/p' "$log" | tail -n 1)
	n=$(find "$art" -type f | wc -l)
	if [ "$n" -gt 0 ]; then
		what="$n in $art"
	elif [ "$rc" -ne 0 ]; then
		what="fuzzer failed (exit $rc): see $log"
	else
		what=none
	fi
	[ "$what" = none ] || found=1
	set -f		# the figures are split into fields, never globbed
	# shellcheck disable=SC2086
	printf '%-7s %6s %12s %8s %6s %6s %7s %s\n' "$t" "$secs" "${runs:-?}" \
	    "${rate:-?}" ${cov:-"? ? ?"} "$what"
	set +f
	if [ "$merge" -eq 1 ] && [ "$what" = none ]; then
		min=$work/$t-min
		rm -rf "$min"
		mkdir -p "$min"
		cp fuzz/corpus/"$t"/seed-* "$min"/
		# shellcheck disable=SC2086
		"$build"/fuzz/fuzz_"$t" $o -merge=1 -use_counters=0 "$min" "$dir" \
		    fuzz/corpus/"$t" >>"$log" 2>&1
		rm -r fuzz/corpus/"$t"
		mv "$min" fuzz/corpus/"$t"
	fi
done
exit $found
