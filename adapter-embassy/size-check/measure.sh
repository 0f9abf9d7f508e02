#!/usr/bin/env bash
# Builds the size-check binary for the ESP32-C3's target with and without the runner and prints
# what the runner adds (flash: .text + .rodata; RAM: .data + .bss). Needs the target installed.
set -euo pipefail
cd "$(dirname "$0")"
target=riscv32imc-unknown-none-elf
bin=target/$target/release/genesys-notify-embassy-size-check
section_sizes() { size -A "$bin" | awk '$1==".text"||$1==".rodata"{f+=$2} $1==".data"||$1==".bss"{r+=$2} END{print f+0, r+0}'; }
cargo build --release --target "$target" --quiet
read -r base_flash base_ram < <(section_sizes)
cargo build --release --target "$target" --features runner --quiet
read -r flash ram < <(section_sizes)
echo "embassy-net alone:       flash ${base_flash} B, static RAM ${base_ram} B"
echo "with the runner:         flash ${flash} B, static RAM ${ram} B"
echo "the runner adds:         flash $((flash - base_flash)) B"
