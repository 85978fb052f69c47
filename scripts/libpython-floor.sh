#!/usr/bin/env bash
# The floor of the bridge-overhead target: how much slower Debian's libpython3.11.a renders the
# legacy than Debian's /usr/bin/python3, with no Swift and no bridge at all. Builds a minimal C
# embedder, then runs it and a plain `python3 -I` loop on the same events, pinned to the same CPU,
# in alternating pairs, and prints each pair and the median ratio.
#   scripts/libpython-floor.sh [PAIRS] [EVENTS]      (defaults 12 and 2000; needs gcc)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pairs="${1:-12}"
events="${2:-2000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -n "$events" "$root/Tests/Corpus/events.jsonl" > "$work/events.jsonl"
cpu="$(($(nproc) - 1))"

# The same loop on both sides: warm-up, then the best of 5 passes.
cat > "$work/loop.py" <<PY
import sys, time
sys.path.insert(0, "$root/legacy")
from invoicing import render_event, InvalidEvent
events = [line.rstrip(b"\n") for line in open("$work/events.jsonl", "rb")]
def run():
    started = time.perf_counter()
    for event in events:
        try:
            render_event(event)
        except InvalidEvent:
            pass
    return time.perf_counter() - started
run()
print("%.1f" % (len(events) / min(run() for _ in range(5))))
PY

cat > "$work/embed.c" <<C
#include <Python.h>
#include <stdio.h>
int main(void) {
    Py_Initialize();
    FILE *script = fopen("$work/loop.py", "r");
    int status = PyRun_SimpleFile(script, "loop.py");
    fclose(script);
    Py_Finalize();
    return status;
}
C
config=/usr/lib/python3.11/config-3.11-x86_64-linux-gnu
gcc -O2 -no-pie -I/usr/include/python3.11 -o "$work/embed" "$work/embed.c" -Wl,-E "$config/libpython3.11.a" \
    -lm -lz -lexpat -ldl -lpthread -lutil

echo "renders/s: embedded (libpython3.11.a), /usr/bin/python3, ratio; pinned to CPU $cpu"
for ((i = 1; i <= pairs; i++)); do
    if ((i % 2)); then
        embedded="$(taskset -c "$cpu" "$work/embed")"
        plain="$(taskset -c "$cpu" /usr/bin/python3 -I "$work/loop.py")"
    else
        plain="$(taskset -c "$cpu" /usr/bin/python3 -I "$work/loop.py")"
        embedded="$(taskset -c "$cpu" "$work/embed")"
    fi
    echo "$embedded $plain"
done | awk '{ printf "%s %s %.4f\n", $1, $2, $2 / $1 }' | tee "$work/pairs" >/dev/null
cat "$work/pairs"
sort -k3 -g "$work/pairs" | awk '{ r[NR] = $3 }
    END { m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
          printf "median of %d pairs: /usr/bin/python3 renders %.1f%% faster than the embedded library\n", NR, (m - 1) * 100 }'
