/**
 * log-lines.ts: the debris filter, and LogTracker against logs that grow at
 * random, fetched as Nova answers (the simulator's _tail_log and decode):
 * whatever the growth and the windows, what it reports is the log, each line
 * once.
 */
import { describe, expect, it } from 'vitest';
import { LogTracker, lastLines, removeDebris } from '../../src/core/log-lines.js';
import type { Fetch } from '../../src/core/log-lines.js';
import { novaOutput, tailLog } from '../sim/console-log.js';

describe('removeDebris', () => {
  it.each([
    ['[[0;32m  OK  [0m] Started ssh.service', '[  OK  ] Started ssh.service'],
    ['Welcome to [1mDebian GNU/Linux 12[0m!', 'Welcome to Debian GNU/Linux 12!'],
    ['[?25l[1;1H[2Jscreen', 'screen'],
    ['done(B[m', 'done'],
    ['[K[  *** ] A start job is running', '[  *** ] A start job is running'],
    ['[    1.204561] Run /sbin/init', '[    1.204561] Run /sbin/init'],
    ['[Kernel] [Hello] [0]', '[Kernel] [Hello] [0]'],
  ])('%j → %j', (line, want) => {
    expect(removeDebris(line)).toBe(want);
  });
});

describe('lastLines', () => {
  it('counts an unfinished last line as one, and says when lines were left out', () => {
    expect(lastLines('a\nb\nlogin: ', 2)).toEqual({ lines: ['b', 'login: '], more: true });
    expect(lastLines('a\nb\n', 2)).toEqual({ lines: ['a', 'b'], more: false });
    expect(lastLines('a\nb\n', 0)).toEqual({ lines: [], more: true });
    expect(lastLines('', 3)).toEqual({ lines: [], more: false });
  });
});

/** A deterministic generator (xorshift32), so a failure can be replayed. */
function rng(seed: number) {
  let x = seed || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Follows a log the way console-log.ts does: a window, widened ×4 up to everything. */
function follow(seed: number, words: string[], firstLength?: number) {
  const pick = rng(seed);
  let log = Buffer.alloc(0);
  const fetch = (length?: number): Fetch => ({
    output: novaOutput(length === undefined ? log : tailLog(log, length)),
    length,
  });
  const grow = () => {
    const n = pick(12);
    for (let i = 0; i < n; i++) log = Buffer.concat([log, Buffer.from(words[pick(words.length)] as string)]);
  };
  for (let i = 0; i < (firstLength === undefined ? 1 : 30); i++) grow();
  const tracker = new LogTracker();
  const firstFetch = fetch(firstLength);
  const startedAt = log.length;
  const first = tracker.start(firstFetch);
  let seen = first.complete.join('\n') + (first.complete.length ? '\n' : '');
  let partial = first.partial;
  let requests = 1;
  for (let round = 0; round < 60; round++) {
    grow();
    let window = 2 + pick(40);
    let step = tracker.next(fetch(window));
    requests++;
    while (step.kind === 'widen') {
      window *= 4;
      step = tracker.next(fetch(window > 4000 ? undefined : window));
      requests++;
    }
    expect(step.kind).toBe('new');
    if (step.kind !== 'new') break;
    expect(step.was).toBe(partial);
    if (step.lines.length > 0) {
      // The first new line finishes the one that was being written.
      expect((step.lines[0] as string).startsWith(partial)).toBe(true);
      seen += step.lines.join('\n') + '\n';
    }
    partial = step.partial;
  }
  // What should have come: the first fetch, then everything the log grew by.
  return { printed: seen + partial, log: firstFetch.output + novaOutput(log.subarray(startedAt)), requests };
}

describe('LogTracker', () => {
  it('100 logs growing at random, fetched through random windows from a whole first fetch: each comes back exactly', () => {
    const words = ['[  OK  ] x\r\n', 'boot ', 'ok\n', '\n', '.', '.\n', 'login: ', 'a\nb\n'];
    for (let seed = 1; seed <= 100; seed++) {
      const r = follow(seed, words);
      expect(r.printed, `seed ${seed}`).toBe(r.log);
    }
  });

  it('50 longer logs whose first fetch is a window (as --lines asks): what comes after it comes exactly', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const words = [`[  OK  ] started unit number ${seed}\r\n`, 'boot ', 'ok\n', '\n', 'login: ', 'a\nb\n', 'x'];
      // console-log.ts asks for at least 200 elements first; 12 is harder.
      const r = follow(seed, words, 12);
      expect(r.printed, `seed ${seed}`).toBe(r.log);
    }
  });

  it('a log of one repeated line, its position known from the start, is never printed twice', () => {
    const r = follow(9, ['.\n']);
    expect(r.printed).toBe(r.log);
  });

  it('a restarted log is a gap, reported with the new log whole', () => {
    const t = new LogTracker();
    t.start({ output: 'a\nb\nlogin: ' });
    expect(t.next({ output: 'x\n', length: 50 })).toEqual({
      kind: 'gap',
      reason: 'restarted',
      lines: ['x'],
      partial: '',
    });
  });
});
