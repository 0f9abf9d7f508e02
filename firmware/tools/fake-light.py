#!/usr/bin/env python3
"""A stand-in for the light's serial console, for testing configure.sh without a board.

Opens a pseudo-terminal, prints its path, and answers each line the way the firmware does:
data lines, then a last line starting with `ok` or `error:`, with defmt log frames (0xFF 0x00
... 0x00, binary) mixed in as espflash's framing puts them. Records the lines it received in the
file named by its first argument. Stops after 20 s.
"""
import os
import pty
import select
import sys
import time
import tty

received_log = sys.argv[1]
master, slave = pty.openpty()
tty.setraw(master)
print(os.ttyname(slave), flush=True)

FRAME = b"\xff\x00\x12\x0a\x7f\x00"  # a log frame: binary, with a newline byte inside
buf = b""
deadline = time.time() + 20
with open(received_log, "wb") as log:
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            continue
        buf += os.read(master, 1024)
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.rstrip(b"\r")
            log.write(line + b"\n")
            log.flush()
            words = line.split(b" ")
            if words[0] == b"show":
                reply = FRAME + b"wifi.ssid = Office\r\nclient.secret = ***\r\n" + FRAME + b"ok\r\n"
            elif words[0] == b"set" and words[1] == b"brightness":
                reply = b"error: brightness must be a whole number from 1 to 100\r\n"
            else:
                reply = FRAME + b"ok " + words[-1 if len(words) < 2 else 1] + b" saved\r\n"
            os.write(master, reply)
