#!/usr/bin/env bash
# The machine's own limits for what serve does per event, to set its figures beside: librdkafka
# producing and consuming keyed events through the embedded broker (kcat, itself librdkafka), SQLite
# inserting comparison rows into the store's own schema in the row writer's batch size, and memory
# copy bandwidth. Prints a Markdown table; nothing of invoice-shadow's pipeline runs.
#   scripts/limits.sh [EVENTS]      (default 100000; needs a release build, kcat and sqlite3)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000}
binary=.build/release/invoice-shadow
[ -x "$binary" ] || { echo "limits: build first: swift build -c release" >&2; exit 1; }
for tool in kcat sqlite3; do
    command -v "$tool" >/dev/null || { echo "limits: needs $tool (scripts/setup.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d)
broker=""
trap '[ -n "$broker" ] && kill "$broker" 2>/dev/null; rm -rf "$work"' EXIT
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
micro() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }'; }

"$binary" generate --seed 29 --count "$events" --output "$work/events.jsonl"
# Keyed by event id, as Money events are: the mock broker keeps ~4.5 MB per partition, and keyless
# batches crowd a few partitions.
/usr/bin/python3 - "$work/events.jsonl" "$work/keyed.txt" <<'PY'
import json, sys
with open(sys.argv[1], "rb") as events, open(sys.argv[2], "wb") as keyed:
    for index, line in enumerate(events):
        try:
            key = str(json.loads(line).get("event_id", index)).encode()
        except (ValueError, AttributeError):
            key = str(index).encode()
        keyed.write(key.replace(b"\t", b" ") + b"\t" + line)
PY
bytes=$(stat -c %s "$work/events.jsonl")

mkfifo "$work/broker.out"
"$binary" broker --partitions 64 --topics limits >"$work/broker.out" 2>/dev/null &
broker=$!
read -r line <"$work/broker.out"
bootstrap=${line#bootstrap: }
exec 3<"$work/broker.out"  # keeps the broker's stdout open

started=$(now)
kcat -b "$bootstrap" -t limits -P -K $'\t' -l "$work/keyed.txt"
produced=$(now)
received=$(kcat -b "$bootstrap" -t limits -C -o beginning -e -q -f '.\n' | wc -l)
consumed=$(now)

# The store's schema, made by invoice-shadow itself; rows as serve writes them (random event ids,
# ten countries), 500 to a transaction, WAL, the writer's 16 MB cache.
"$binary" flags set DE shadow --force --reason limits --db "$work/store.db" >/dev/null 2>&1
cat >"$work/insert.sql" <<SQL
PRAGMA cache_size = -16384;
PRAGMA wal_autocheckpoint = 8000;
INSERT INTO run (started_ms, source) VALUES (0, 'limits');
INSERT INTO signature (id, country, business_line, kind, paths) VALUES ('s', 'DE', 'eats', 'match', '[]');
SQL
for ((batch = 0; batch < events / 500; batch++)); do
    echo "BEGIN; INSERT INTO comparison (event_id, run_id, country, business_line, event_type, kind, signature_id, primary_side, legacy_us, swift_us, recorded_ms) SELECT lower(hex(randomblob(16))), 1, char(65 + value % 10, 69), 'eats', 'order_delivered', 'match', 's', 'legacy', 800, 20, $batch * 1000 + value FROM generate_series(1, 500); COMMIT;"
done >>"$work/insert.sql"
inserting=$(now)
sqlite3 "$work/store.db" <"$work/insert.sql" >/dev/null
inserted=$(now)
rows=$(sqlite3 "$work/store.db" "SELECT COUNT(*) FROM comparison")

copy=$(/usr/bin/python3 - <<'PY'
import time
source = bytearray(b"\x5a" * (256 << 20))
target = bytearray(len(source))
target[:] = source  # both touched once: what follows copies, it does not fault pages in
best = 0.0
for _ in range(5):
    started = time.perf_counter()
    target[:] = source
    best = max(best, len(source) / (time.perf_counter() - started))
print("%.1f" % (best / 1e9))
PY
)

echo "| limit (scripts/limits.sh $events, $(date -u +%Y-%m-%d), $(nproc) cores) | figure | wall time per message or row |"
echo "|---|---|---|"
echo "| librdkafka produce (kcat -P, keyed, $(awk -v b="$bytes" -v n="$events" 'BEGIN { printf "%.0f", b / n }') B a message, acknowledged) | $(rate "$events" "$started" "$produced") messages/s | $(micro "$events" "$started" "$produced") µs |"
echo "| librdkafka consume (kcat -C from the beginning, $received messages) | $(rate "$received" "$produced" "$consumed") messages/s | $(micro "$received" "$produced" "$consumed") µs |"
echo "| SQLite insert into \`comparison\` (4 indexes, random ids, 500 a transaction, $rows rows) | $(rate "$rows" "$inserting" "$inserted") rows/s | $(micro "$rows" "$inserting" "$inserted") µs |"
echo "| memory copy (256 MiB into touched pages, best of 5) | $copy GB/s | |"
