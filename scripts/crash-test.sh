#!/usr/bin/env bash
# Kills `serve` with SIGKILL at random points while it works through a stream, then lets it finish,
# and checks that nothing was lost and nothing was recorded twice.
# Usage: scripts/crash-test.sh [EVENTS] [KILLS] [SEED]    (default 50000 events, 10 kills; CI: 3000 3)
#
# Against a standalone `invoice-shadow broker` (its own process, 32 partitions: librdkafka's mock
# cluster keeps only about 4.5 MB per partition), with `serve --brokers` restarted after each kill:
#   - every event has exactly one row in the store;
#   - every event whose primary rendered was published on invoices.rendered at least once;
#   - the duplicates there (re-published after a kill) can be removed by key: same key, same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-50000}
kills=${2:-10}
seed=${3:-4242}
binary=.build/debug/invoice-shadow
python=/usr/bin/python3
[ -x "$binary" ] || { echo "crash-test: $binary is not built: run make build" >&2; exit 1; }

work=$(mktemp -d)
broker_pid=""
serve_pid=""
cleanup() {
    [ -z "$serve_pid" ] || kill -9 "$serve_pid" 2>/dev/null || true
    [ -z "$broker_pid" ] || kill "$broker_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$binary" broker --partitions 32 >"$work/broker.out" 2>/dev/null &
broker_pid=$!
for _ in $(seq 1 100); do grep -q '^bootstrap: ' "$work/broker.out" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^bootstrap: //p' "$work/broker.out")
[ -n "$bootstrap" ] || { echo "crash-test: the broker did not start" >&2; exit 1; }

"$binary" generate --seed "$seed" --count "$events" --output "$work/events.jsonl" 2>/dev/null
# Null-keyed messages stick to one partition per batch by default: spread them one by one.
kcat -b "$bootstrap" -t money.events -P -X sticky.partitioning.linger.ms=0 -l "$work/events.jsonl"
echo "crash-test: $events events in money.events on $bootstrap; $kills kills"

rows() { sqlite3 "$work/shadow.db" "SELECT COUNT(*) FROM comparison" 2>/dev/null || echo 0; }
start_serve() {
    "$binary" serve --brokers "$bootstrap" --no-http --db "$work/shadow.db" --objects "$work/objects" \
        --group crash-test >>"$work/serve.out" 2>>"$work/serve.err" &
    serve_pid=$!
}

for kill in $(seq 1 "$kills"); do
    before=$(rows)
    start_serve
    # Wait until this serve makes progress (the group join, and the killed member's session
    # expiring, take several seconds), then kill it at a random point while events are in flight.
    until_progress=$((SECONDS + 60))
    while [ "$(rows)" -le "$before" ] && [ $SECONDS -lt $until_progress ]; do sleep 0.2; done
    sleep "$($python -c "import random; random.seed($seed + $kill); print(round(random.uniform(0.2, 2.5), 2))")"
    kill -9 "$serve_pid"
    wait "$serve_pid" 2>/dev/null || true
    serve_pid=""
    echo "crash-test: kill $kill: $(rows) rows so far"
done

start_serve
deadline=$((SECONDS + 60 + events / 50))
while [ "$(rows)" -lt "$events" ] && [ $SECONDS -lt $deadline ]; do sleep 1; done
kill -TERM "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
serve_pid=""

kcat -b "$bootstrap" -t invoices.rendered -C -o beginning -e -q -f '%k\t%h\t%s\n' >"$work/rendered.tsv"
sqlite3 -separator $'\t' "$work/shadow.db" "SELECT event_id, kind FROM comparison" >"$work/rows.tsv"
$python - "$work/events.jsonl" "$work/rows.tsv" "$work/rendered.tsv" "$events" <<'PY'
import json, sys
events_path, rows_path, rendered_path, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ids = [json.loads(line)["event_id"] for line in open(events_path, "rb")]
rows = dict(line.rstrip("\n").split("\t") for line in open(rows_path, encoding="utf-8"))
problems = []
if len(set(ids)) != expected:
    problems.append(f"the input holds {len(set(ids))} distinct ids, not {expected}")
missing = [i for i in ids if i not in rows]
extra = [i for i in rows if i not in set(ids)]
if missing: problems.append(f"{len(missing)} events have no row (first: {missing[0]})")
if extra: problems.append(f"{len(extra)} rows belong to no event (first: {extra[0]})")
rendered_kinds = {"match", "mismatch", "swift_error"}  # the legacy (primary in shadow mode) rendered
should_publish = {i for i, kind in rows.items() if kind in rendered_kinds}
by_key, published = {}, set()
messages = 0
for line in open(rendered_path, "rb"):
    key, headers, value = line.rstrip(b"\n").split(b"\t", 2)
    messages += 1
    event_id = dict(h.split(b"=", 1) for h in headers.split(b",")).get(b"event-id", b"").decode()
    published.add(event_id)
    by_key.setdefault(key, set()).add((event_id, value))
unpublished = should_publish - published
if unpublished: problems.append(f"{len(unpublished)} rendered events were never published (first: {sorted(unpublished)[0]})")
clashes = {k: v for k, v in by_key.items() if len(v) > 1}
if clashes: problems.append(f"{len(clashes)} keys carry different invoices (first: {next(iter(clashes))!r})")
print(f"crash-test: {len(rows)} rows for {expected} events; {len(should_publish)} rendered; "
      f"{messages} messages on invoices.rendered, {len(by_key)} distinct keys "
      f"({messages - len(by_key)} duplicates, each identical to its key's first)")
for problem in problems: print("crash-test: FAIL: " + problem)
sys.exit(1 if problems else 0)
PY
