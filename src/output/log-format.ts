/**
 * `console log` output. Text: the lines as they come, a line still being
 * written shown as far as it goes and finished in place when it ends (as
 * `tail -f` shows a prompt). `--json`: one object; with `--follow`, one
 * object per line (JSON Lines). Lines wait for the end when `--until` must
 * first be met (no --follow).
 */
import type { LogEvent, LogOutcome } from '../core/console-log.js';
import type { Output } from './output.js';

export type LogMode = 'text' | 'json' | 'jsonl';

export class LogPrinter {
  /** Text mode: the partial line on stdout with no newline yet. */
  private open = '';
  /** What `json` mode (and a buffered text mode) collects. */
  private lines: string[] = [];
  private partial = '';

  constructor(
    private readonly out: Output,
    private readonly mode: LogMode,
    /** Hold the lines until the end (--until without --follow: print the log once the line came). */
    private readonly buffered: boolean,
  ) {}

  event(e: LogEvent): void {
    if (e.kind === 'gap') return this.out.warn(gapText(e.reason));
    if (this.mode === 'json' || this.buffered) return this.collect(e);
    if (this.mode === 'jsonl') {
      if (e.kind === 'line') this.out.jsonLine({ line: e.text });
      else this.partial = e.text;
      return;
    }
    this.write(e);
  }

  /** After the last event: the result for `json`, the buffered lines, the open line's newline. */
  finish(o: LogOutcome, until?: RegExp): void {
    if (this.mode === 'jsonl') {
      if (o.matchedPartial && o.matched !== undefined) this.out.jsonLine({ line: o.matched, partial: true });
      return;
    }
    const lines = this.partial === '' ? this.lines : [...this.lines, this.partial];
    if (this.mode === 'json') {
      this.out.json({
        server: { id: o.server.id, name: o.server.name },
        lines,
        truncated: o.truncated,
        ...(until ? { until: { pattern: until.source, matched: o.end === 'matched' } } : {}),
      });
      return;
    }
    if (this.buffered) for (const l of lines) this.out.result(l);
    else if (this.open !== '') this.out.resultPart('\n');
    this.open = '';
  }

  private collect(e: Exclude<LogEvent, { kind: 'gap' }>): void {
    if (e.kind === 'partial') this.partial = e.text;
    else {
      this.lines.push(e.text);
      this.partial = '';
    }
  }

  private write(e: Exclude<LogEvent, { kind: 'gap' }>): void {
    // A line that grew from the one shown: only the rest; anything else starts on a line of its own.
    const rest = this.open !== '' && e.text.startsWith(this.open) ? e.text.slice(this.open.length) : undefined;
    const text = rest ?? `${this.open === '' ? '' : '\n'}${e.text}`;
    if (e.kind === 'line') {
      this.out.resultPart(`${text}\n`);
      this.open = '';
    } else {
      this.out.resultPart(text);
      this.open = e.text;
    }
  }
}

function gapText(reason: 'restarted' | 'outran'): string {
  return reason === 'restarted'
    ? 'the console log started again (the server moved to another host, or was rebuilt): following it from its start'
    : 'more than Nova keeps of a console log (its last 100 KiB) came between two polls: lines may be missing; a shorter --interval helps';
}
