#!/usr/bin/env bash
# Smoke-runs every fuzz target of genesys-notify-embassy for a few seconds each, starting from
# the committed seeds. Usage: adapter-embassy/fuzz/smoke.sh [seconds per target, default 20].
# Needs nightly and cargo-fuzz (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
run() {
    local target="$1"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$secs" -max_len=8192 -print_final_stats=1
}
run http_response
run ws_stream
run certificate_chain
run mqtt_listener
