#!/usr/bin/env bash
# Where serve's CPU per event goes: one `bench serve` phase (preloaded events, every country on FLAG)
# recorded with perf, the preload cut away by the phase's CLOCK_MONOTONIC stamps, then reported per
# event: by thread, by thread and library, and the hottest functions of each busy thread.
#   scripts/profile-serve.sh [FLAG] [EVENTS]     (defaults: swift 100000; FLAG shadow for the legacy)
#   TOP=40 scripts/profile-serve.sh ...          (functions listed per busy thread; default 15)
# Needs a release build (swift build -c release) and perf (apt-get install linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."
flag=${1:-swift}
events=${2:-100000}
binary=.build/release/invoice-shadow
[ -x "$binary" ] || { echo "profile-serve: build first: swift build -c release" >&2; exit 1; }
command -v perf >/dev/null || { echo "profile-serve: needs perf: apt-get install linux-perf" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

perf record -q -k CLOCK_MONOTONIC -F 999 -g -o "$work/perf.data" -- \
    "$binary" bench serve --flag "$flag" --events "$events" >"$work/out" 2>"$work/err"
start=$(grep -o 'first event consumed at monotonic [0-9.]*' "$work/err" | grep -o '[0-9.]*$' | head -1)
end=$(grep -o 'events recorded at monotonic [0-9.]*' "$work/err" | grep -o '[0-9.]*$' | tail -1)
[ -n "$start" ] && [ -n "$end" ] || { cat "$work/err" >&2; echo "profile-serve: no phase stamps" >&2; exit 1; }
samples() {  # perf report rows for the phase only, without the header
    perf report -i "$work/perf.data" --time "$start,$end" --no-children -g none --percent-limit 0.3 \
        --stdio "$@" 2>/dev/null | grep -v '^#' | grep -v '^$'
}
echo "# bench serve --flag $flag --events $events"
echo
grep -E 'events/s|per event' "$work/out" | sed 's/^/    /'
echo
echo "## By thread and library (share of the phase's samples)"
samples --sort comm,dso | head -30
for thread in $(samples --sort comm | awk '$1 + 0 >= 5 {print $2}'); do
    echo
    echo "## $thread: hottest functions (share of all the phase's samples)"
    samples --comm "$thread" --sort sym | head -${TOP:-15} | cut -c1-160
done
