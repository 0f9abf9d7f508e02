#!/usr/bin/env bash
# The desk-light firmware's CI: from a clean checkout, installs the RISC-V targets, checks and
# tests the host-testable logic crate and the serial settings helper, lints and builds release
# images for the ESP32-C3 (default) and the ESP32-C6, and prints each image's size and static
# RAM against the budgets.
#
# No board is attached: nothing here flashes or runs the firmware.
#
# Sizes: with `espflash` on PATH the image size is that of the real flash image
# (`espflash save-image`); otherwise it is computed from the ELF's loadable sections with
# binutils' `size -A` (code and read-only data in flash, plus the initial values of RAM code and
# data): about 100 bytes less than espflash's image, which adds segment headers, a checksum and
# a hash (measured with espflash 4.7.0 on both chips).
# Static RAM is every RAM section the image fills before `main` runs: RAM code (.trap,
# .rwtext*), .data*, .bss*, .noinit and RTC fast memory. The heap placed in RAM the bootloader
# leaves behind (.dram2_uninit) is printed beside it, and not counted: that RAM is not
# available to static data.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never

# Budgets for the ESP32-C3 (the default board). Going over either fails the run.
IMAGE_BUDGET=1200000          # 1.2 MB
STATIC_RAM_BUDGET=163840      # 160 KiB

step() { printf '\n=== firmware: %s\n' "$*"; }

step "toolchain and targets (rust-toolchain.toml: stable 1.95.0 with both RISC-V targets)"
TOOLCHAIN="$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)"
if ! rustup toolchain list | grep -q "^$TOOLCHAIN-"; then
  rustup toolchain install "$TOOLCHAIN" --profile minimal --component rustfmt,clippy
fi
rustup component add --toolchain "$TOOLCHAIN" rustfmt clippy
rustup target add --toolchain "$TOOLCHAIN" riscv32imc-unknown-none-elf riscv32imac-unknown-none-elf

step "logic crate: format, clippy, host tests, docs"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
(cd logic && cargo fmt -- --check)
(cd logic && cargo clippy --target "$HOST" --all-targets -- -D warnings)
(cd logic && cargo test --target "$HOST")
(cd logic && RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --target "$HOST")

step "the serial settings helper against a simulated console"
bash tools/test-configure.sh

step "format and clippy (ESP32-C3)"
cargo fmt -- --check
cargo clippy --release -- -D warnings

step "release image for ESP32-C3"
cargo build --release
step "release image for ESP32-C6"
cargo build --release --target riscv32imac-unknown-none-elf --no-default-features --features esp32c6

# Prints "image_bytes static_ram_bytes reclaimed_heap_bytes" for an ELF.
measure() {
  local elf="$1" chip="$2" image
  read -r sections static reclaimed < <(size -A "$elf" | awk '
    $1 ~ /^\.(flash\.appdesc|rodata|text|trap|rwtext|data|rtc_fast\.(text|data))/ && $1 !~ /dummy|gap/ { image += $2 }
    $1 ~ /^\.(trap|rwtext|data|bss|noinit|rtc_fast)/ && $1 !~ /dummy/ { ram += $2 }
    $1 == ".dram2_uninit" { reclaimed += $2 }
    END { printf "%d %d %d\n", image, ram, reclaimed }')
  image="$sections"
  if command -v espflash >/dev/null 2>&1; then
    local out
    out="$(mktemp)"
    if espflash save-image --chip "$chip" "$elf" "$out" >/dev/null 2>&1; then
      image="$(stat -c %s "$out")"
    fi
    rm -f "$out"
  fi
  echo "$image $static $reclaimed"
}

report() {
  local name="$1" elf="$2" chip="$3" budgeted="$4"
  read -r image static reclaimed < <(measure "$elf" "$chip")
  awk -v n="$name" -v i="$image" -v s="$static" -v r="$reclaimed" 'BEGIN {
    printf "%-8s image %8d bytes (%.2f MB)   static RAM %7d bytes (%.1f KiB)   heap in reclaimed RAM %d KiB\n",
      n, i, i / 1000000, s, s / 1024, r / 1024 }'
  if [ "$budgeted" = yes ]; then
    if [ "$image" -gt "$IMAGE_BUDGET" ]; then
      echo "error: $name image exceeds its budget of $IMAGE_BUDGET bytes" >&2
      return 1
    fi
    if [ "$static" -gt "$STATIC_RAM_BUDGET" ]; then
      echo "error: $name static RAM is $static bytes, over its budget of $STATIC_RAM_BUDGET; largest:"
      local reclaimed_start
      reclaimed_start="$(size -A "$elf" | awk '$1 == ".dram2_uninit" { print $3 }')"
      nm -S --size-sort -C "$elf" | awk '$3 ~ /^[bBdD]$/' |
        while read -r address size _ symbol; do
          # Symbols in the bootloader's reclaimed RAM are not static RAM.
          if [ -z "$reclaimed_start" ] || [ "$((16#$address))" -lt "$reclaimed_start" ]; then
            printf '  %7d %s\n' "$((16#$size))" "$symbol"
          fi
        done | tail -5
      return 1
    fi
  fi
}

step "sizes (budget on the C3: image <= 1.2 MB, static RAM <= 160 KiB)"
report ESP32-C3 target/riscv32imc-unknown-none-elf/release/desk-light esp32c3 yes
report ESP32-C6 target/riscv32imac-unknown-none-elf/release/desk-light esp32c6 no
