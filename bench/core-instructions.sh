#!/usr/bin/env bash
# Instructions per frame to parse + reduce the real ACW conversation capture with the core,
# against serde_json::from_slice::<serde_json::Value> of the same bytes, counted by callgrind
# (repeatable whatever else the machine is doing). Needs valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p genesys-notify-core --example parse_reduce_loop
bin=target/release/examples/parse_reduce_loop
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 | sed -n 's/.*Collected : //p'; }
n=200
core=$(( ($(count core $n) - $(count core 0)) / n ))
base=$(( ($(count serde_json $n) - $(count serde_json 0)) / n ))
echo "instructions per frame: core ${core}, serde_json::Value ${base}, ratio $(python3 -c "print(f'{$core/$base:.2f}')")"
