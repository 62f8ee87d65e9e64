#!/usr/bin/env bash
# Renders a run's report.html to a PNG with headless Chromium and checks that it shows the plots.
#
#   scripts/render_report.sh RUN_DIR [OUT.png]     (default OUT: RUN_DIR/report.png)
#
# Rebuilds the report from the journal first (grok-coord report), so the picture shows what the
# current build writes; GROK_COORD names the binary to use. Installs Debian's chromium package
# when it is missing. Checks: the HTML holds the heatmap, survival and accuracy SVGs, and the
# screenshot has a coloured region for each plot (scripts/report_png_check.py), which also crops
# the blank bottom. Exits non-zero when a check fails.
set -euo pipefail

run_dir=${1:?usage: scripts/render_report.sh RUN_DIR [OUT.png]}
out=${2:-$run_dir/report.png}
root=$(cd "$(dirname "$0")/.." && pwd)

coordinator=${GROK_COORD:-}
if [[ -z "$coordinator" ]]; then
    # The most recently built coordinator of any scratch path.
    coordinator=$(ls -t "$root"/.build*/release/grok-coord 2>/dev/null | head -n 1 || true)
fi
if [[ -n "$coordinator" ]]; then
    "$coordinator" report "$run_dir" --quiet >/dev/null
else
    echo "render_report: no grok-coord build found; rendering the existing report.html" >&2
fi
html="$run_dir/report.html"
[[ -f "$html" ]] || { echo "render_report: $html does not exist" >&2; exit 1; }

plots=0
for plot in heatmap survival accuracy; do
    if grep -q "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"$plot\"" "$html"; then
        plots=$((plots + 1))
    else
        echo "render_report: $html has no $plot plot" >&2
    fi
done
if grep -q "No trial has an outcome yet" "$html"; then
    echo "render_report: no trial has an outcome yet, so the page has no plots" >&2
fi

if ! command -v chromium >/dev/null 2>&1; then
    echo "render_report: installing chromium" >&2
    sudo_cmd=""
    [[ $(id -u) -eq 0 ]] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

# A window tall enough for the whole page: table rows, the SVGs' own heights, and the text.
rows=$(grep -o '<tr' "$html" | wc -l)
svg_height=$(grep -o '<svg [^>]*height="[0-9]*"' "$html" | sed 's/.*height="\([0-9]*\)"/\1/' | awk '{ s += $1 } END { print s + 0 }')
height=$(( 2000 + 80 * rows + svg_height ))
(( height > 16000 )) && height=16000

page="file://$(cd "$(dirname "$html")" && pwd)/report.html"
# A private profile keeps parallel renders apart; the timeout guards a hung browser.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$out" --window-size=1400,"$height" "$page" 2>/dev/null >/dev/null
[[ -s "$out" ]] || { echo "render_report: chromium wrote no screenshot" >&2; exit 1; }

echo "$out"
python3 "$root/scripts/report_png_check.py" "$out" 3
(( plots == 3 )) || exit 1
echo "render_report: the page shows its heatmap, survival and accuracy plots"
