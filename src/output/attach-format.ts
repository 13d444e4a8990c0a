/**
 * What `console attach` says on stderr while the console's bytes go to stdout:
 * one banner before the first connect (on a terminal), then a line per event
 * worth knowing. Nothing of ours goes into the console stream.
 */
import type { AttachEvent } from '../core/attach.js';
import { MAX_RETRIES } from '../core/attach.js';
import type { Output } from './output.js';
import { showWait } from './wait-format.js';

export interface AttachView {
  out: Output;
  /** A person at a terminal (stdin a TTY): the banner and the farewell are for them. */
  terminal: boolean;
  /** "Ctrl-]", or undefined with --escape none. */
  escapeKey?: string;
  /** Where the console left the cursor: a line of ours starts on a fresh line, and leaves it there. */
  lineStart: { atLineStart: boolean };
}

export function showAttachEvent(v: AttachView, e: AttachEvent): void {
  const line = (f: () => void) => {
    v.out.clearStatus();
    if (!v.lineStart.atLineStart) v.out.info('');
    f();
    v.lineStart.atLineStart = true;
  };
  switch (e.kind) {
    case 'console':
      for (const w of e.console.warnings) line(() => v.out.warn(w));
      if (!e.reconnect && v.terminal) line(() => v.out.note(banner(v, e)));
      return;
    case 'connected':
      if (e.reconnect) line(() => v.out.note('osconsole: reconnected'));
      return;
    case 'silent':
      line(() =>
        v.out.warn(
          `no output from the console ${e.afterMs / 1000} s after connecting: another client may be attached to this serial port (a serial port serves one client at a time; this one gets output when the other leaves)`,
        ),
      );
      return;
    case 'dropped':
      line(() =>
        v.out.warn(
          e.retryInMs > 0
            ? `${e.why}; reconnecting in ${e.retryInMs / 1000} s (${e.attempt} of ${MAX_RETRIES})`
            : `${e.why}; trying a fresh console`,
        ),
      );
      return;
    case 'waiting':
      showWait(v.out, e.progress);
      return;
    case 'warning':
      line(() => v.out.warn(e.text));
  }
}

function banner(v: AttachView, e: Extract<AttachEvent, { kind: 'console' }>): string {
  const { server } = e.console;
  const name = server.name ? `${server.name} (${server.id})` : server.id;
  const quit = v.escapeKey
    ? `${v.escapeKey} quits`
    : 'no escape key (--escape none): end it from the guest or with a signal';
  return `Serial console of ${name}. ${quit}. A dropped session reconnects with a fresh console.`;
}

/** The last line on a terminal, after raw mode is left. */
export function farewell(name: string): string {
  return `Detached from ${name}.`;
}
