#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine with Python:
# the project with its test extras, Debian's Chromium for the browser test, and
# systemd's tools for verifying the installer's unit files.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    need=()
    command -v chromium >/dev/null || need+=(chromium)
    command -v systemd-analyze >/dev/null || need+=(systemd)
    if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${need[@]}" >/dev/null
    fi
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
