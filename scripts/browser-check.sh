#!/usr/bin/env bash
# The dashboard in a real browser: starts `serve` on the corpus store (written by `make test-corpus`),
# loads the overview and one signature page in Debian's headless chromium, and checks the DOM.
# Usage: scripts/browser-check.sh [STORE]   (default .build/corpus.db)
set -euo pipefail
cd "$(dirname "$0")/.."

store=${1:-.build/corpus.db}
binary=.build/debug/invoice-shadow
browser=$(command -v chromium || true)
[ -n "$browser" ] || { echo "browser-check: chromium is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
[ -f "$store" ] || { echo "browser-check: no store at $store: run make test-corpus first" >&2; exit 1; }
[ -x "$binary" ] || { echo "browser-check: $binary is not built: run make build" >&2; exit 1; }

work=$(mktemp -d)
serve_pid=""
cleanup() {
    [ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null || true
    [ -z "$serve_pid" ] || wait "$serve_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the kernel picks a free port; serve prints "http: http://HOST:PORT/" once it listens.
"$binary" serve --db "$store" --objects "$work/objects" --http 127.0.0.1:0 --duration 300 \
    >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
url=""
for _ in $(seq 1 300); do
    url=$(sed -n 's/^http: //p' "$work/serve.out" | head -1)
    [ -n "$url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.err" >&2; echo "browser-check: serve exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.err" >&2; echo "browser-check: serve did not listen within 30 s" >&2; exit 1; }

load() {  # prints the DOM of $1 after the page loaded
    timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
        --user-data-dir="$work/profile" --dump-dom "$1" 2>"$work/chromium.err" \
        || { cat "$work/chromium.err" >&2; echo "browser-check: chromium could not load $1" >&2; exit 1; }
}
fail() { echo "browser-check: $1" >&2; exit 1; }

overview=$(load "$url")
rows=$(grep -o '<tr data-country="[A-Z][A-Z]">' <<<"$overview" | sort -u | wc -l)
[ "$rows" -eq 10 ] || fail "the overview shows $rows country rows, expected 10"
for country in US GB DE FR NL CH SE JP IN MX; do
    grep -q "<tr data-country=\"$country\"><td>$country</td>" <<<"$overview" || fail "no row for $country"
done
grep -q '<svg class="chart"' <<<"$overview" || fail "the overview has no chart"
grep -qi '<script' <<<"$overview" && fail "the overview's DOM contains a script element"

# One signature with stored details (every non-match row keeps them).
signature=$(sqlite3 "$store" "SELECT signature_id FROM comparison WHERE kind != 'match' ORDER BY event_id LIMIT 1")
[ -n "$signature" ] || fail "the store has no signature with details"
page=$(load "${url}signatures/$signature")
grep -q "<h1>Signature <code>$signature</code></h1>" <<<"$page" || fail "the signature page does not name $signature"
grep -q '<section class="example">' <<<"$page" || fail "the signature page shows no example event"
grep -qi '<script' <<<"$page" && fail "the signature page's DOM contains a script element"

echo "browser-check: chromium $("$browser" --version 2>/dev/null | awk '{print $2}') loaded $url (10 country rows) and signature $signature"
