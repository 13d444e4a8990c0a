/**
 * The fake guest behind a simulated serial port: a getty-like login, a
 * password prompt and a shell, on a tty in its default cooked mode (the
 * client is raw, so the guest echoes): ICRNL turns an input \r into a line
 * end, ONLCR writes each \n as \r\n, DEL erases a whole UTF-8 character
 * (IUTF8), ^C drops the line. Bytes in, bytes out: whatever is typed is
 * echoed and stored as the same bytes.
 *
 * Its port is a QEMU chardev socket server (qemu chardev/char-socket.c): one
 * connection at a time (tcp_chr_new_client stops accepting,
 * tcp_chr_disconnect_locked resumes). Further connections wait in the listen
 * backlog (accepted by TCP, not by QEMU): they get no output and what they
 * send stays buffered until the one before them leaves. Output written while
 * no one is connected is lost (tcp_chr_write).
 */

/** One TCP connection to the port, as the proxy holds it. */
export interface GuestLink {
  /** Bytes from the guest. */
  write(data: Buffer): void;
  /** The guest's side closed the connection (QEMU gone). */
  end(): void;
  /** The connection was reset (it was still in the backlog when the port closed). */
  reset(): void;
}

interface Pending {
  link: GuestLink;
  buffered: Buffer[];
}

const KERNEL = '6.1.0-27-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01) x86_64 GNU/Linux';

export class FakeGuest {
  /** Everything the guest received, in order, from whichever client was active. */
  received = Buffer.alloc(0);
  private active: Pending | undefined;
  private readonly backlog: Pending[] = [];
  private state: 'login' | 'password' | 'shell' = 'login';
  private line = Buffer.alloc(0);
  private user = '';
  private gone = false;

  /** `onOutput`: everything the guest writes, connected or not (QEMU's chardev logfile, console.log). */
  constructor(
    readonly hostname: string,
    private readonly onOutput?: (data: Buffer) => void,
  ) {}

  /** The link that currently talks to the guest. */
  get activeLink(): GuestLink | undefined {
    return this.active?.link;
  }

  /** Links waiting in the backlog, oldest first. */
  get waitingLinks(): GuestLink[] {
    return this.backlog.map((p) => p.link);
  }

  get loginState(): 'login' | 'password' | 'shell' {
    return this.state;
  }

  /** A new connection: served now if the port is free, else it waits. */
  connect(link: GuestLink): void {
    if (this.gone) return link.reset();
    const p: Pending = { link, buffered: [] };
    if (this.active) this.backlog.push(p);
    else this.active = p;
  }

  /** The proxy closed its connection; the next waiting one is accepted and its buffered input read. */
  disconnect(link: GuestLink): void {
    const i = this.backlog.findIndex((p) => p.link === link);
    if (i >= 0) this.backlog.splice(i, 1);
    if (this.active?.link !== link) return;
    this.active = this.backlog.shift();
    if (this.active) for (const chunk of this.active.buffered.splice(0)) this.input(chunk);
  }

  /** Bytes a connection sent: read now if it is the active one, else left in its socket buffer. */
  send(link: GuestLink, data: Buffer): void {
    if (this.active?.link === link) return this.input(data);
    this.backlog.find((p) => p.link === link)?.buffered.push(data);
  }

  /** The guest prints something (kernel messages, a service writing to the console); \n becomes \r\n. */
  print(text: string | Buffer): void {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    this.output(onlcr(bytes));
  }

  /** QEMU exits (deleted, or migrated away): the connection ends, the backlog is reset. */
  shutdown(): void {
    const active = this.active;
    const backlog = this.backlog.splice(0);
    this.active = undefined;
    for (const p of backlog) p.link.reset();
    active?.link.end();
  }

  /** The guest goes away for good; connections after this are refused. */
  destroy(): void {
    this.gone = true;
    this.shutdown();
  }

  private output(data: Buffer): void {
    if (data.length > 0) this.onOutput?.(data);
    // No connection: the chardev drops what the guest writes (its log still has it).
    if (data.length > 0) this.active?.link.write(data);
  }

  private input(data: Buffer): void {
    this.received = Buffer.concat([this.received, data]);
    for (const byte of data) this.byte(byte);
  }

  private byte(b: number): void {
    const echo = this.state !== 'password';
    if (b === 0x0d || b === 0x0a) {
      this.output(Buffer.from('\r\n'));
      const line = this.line;
      this.line = Buffer.alloc(0);
      return this.enter(line);
    }
    if (b === 0x03) {
      this.line = Buffer.alloc(0);
      if (this.state !== 'shell') return this.output(Buffer.from('^C\r\n'));
      return this.output(Buffer.from(`^C\r\n${this.prompt()}`));
    }
    if (b === 0x7f || b === 0x08) {
      if (this.line.length === 0) return;
      // IUTF8: back over continuation bytes to the start of the character.
      let cut = this.line.length - 1;
      while (cut > 0 && (this.line[cut]! & 0xc0) === 0x80) cut--;
      this.line = this.line.subarray(0, cut);
      if (echo) this.output(Buffer.from('\b \b'));
      return;
    }
    this.line = Buffer.concat([this.line, Buffer.from([b])]);
    if (echo) this.output(Buffer.from([b]));
  }

  private enter(line: Buffer): void {
    const text = line.toString('utf8');
    if (this.state === 'login') {
      // An empty line (the "\r" a client sends on connect) makes getty prompt again.
      if (text.trim() === '') return this.output(Buffer.from(`\r\n${this.hostname} login: `));
      this.user = text.trim();
      this.state = 'password';
      return this.output(Buffer.from('Password: '));
    }
    if (this.state === 'password') {
      this.state = 'shell';
      return this.output(Buffer.from(`Linux ${this.hostname} ${KERNEL.split(' ')[0]}\r\n${this.prompt()}`));
    }
    this.command(line);
  }

  private command(line: Buffer): void {
    const text = line.toString('utf8').trim();
    const [cmd, ...args] = text.split(/\s+/);
    const say = (s: string | Buffer) => this.output(Buffer.concat([onlcr(Buffer.from(s)), Buffer.from(this.prompt())]));
    if (!cmd) return say('');
    if (cmd === 'exit' || cmd === 'logout') {
      this.state = 'login';
      return this.output(Buffer.from(`logout\r\n\r\n${this.hostname} login: `));
    }
    if (cmd === 'hostname') return say(`${this.hostname}\n`);
    if (cmd === 'uname') return say(args.includes('-a') ? `Linux ${this.hostname} ${KERNEL}\n` : 'Linux\n');
    if (cmd === 'whoami') return say(`${this.user}\n`);
    // echo gives back its argument bytes exactly (multi-byte text included).
    if (cmd === 'echo') return say(Buffer.concat([echoArgs(line), Buffer.from('\n')]));
    return say(`-bash: ${cmd}: command not found\n`);
  }

  private prompt(): string {
    return `${this.user}@${this.hostname}:~$ `;
  }
}

/** The bytes after `echo ` on the line, as typed. */
function echoArgs(line: Buffer): Buffer {
  const s = line.toString('latin1');
  const m = /^\s*echo\s?/.exec(s);
  return line.subarray(m ? m[0].length : 0);
}

/** ONLCR: \n → \r\n on output. */
function onlcr(data: Buffer): Buffer {
  const out: number[] = [];
  for (const b of data) {
    if (b === 0x0a) out.push(0x0d);
    out.push(b);
  }
  return Buffer.from(out);
}
