#!/usr/bin/env bash
# Fuzzes event decoding and both implementations through the harness with libFuzzer.
# Usage: scripts/fuzz.sh [RUNS] [extra libFuzzer flags...]   (default 3000 runs: CI's short run)
#
# Builds invoice-fuzz with -sanitize=fuzzer into .build-fuzz, starts from Tests/Fuzz/seeds (plus
# everything found so far in .build-fuzz/corpus) with a fixed seed, and stops at the first crash
# or divergence between the two implementations, leaving the input in Tests/Fuzz/findings/.
# A finding becomes a regression test: fix it, then move the file to Tests/Fuzz/regressions/
# (the Swift test suite replays that directory through the normal build of invoice-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3000}
shift || true

swift build --product invoice-fuzz --build-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING 2>&1 \
    | grep -v "pointer equality" | tail -1
mkdir -p .build-fuzz/corpus Tests/Fuzz/findings
# The Swift runtime's own backtracer would catch the trap before libFuzzer can save the input.
SWIFT_BACKTRACE=enable=no INVOICE_SHADOW_LEGACY="$PWD/legacy" \
    .build-fuzz/debug/invoice-fuzz -seed=1 -runs="$runs" -max_len=8192 -timeout=30 -rss_limit_mb=4096 \
    -artifact_prefix=Tests/Fuzz/findings/ -print_final_stats=1 "$@" .build-fuzz/corpus Tests/Fuzz/seeds \
    2>&1 | grep -v "pointer equality" | grep -E "^(#|INFO: Seed|Done|stat::|==|invoice-fuzz|SUMMARY|artifact_prefix|Test unit)" \
    | grep -v "^#[0-9]*\s*\(NEW\|REDUCE\|pulse\)" || true
status=${PIPESTATUS[0]}
if ls Tests/Fuzz/findings/* >/dev/null 2>&1; then
    echo "fuzz: findings in Tests/Fuzz/findings/ (replay one with .build/debug/invoice-fuzz FILE)" >&2
    exit 1
fi
echo "fuzz: $runs runs, no crash and no divergence"
