#!/usr/bin/env bash
# Parse + reduce of each real conversation payload by the core, as a ratio of
# serde_json::from_slice::<serde_json::Value> of the same bytes, both measured in this run.
# Usage: bash bench/core-ratio.sh [extra criterion args, e.g. --quick]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p genesys-notify-core --bench parse_reduce -- "$@" >/dev/null
python3 - <<'PY'
import json, pathlib
root = pathlib.Path("target/criterion/parse_reduce")
def mean(fn, payload):
    est = json.loads((root / fn / payload / "new" / "estimates.json").read_text())
    return est["mean"]["point_estimate"]
print(f"{'payload':<22}{'core (ns)':>12}{'serde_json::Value (ns)':>25}{'ratio':>8}")
for payload in sorted(p.name for p in (root / "core").iterdir() if p.is_dir() and p.name != "report"):
    core, base = mean("core", payload), mean("serde_json_value", payload)
    print(f"{payload:<22}{core:>12.0f}{base:>25.0f}{core / base:>8.2f}")
PY
