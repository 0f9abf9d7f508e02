#!/usr/bin/env bash
# Sends a desk-light settings file over the serial port, one line at a time, and prints each
# reply. Needs only bash and stty.
#
#   configure.sh DEVICE [FILE]        FILE defaults to standard input
#
# FILE holds console commands (`set wifi.ssid Office`, `restart`, …); blank lines and `# …`
# comments are skipped. Values are never echoed here (they may be secrets): each command is
# shown as its first two words. Exits 1 if the light answered any line with `error:` or did not
# answer within REPLY_SECONDS (default 5).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DEVICE [FILE]   (e.g. $0 /dev/ttyACM0 my-light.conf)" >&2
  exit 2
fi
device="$1"
file="${2:-/dev/stdin}"
timeout="${REPLY_SECONDS:-5}"

export LC_ALL=C
stty -F "$device" 115200 raw -echo -hupcl
exec 3<>"$device"
# Log frames (defmt, binary) share the port; espflash's framing ends each with a NUL byte, so
# turning NULs into line ends puts every reply line at the start of a line of its own.
exec 4< <(stdbuf -o0 tr '\000' '\n' <&3)

failed=0
while IFS= read -r line || [ -n "$line" ]; do
  trimmed="${line#"${line%%[![:space:]]*}"}"
  if [ -z "$trimmed" ] || [ "${trimmed:0:1}" = "#" ]; then
    continue
  fi
  read -r word key _ <<<"$trimmed" || true
  printf '> %s\n' "$word${key:+ $key}"
  printf '%s\r\n' "$line" >&3
  answered=0
  while IFS= read -r -t "$timeout" reply <&4; do
    reply="${reply%$'\r'}"
    # A line with anything unprintable is (part of) a log frame, not a reply.
    case "$reply" in "" | *[![:print:]]*) continue ;; esac
    case "$reply" in
      ok* | error:*)
        printf '  %s\n' "$reply"
        case "$reply" in error:*) failed=1 ;; esac
        answered=1
        break
        ;;
    esac
    printf '  %s\n' "$reply"
  done
  if [ "$answered" = 0 ]; then
    echo "  no reply within ${timeout}s: is this the light's port, and is it running?" >&2
    exit 1
  fi
done <"$file"
exit "$failed"
