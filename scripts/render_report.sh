#!/usr/bin/env bash
# Renders a run's report.html to a PNG with headless Chromium, to check the plots by eye.
#
#   scripts/render_report.sh RUN_DIR [OUT.png]     (default OUT: RUN_DIR/report.png)
#
# Rebuilds the report from the journal first (grok-coord report), so the picture shows what the
# current build writes. Installs Debian's chromium package when it is missing.
set -euo pipefail

run_dir=${1:?usage: scripts/render_report.sh RUN_DIR [OUT.png]}
out=${2:-$run_dir/report.png}
root=$(cd "$(dirname "$0")/.." && pwd)

coordinator=${GROK_COORD:-}
if [[ -z "$coordinator" ]]; then
    # The most recently built coordinator of any scratch path (GROK_COORD overrides).
    coordinator=$(ls -t "$root"/.build*/release/grok-coord 2>/dev/null | head -n 1 || true)
fi
if [[ -n "$coordinator" ]]; then
    "$coordinator" report "$run_dir" --quiet
else
    echo "render_report: no grok-coord build found; rendering the existing report.html" >&2
fi
[[ -f "$run_dir/report.html" ]] || { echo "render_report: $run_dir/report.html does not exist" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then
    echo "render_report: installing chromium" >&2
    if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi
fi

page="file://$(cd "$(dirname "$run_dir/report.html")" && pwd)/report.html"
# A private profile keeps parallel renders apart; the timeout guards a hung browser.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$out" --window-size=1400,2400 "$page" 2>/dev/null
echo "$out"
