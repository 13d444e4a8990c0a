/** The values `console attach` and `--wait` take on the command line: durations and the escape key. */
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, withWaitDefault } from '../../src/cli/duration.js';
import { describeEscape, parseEscape } from '../../src/ui/attach-io.js';

describe('durations', () => {
  it.each([
    ['5s', 5000],
    ['250ms', 250],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['30', 30_000],
    ['0.5', 500],
    ['24h', 86_400_000],
  ])('%s is %i ms', (raw, ms) => {
    expect(parseDuration(raw, '--for')).toBe(ms);
  });

  it.each(['', 's', '5x', '-5s', '5 s', '1h2', '0s', '0', '25h', 'web-1', '5s5'])(
    '%j is refused naming the flag',
    (raw) => {
      expect(() => parseDuration(raw, '--for')).toThrow(/^--for /);
    },
  );

  it('formats for messages', () => {
    expect([500, 5000, 90_000, 3_600_000, 3_690_000].map(formatDuration)).toEqual([
      '500ms',
      '5s',
      '1m30s',
      '1h',
      '1h1m30s',
    ]);
  });

  it('a bare --wait means 10m unless a duration follows; a word after it stays an argument', () => {
    expect(withWaitDefault(['console', 'get', '--wait', 'web-1'])).toEqual(['console', 'get', '--wait=10m', 'web-1']);
    expect(withWaitDefault(['console', 'get', 'web-1', '--wait'])).toEqual(['console', 'get', 'web-1', '--wait=10m']);
    expect(withWaitDefault(['console', 'get', '--wait', '5m', 'web-1'])).toEqual([
      'console',
      'get',
      '--wait',
      '5m',
      'web-1',
    ]);
    expect(withWaitDefault(['console', 'get', '--wait=1h', 'web-1'])).toEqual(['console', 'get', '--wait=1h', 'web-1']);
    expect(withWaitDefault(['console', 'get', '--', '--wait'])).toEqual(['console', 'get', '--', '--wait']);
  });
});

describe('the escape key', () => {
  it.each([
    ['^]', 0x1d, 'Ctrl-]'],
    ['^X', 0x18, 'Ctrl-X'],
    ['^x', 0x18, 'Ctrl-X'],
    ['^@', 0x00, 'Ctrl-@'],
    ['^?', 0x7f, 'Ctrl-?'],
    ['^^', 0x1e, 'Ctrl-^'],
  ])('%s is byte %i (%s)', (spec, byte, name) => {
    expect(parseEscape(spec)).toBe(byte);
    expect(describeEscape(byte)).toBe(name);
  });

  it('none disables it', () => {
    expect(parseEscape('none')).toBeNull();
  });

  it.each(['', ']', '^', '^1', 'Ctrl-]', '^]]', 'x'])('%j is a usage error', (spec) => {
    expect(() => parseEscape(spec)).toThrow(/--escape takes a control key/);
  });

  it('^[ (ESC) is refused: every arrow key starts with it', () => {
    expect(() => parseEscape('^[')).toThrow(/ESC, which starts every arrow and function key/);
  });
});
