#!/usr/bin/env bash
# Renders a report.html in headless Chromium (Debian: apt-get install chromium)
# to report.png (the whole page) and report.pdf beside it, to look at what a
# reviewer will see. Not part of CI.
#   scripts/render_report.sh output/sle_sledai_addon/report.html
set -euo pipefail
html=$(realpath "$1")
dir=$(dirname "$html")
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) || {
  echo "needs Chromium: apt-get install chromium" >&2; exit 1; }
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars)
"$browser" "${flags[@]}" --window-size=1200,4000 --screenshot="$dir/report.png" "file://$html" 2>/dev/null
"$browser" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$dir/report.pdf" "file://$html" 2>/dev/null
ls -l "$dir/report.png" "$dir/report.pdf"
