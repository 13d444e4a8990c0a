#!/usr/bin/python3
"""A serial-port "guest" for nova's serial proxy: what QEMU's TCP chardev
(-chardev socket,server=on,wait=off) and a getty + shell behind it look like from the
proxy's side. Standard library only.

- One client at a time, like QEMU's chardev/char-socket.c: while a client is connected the
  listening socket is not accepted from, so a second TCP connection completes (kernel
  backlog) but gets no data, and what it sends waits, until the first one leaves.
- The port keeps its state across clients: a login stays logged in (a real serial line
  has no hang-up), and output is only ever an answer to input.
- A tty line discipline: typed bytes are echoed, "\r" (or "\n") ends a line and echoes
  "\r\n", DEL/BS erase, ^C drops the line, ^D on an empty line logs out.
- Getty: an empty line reprints the login prompt; any user name logs in (no password).
  Shell: uname [-a], hostname, whoami, tty, echo ..., seq N, exit/logout; anything else is
  "command not found".

Usage: serial_guest.py --port N [--host 127.0.0.1] [--hostname demo-vm]
"""
import argparse
import socket
import sys
import time

KERNEL = '6.1.0-osconsole'


class Tty:
    def __init__(self, hostname):
        self.hostname = hostname
        self.user = None  # None: at the login prompt
        self.line = b''

    def login_prompt(self):
        return f'\r\nDebian GNU/Linux 12 {self.hostname} ttyS0\r\n\r\n{self.hostname} login: '

    def prompt(self):
        if self.user is None:
            return self.login_prompt()
        return f'{self.user}@{self.hostname}:~{"#" if self.user == "root" else "$"} '

    def feed(self, data):
        """Bytes typed -> bytes the tty writes back."""
        out = b''
        for b in data:
            c = bytes([b])
            if c in (b'\r', b'\n'):
                line, self.line = self.line, b''
                out += b'\r\n' + self.run(line.decode('utf-8', 'replace').strip()).encode()
            elif c in (b'\x7f', b'\x08'):
                if self.line:
                    self.line = self.line[:-1]
                    out += b'\b \b'
            elif c == b'\x03':
                self.line = b''
                out += b'^C\r\n' + self.prompt().encode()
            elif c == b'\x04':
                if not self.line:
                    out += (b'logout\r\n' if self.user is not None else b'') + self.logout().encode()
            elif b >= 0x20 or c == b'\t':
                self.line += c
                out += c
        return out

    def logout(self):
        self.user = None
        return self.login_prompt()

    def run(self, line):
        if self.user is None:
            if not line:
                return self.login_prompt()
            self.user = line.split()[0]
            return f'Linux {self.hostname} {KERNEL} #1 SMP x86_64\r\n\r\n' + self.prompt()
        return self.command(line) + self.prompt()

    def command(self, line):
        argv = line.split()
        if not argv:
            return ''
        cmd, args = argv[0], argv[1:]
        if cmd in ('exit', 'logout'):
            self.user = None
            return 'logout\r\n'  # prompt() is then the login prompt
        if cmd == 'uname':
            full = f'Linux {self.hostname} {KERNEL} #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux'
            return (full if '-a' in args else 'Linux') + '\r\n'
        if cmd == 'hostname':
            return self.hostname + '\r\n'
        if cmd == 'whoami':
            return self.user + '\r\n'
        if cmd == 'tty':
            return '/dev/ttyS0\r\n'
        if cmd == 'echo':
            return line[len('echo'):].strip() + '\r\n'
        if cmd == 'seq' and len(args) == 1 and args[0].isdigit():
            return ''.join(f'{i}\r\n' for i in range(1, min(int(args[0]), 100000) + 1))
        return f'-bash: {cmd}: command not found\r\n'


def log(msg):
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


def serve(conn, tty):
    while True:
        try:
            data = conn.recv(4096)
        except OSError:
            return
        if not data:
            return
        answer = tty.feed(data)
        if answer:
            try:
                conn.sendall(answer)
            except OSError:
                return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--hostname', default='demo-vm')
    a = ap.parse_args()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(8)
    log(f'serial guest {a.hostname} on {a.host}:{a.port}')
    tty = Tty(a.hostname)
    while True:
        # accept only when nobody is connected (QEMU: one client per chardev socket)
        conn, peer = ls.accept()
        log(f'client {peer[0]}:{peer[1]} connected')
        with conn:
            serve(conn, tty)
        log(f'client {peer[0]}:{peer[1]} left')


if __name__ == '__main__':
    sys.exit(main())
