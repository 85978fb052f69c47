#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test invoice-shadow.
# Idempotent: packages already installed are skipped, and apt is not touched when none are missing.
set -euo pipefail

PACKAGES=(
    make pkg-config
    libpython3-dev python3-jinja2 python3-babel python3-pytest   # the embedded legacy service
    libexpat1-dev zlib1g-dev                                     # linked beside the static libpython3.11.a
    librdkafka-dev kcat                                          # Kafka and its embedded mock broker
    libsqlite3-dev sqlite3                                       # the store
    libssl-dev                                                   # libcrypto's HMAC-SHA256 keys the redaction tokens
    libxml2-utils                                                # xmllint validates the JUnit reports
    python3-venv                                                 # `make duckdb`: DuckDB from PyPI for exports to Parquet
    chromium                                                     # the dashboard's headless-browser check
    libcurl4                                                     # FoundationNetworking (the web tests' HTTP client)
    tzdata
    mount                                                        # DiskFullTests mounts a tmpfs (Priority: required; named so it is never assumed)
)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.1 or newer is needed)" >&2; exit 1; }
/usr/bin/python3 -c 'import jinja2, babel' || { echo "setup: Debian python3 cannot import jinja2 and babel" >&2; exit 1; }
echo "setup: ready"
