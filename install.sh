#!/bin/sh
# Install NexusLite from the nexus.pyz beside this script:
#   sh install.sh --role manager|worker|both [nexus install options...]
# It finds a python3 that is 3.10 or newer, then runs: python3 nexus.pyz install "$@"
set -eu

case "$0" in
    */*) here=${0%/*} ;;
    *) here=. ;;
esac
pyz="$here/nexus.pyz"

if [ ! -f "$pyz" ]; then
    echo "install.sh: no nexus.pyz next to this script (looked for $pyz)" >&2
    exit 1
fi

found=""
for name in python3 python3.14 python3.13 python3.12 python3.11 python3.10; do
    # Run it by its full path: with no PATH set (env -i, some cron and ssh set-ups)
    # a python started by bare name cannot tell where it is (empty sys.executable).
    python=$(command -v "$name" 2>/dev/null) || continue
    case "$python" in
        /*) ;;
        *) python="$(pwd)/$python" ;;
    esac
    if "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        exec "$python" "$pyz" install "$@"
    fi
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) ||
        version="unusable"
    found="$found $name $version;"
done

echo "install.sh: NexusLite needs Python 3.10 or newer; found:${found:- no python3 on PATH}" >&2
echo "install.sh: install python3.10+ from your distribution (e.g. apt install python3," >&2
echo "install.sh: dnf install python3.11), then run this script again." >&2
exit 3
