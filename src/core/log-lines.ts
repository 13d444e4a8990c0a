/**
 * The console log as lines, and following it without an offset API.
 *
 * Nova's os-getConsoleOutput returns the end of the log as text
 * (nova/compute/manager.py _tail_log: `length` is a count of the elements of
 * `log.split("\n")`, so a log ending in "\n" has an empty last element, and a
 * getty's "login: " prompt is an element with no line end after it). The
 * console-log-offset spec never shipped: following means fetching the end
 * again and finding where it overlaps what was already seen.
 */

/** What libvirt hands Nova: the last 100 KiB (nova/virt/libvirt/driver.py MAX_CONSOLE_BYTES). */
const LIBVIRT_MAX_BYTES = 100 * 1024;
/**
 * An output this long may be libvirt's cut (its first line then starts mid-way). Nova drops
 * CR and other controls after the cut, so a cut CRLF log comes back a little shorter.
 */
const MAYBE_CUT = LIBVIRT_MAX_BYTES - 5 * 1024;

/**
 * Escape sequences whose ESC Nova removed ([\x00-\x08\x0B-\x1F] in
 * api/openstack/compute/console_output.py), leaving "[0;32m": SGR and cursor
 * or erase sequences with numbers, private modes ("[?25l"), tput sgr0's
 * "(B[m", and the bare "[m", "[K", "[J", "[H" when no letter follows (so
 * "[Kernel]" stays).
 */
const DEBRIS = /\(B\[m|\[(?:\?\d+[hl]|\d+(?:;\d+)*[A-HJKSTfmnsu]|;[\d;]*m|[mKJH](?![A-Za-z]))/g;

export function removeDebris(line: string): string {
  return line.replace(DEBRIS, '');
}

/** Nova's output as its "\n"-separated elements: every one a complete line but the last. */
export function elements(output: string): { complete: string[]; partial: string } {
  const parts = output.split('\n');
  const partial = parts.pop() ?? '';
  return { complete: parts, partial };
}

/** The last `n` lines of an output, its unfinished last line counting as one; `more`: lines were left out. */
export function lastLines(output: string, n: number): { lines: string[]; more: boolean } {
  const { complete, partial } = elements(output);
  const all = partial === '' ? complete : [...complete, partial];
  return { lines: n === 0 ? [] : all.slice(-n), more: all.length > n };
}

/** True when the output may be libvirt's 100 KiB cut of a longer log. */
export function maybeCut(output: string): boolean {
  return output.length >= MAYBE_CUT;
}

/** One fetch: Nova's output, and the `length` asked for (undefined: all of it). */
export interface Fetch {
  output: string;
  length?: number;
}

export type Step =
  /** `lines`: new complete lines, the first continuing `was` (the line left unfinished before, '' if none). */
  | { kind: 'new'; lines: string[]; partial: string; was: string }
  /** The fetch does not reach back to what was seen, or fits it in more than one place: fetch more. */
  | { kind: 'widen' }
  /** What was seen is gone: the log started again (another host), or more than 100 KiB came since. */
  | { kind: 'gap'; reason: 'restarted' | 'outran'; lines: string[]; partial: string };

/** Lines a window must share with what was seen before it is trusted (the poll window leaves 20). */
const MIN_OVERLAP = 8;
/** Lines kept to match against: more than any window asks for. */
const KEEP = 10_000;

/**
 * What has been seen of one log: its last complete lines, the unfinished one
 * after them, and, once a fetch held the whole log from its start, the
 * position of that unfinished line (which settles repeated lines).
 */
export class LogTracker {
  private tail: string[] = [];
  private partial = '';
  private position: number | undefined;

  /** The first fetch: all of it counts as seen. */
  start(f: Fetch): { complete: string[]; partial: string } {
    const e = elements(f.output);
    this.remember(e.complete, e.partial, fromStart(f) ? e.complete.length : undefined);
    return e;
  }

  next(f: Fetch): Step {
    const e = elements(f.output);
    const whole = isWhole(f);
    if (fromStart(f) && this.position !== undefined) {
      const s = this.position;
      if (s <= e.complete.length && this.fits(e, s)) return this.accept(e, s, true);
      return this.gap(e, 'restarted', true);
    }
    // A window that is not the whole log must reach back over MIN_OVERLAP lines already seen
    // (all of them, when fewer were): a shorter overlap, "all of it is new" at the extreme, is
    // too weak to tell the right place from a line that happens to repeat.
    const least = whole ? 0 : Math.min(MIN_OVERLAP, this.tail.length);
    const candidates: number[] = [];
    for (let s = least; s <= e.complete.length; s++) if (this.fits(e, s)) candidates.push(s);
    if (candidates.length === 1) return this.accept(e, candidates[0] as number, fromStart(f));
    if (!whole) return { kind: 'widen' };
    // The whole log as Nova has it: never print a line twice (the latest fit has the fewest new lines).
    if (candidates.length > 1) return this.accept(e, candidates.at(-1) as number, fromStart(f));
    return this.gap(e, maybeCut(f.output) ? 'outran' : 'restarted', fromStart(f));
  }

  /** Element s of the fetch is where the unfinished line was, and the lines before it are the last ones seen. */
  private fits(e: { complete: string[]; partial: string }, s: number): boolean {
    const at = s < e.complete.length ? e.complete[s] : e.partial;
    if (!(at as string).startsWith(this.partial)) return false;
    const k = Math.min(s, this.tail.length);
    for (let i = 1; i <= k; i++) if (e.complete[s - i] !== this.tail[this.tail.length - i]) return false;
    return true;
  }

  private accept(e: { complete: string[]; partial: string }, s: number, anchored: boolean): Step {
    const was = this.partial;
    const lines = e.complete.slice(s);
    this.remember(lines, e.partial, anchored ? e.complete.length : undefined, true);
    return { kind: 'new', lines, partial: e.partial, was };
  }

  private gap(e: { complete: string[]; partial: string }, reason: 'restarted' | 'outran', anchored: boolean): Step {
    this.tail = [];
    this.position = undefined;
    this.remember(e.complete, e.partial, anchored ? e.complete.length : undefined);
    return { kind: 'gap', reason, lines: e.complete, partial: e.partial };
  }

  private remember(lines: string[], partial: string, position: number | undefined, add = false): void {
    this.tail = add ? [...this.tail, ...lines] : [...lines];
    if (this.tail.length > KEEP) this.tail = this.tail.slice(-KEEP);
    this.partial = partial;
    this.position = position ?? (this.position === undefined || !add ? undefined : this.position + lines.length);
  }
}

/** The fetch holds everything Nova has: nothing asked to be left out, or less came back than asked. */
function isWhole(f: Fetch): boolean {
  return f.length === undefined || f.output.split('\n').length < f.length;
}

/** The fetch starts where the log starts: whole, and not libvirt's cut of something longer. */
function fromStart(f: Fetch): boolean {
  return isWhole(f) && !maybeCut(f.output);
}
