/**
 * A server's console log, and what Nova makes of it for os-getConsoleOutput.
 *
 * libvirt (nova/virt/libvirt/driver.py get_console_output,
 * _get_console_output_file): the guest's serial output goes to console.log
 * (virtlogd rotates it into console.log.0, …, which Nova reads as one); Nova
 * returns the last MAX_CONSOLE_BYTES = 100 KiB of the chain, so once the log
 * is longer its first line is cut, and older lines vanish as it grows. A
 * domain with no console device: ConsoleNotAvailable (404). A console whose
 * file does not exist yet: "" (200). A server moved to another host starts a
 * new, empty log there (the old host keeps the old file).
 *
 * nova/compute/manager.py get_console_output: str output is encoded latin-1,
 * `_tail_log(output, length)` keeps `b'\n'.join(log.split(b'\n')[-length:])`
 * (0 → b''), then `.decode('ascii', 'replace')`: every byte above 0x7f is one
 * U+FFFD. nova/api/openstack/compute/console_output.py then removes
 * [\x00-\x08\x0B-\x1F] (ESC and CR among them), leaving "[0;32m" debris.
 */

/** nova/virt/libvirt/driver.py MAX_CONSOLE_BYTES = 100 * units.Ki. */
export const MAX_CONSOLE_BYTES = 100 * 1024;
/** Bytes kept per server: more than Nova ever reads, so the 100 KiB window slides over real data. */
const KEEP_BYTES = 2 * MAX_CONSOLE_BYTES;
/** nova/virt/fake.py FakeDriver.get_console_output. */
export const FAKE_DRIVER_OUTPUT = 'FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE';

export class ConsoleLog {
  private data = Buffer.alloc(0);
  /** false: the domain has no console device (ConsoleNotAvailable). */
  available = true;
  private readonly listeners = new Set<() => void>();
  private timers = new Set<NodeJS.Timeout>();

  /** What the guest wrote, as bytes (a string is taken as UTF-8, as a guest's tty writes it). */
  append(chunk: string | Buffer): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (bytes.length === 0) return;
    this.data = Buffer.concat([this.data, bytes]);
    if (this.data.length > KEEP_BYTES) this.data = this.data.subarray(this.data.length - KEEP_BYTES);
    for (const l of this.listeners) l();
  }

  /** The server moved to another host: a new, empty console.log there. */
  restart(): void {
    this.data = Buffer.alloc(0);
  }

  /** What libvirt hands Nova: the last 100 KiB. */
  read(): Buffer {
    return this.data.length > MAX_CONSOLE_BYTES ? this.data.subarray(this.data.length - MAX_CONSOLE_BYTES) : this.data;
  }

  get size(): number {
    return this.data.length;
  }

  /** Appends `lines` one at a time, every `intervalMs` (a guest booting); the timers never hold the process. */
  play(lines: string[], intervalMs: number): void {
    let i = 0;
    const tick = () => {
      const line = lines[i++];
      if (line === undefined) return;
      this.append(line);
      const t = setTimeout(() => {
        this.timers.delete(t);
        tick();
      }, intervalMs);
      t.unref();
      this.timers.add(t);
    };
    tick();
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** manager.py _tail_log on bytes: `length` as int() takes it (a non-numeric string: 0). */
export function tailLog(log: Buffer, length: number | string): Buffer {
  const n = typeof length === 'number' ? length : /^\s*[-+]?\d+\s*$/.test(length) ? Number.parseInt(length, 10) : 0;
  if (n === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = log.indexOf(10); i !== -1; i = log.indexOf(10, start)) {
    parts.push(log.subarray(start, i));
    start = i + 1;
  }
  parts.push(log.subarray(start));
  // Python's list[-n:]: n > 0 keeps the last n (all when n ≥ len); n < 0 drops the first -n.
  const kept = n > 0 ? parts.slice(Math.max(0, parts.length - n)) : parts.slice(Math.min(parts.length, -n));
  return Buffer.concat(kept.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from('\n'), p])));
}

/** decode('ascii', 'replace'), then console_output.py's remove_re. */
export function novaOutput(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b > 0x7f ? '\ufffd' : String.fromCharCode(b);
  // eslint-disable-next-line no-control-regex
  return out.replace(/[\x00-\x08\x0B-\x1F]/g, '');
}

/** The fake driver returns a str: manager.py encodes it latin-1 before the tail. */
export function fakeDriverBytes(): Buffer {
  return Buffer.from(FAKE_DRIVER_OUTPUT, 'latin1');
}

/**
 * A boot as a libvirt guest's serial console shows it: the kernel and
 * systemd over ttyS0, CRLF line ends (the tty's ONLCR), systemd's coloured
 * "[  OK  ]" (ESC[0;32m … ESC[0m), a UTF-8 character, cloud-init's final
 * message and a getty prompt with no line end after it.
 */
export function bootLines(hostname: string, started: Date): string[] {
  const ok = (what: string) => `[\x1b[0;32m  OK  \x1b[0m] ${what}\r\n`;
  const stamp = started.toUTCString();
  return [
    '[    0.000000] Linux version 6.1.0-27-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)\r\n',
    '[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=LABEL=root ro console=tty0 console=ttyS0,115200\r\n',
    '[    1.204561] Run /sbin/init as init process\r\n',
    '\r\n',
    'Welcome to \x1b[1mDebian GNU/Linux 12 (bookworm)\x1b[0m!\r\n',
    '\r\n',
    ok('Created slice system-getty.slice - Slice /system/getty.'),
    '         Mounting boot-efi.mount – /boot/efi...\r\n',
    ok('Reached target local-fs.target - Local File Systems.'),
    ok('Started systemd-journald.service - Journal Service.'),
    '         Starting cloud-init-local.service - Initial cloud-init job (pre-networking)...\r\n',
    `[   4.318022] cloud-init[402]: Cloud-init v. 22.4.2 running 'init-local' at ${stamp}. Up 4.12 seconds.\r\n`,
    ok('Finished cloud-init-local.service - Initial cloud-init job (pre-networking).'),
    ok('Reached target network-online.target - Network is Online.'),
    `ci-info: ++++++++++++++++++++++++Net device info+++++++++++++++++++++++++\r\n`,
    `ci-info: | eth0 | True | 10.0.0.12 | 255.255.255.0 | global | fa:16:3e:4c:2a:01 |\r\n`,
    ok('Started ssh.service - OpenBSD Secure Shell server.'),
    `[   9.640211] cloud-init[611]: Cloud-init v. 22.4.2 finished at ${stamp}. Datasource DataSourceOpenStackLocal [net,ver=2].  Up 9.61 seconds\r\n`,
    ok('Finished cloud-final.service - Execute cloud user/final scripts.'),
    ok('Reached target multi-user.target - Multi-User System.'),
    '\r\n',
    `Debian GNU/Linux 12 ${hostname} ttyS0\r\n`,
    '\r\n',
    `${hostname} login: `,
  ];
}
