#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal and answers its prompts.

Usage: tty_driver.py SPEC_JSON. SPEC: {"argv": [...], "env": {...}, "cwd": "...",
"steps": [{"expect": "<regex>", "send": "<text>"}], "timeout": 20}.
Prints {"code": N, "output": "...", "failed_step": i or null} as JSON on stdout.
The terminal merges the program's stdout and stderr, as a real one does.
"""
import json, os, pty, re, select, signal, sys, time

spec = json.loads(sys.argv[1])
deadline = time.time() + spec.get("timeout", 20)
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec.get("cwd", "."))
    os.execvpe(spec["argv"][0], spec["argv"], spec["env"])

buf = b""
def read_some(wait):
    global buf
    r, _, _ = select.select([fd], [], [], wait)
    if not r:
        return True
    try:
        data = os.read(fd, 4096)
    except OSError:
        return False
    if not data:
        return False
    buf += data
    return True

failed = None
pos = 0
for i, step in enumerate(spec.get("steps", [])):
    pattern = re.compile(step["expect"].encode())
    alive = True
    while True:
        m = pattern.search(buf, pos)
        if m:
            pos = m.end()
            break
        if time.time() > deadline or not alive:
            failed = i
            break
        alive = read_some(0.05)
    if failed is not None:
        break
    time.sleep(step.get("delay", 0.05))
    os.write(fd, step["send"].encode())

while time.time() < deadline and read_some(0.1):
    pass
# The terminal reaches EOF a moment before the process can be reaped.
code = -1
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        code = os.waitstatus_to_exitcode(status)
        break
    if time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        break
    time.sleep(0.02)
print(json.dumps({"code": code, "output": buf.decode("utf-8", "replace"), "failed_step": failed}))
