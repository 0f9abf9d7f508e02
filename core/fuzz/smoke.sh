#!/usr/bin/env bash
# Smoke-runs every fuzz target for a few seconds each, starting from the committed seeds.
# Usage: core/fuzz/smoke.sh [seconds per target, default 20]. Needs nightly and cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
run() {
    local target="$1" seeds="$2"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" "corpus/$target" "$seeds" -- \
        -max_total_time="$secs" -max_len=65536 -print_final_stats=1
}
run json_parse seeds/frames
run event_parse seeds/frames
run agent_reduce seeds/agent_reduce
run session_replay seeds/session_replay
run agent_state seeds/agent_state
