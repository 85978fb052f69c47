#!/usr/bin/env bash
# A long serve run with and without retention, side by side: serve --demo in swift mode (every country
# on swift, so each event is one Swift render and one row) fed at --demo-rate until EVENTS events were
# consumed, once with --retain RETAIN and once with --retain forever; every 10 s the store's size
# (file + WAL), its comparison rows and serve's consumed count are sampled.
# Usage: scripts/retention-run.sh [EVENTS] [RETAIN] [RATE]   (default 2000000 60s 20000)
# Needs a release build (swift build -c release). Writes docs/retention-run.md.
set -euo pipefail
cd "$(dirname "$0")/.."

events=${1:-2000000}
retain=${2:-60s}
rate=${3:-20000}
binary=.build/release/invoice-shadow
[ -x "$binary" ] || { echo "retention-run: build first: swift build -c release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
report=docs/retention-run.md

run() {  # $1: label, $2: --retain value; prints one markdown table row per sample and a summary line
    local label=$1 keep=$2 db="$work/$1.db"
    for country in US GB DE FR NL CH SE JP IN MX; do
        "$binary" flags set "$country" swift --force --reason "retention run" --db "$db" >/dev/null 2>&1
    done
    "$binary" serve --demo --demo-rate "$rate" --retain "$keep" --db "$db" --objects "$work/$1-objects" \
        --no-http >"$work/$1.out" 2>"$work/$1.err" &
    local pid=$! started consumed=0 seconds=0
    started=$(date +%s)
    echo "| $label | s | consumed | events/s (last 10 s) | rows | store MB |"
    echo "|---|---|---|---|---|---|"
    local previous=0
    while [ "$consumed" -lt "$events" ]; do
        sleep 10
        kill -0 "$pid" 2>/dev/null || { tail -5 "$work/$1.err" >&2; echo "retention-run: serve exited" >&2; exit 1; }
        consumed=$(grep -o 'consumed [0-9]*' "$work/$1.err" | tail -1 | grep -o '[0-9]*$' || echo 0)
        seconds=$(( $(date +%s) - started ))
        local rows size
        rows=$(sqlite3 -cmd ".timeout 5000" "$db" "SELECT COUNT(*) FROM comparison" 2>/dev/null || echo "?")
        size=$(du -cm "$db" "$db-wal" 2>/dev/null | tail -1 | cut -f1)
        echo "| | $seconds | $consumed | $(( (consumed - previous) / 10 )) | $rows | $size |"
        previous=$consumed
    done
    kill -TERM "$pid"; wait "$pid" || true
    local folded
    folded=$(sqlite3 "$db" "SELECT COALESCE(SUM(count), 0) FROM daily_count")
    echo
    echo "$label: $consumed events in $seconds s ($(( consumed / seconds )) events/s); $(sqlite3 "$db" "SELECT COUNT(*) FROM comparison") rows kept, $folded folded; store $(du -cm "$db" "$db-wal" 2>/dev/null | tail -1 | cut -f1) MB"
    echo
}

{
    echo "# Retention over a long run"
    echo
    echo "\`scripts/retention-run.sh $events $retain $rate\` on $(nproc) cores, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)."
    echo "serve --demo in swift mode at --demo-rate $rate (the demo feeder runs inside serve and never"
    echo "gets more than 2,000 events ahead of it), sampled every 10 s."
    echo
    run "retain-$retain" "$retain"
    run "retain-forever" forever
} | tee "$report"
