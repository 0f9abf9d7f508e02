#!/usr/bin/env bash
# Runs configure.sh against fake-light.py (a pseudo-terminal answering like the firmware):
# every line is sent, comments are not, replies are read through interleaved log frames, an
# `error:` reply makes it exit 1, and no secret is echoed.
set -euo pipefail
cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"; kill "${fake:-0}" 2>/dev/null || true' EXIT

python3 fake-light.py "$work/received" >"$work/device" &
fake=$!
for _ in $(seq 50); do [ -s "$work/device" ] && break; sleep 0.1; done
device="$(cat "$work/device")"

cat >"$work/light.conf" <<'CONF'
# office light
set wifi.ssid My Net
set client.secret TOPSECRET-42

show
set brightness 250
set leds 3
CONF

status=0
REPLY_SECONDS=3 ./configure.sh "$device" "$work/light.conf" >"$work/out" 2>&1 || status=$?

fail() { echo "configure.sh: $*"; cat "$work/out"; exit 1; }
[ "$status" = 1 ] || fail "exit status $status, expected 1 (one line was refused)"
grep -q 'TOPSECRET' "$work/out" && fail "a secret was echoed"
grep -qx '  ok wifi.ssid saved' "$work/out" || fail "a reply was lost"
grep -qx '  client.secret = \*\*\*' "$work/out" || fail "a data line was lost"
grep -qx '  error: brightness must be a whole number from 1 to 100' "$work/out" || fail "the error was lost"
grep -qx '  ok leds saved' "$work/out" || fail "it stopped after the error"
[ "$(wc -l <"$work/received")" = 5 ] || fail "the light received $(wc -l <"$work/received") lines, expected 5"
grep -q '^#' "$work/received" && fail "a comment was sent"
grep -qx 'set wifi.ssid My Net' "$work/received" || fail "a value was changed on the way"
echo "configure.sh: every check passed"
