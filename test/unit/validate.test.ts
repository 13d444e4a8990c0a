/** The shape checks of src/openstack/validate.ts and --timeout parsing, as pure functions. */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseTimeout } from '../../src/cli/program.js';
import { checkServerArgument } from '../../src/core/servers.js';
import { consoleUrl, list, nullable, num, obj, optional, ShapeError, str } from '../../src/openstack/validate.js';
import { quoted } from '../../src/text.js';

function shapeError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ShapeError);
    return (err as Error).message;
  }
  throw new Error('no ShapeError');
}

describe('shape checks', () => {
  const server = obj({ id: str, name: str, port: nullable(num), note: optional(str) });

  it('keep the checked fields, drop the others, tolerate absent optional ones', () => {
    expect(server({ id: 'a', name: 'b', port: null, extra: 1 }, 's')).toEqual({ id: 'a', name: 'b', port: null });
    expect(server({ id: 'a', name: 'b', note: 'n' }, 's')).toEqual({ id: 'a', name: 'b', port: null, note: 'n' });
  });

  it('name the path of the first wrong field', () => {
    expect(shapeError(() => list(server)([{ id: 'a', name: 'b' }, { id: 'c' }], 'servers'))).toBe(
      'servers[1].name: expected a string',
    );
    expect(shapeError(() => server({ id: 'a', name: 'b', port: '80' }, 'console'))).toBe(
      'console.port: expected a number or null',
    );
    expect(shapeError(() => server([], 'token'))).toBe('token: expected an object');
    expect(shapeError(() => list(str)({}, 'methods'))).toBe('methods: expected a list');
  });

  it('does not read inherited properties', () => {
    expect(shapeError(() => obj({ toString: str })({}, 'x'))).toBe('x.toString: expected a string');
  });
});

describe('console URLs', () => {
  it('accept http, https, ws and wss', () => {
    for (const u of [
      'http://h:6080/vnc_lite.html?path=%3Ftoken%3Dabc',
      'https://h/spice_auto.html?token=1',
      'ws://h:6083/?token=1',
      'wss://[::1]/?token=1',
    ]) {
      expect(consoleUrl(u, 'url')).toBe(u);
    }
  });

  it('refuse other schemes, spaces and control characters, escaped and shortened', () => {
    expect(shapeError(() => consoleUrl('javascript:alert(1)', 'url'))).toBe(
      'url: expected an http, https, ws or wss URL, got "javascript:alert(1)"',
    );
    expect(shapeError(() => consoleUrl('http://h/a b', 'url'))).toMatch(/got "http:\/\/h\/a b"$/);
    expect(shapeError(() => consoleUrl('http://h/\u001b[2J\u0000', 'url'))).toMatch(
      /got "http:\/\/h\/\\x1b\[2J\\x00"$/,
    );
    expect(shapeError(() => consoleUrl('file:///etc/passwd', 'url'))).toMatch(/expected an http/);
    expect(shapeError(() => consoleUrl(`http://h/${'a'.repeat(500)}\n`, 'url')).length).toBeLessThan(160);
  });
});

describe('quoted', () => {
  it('escapes C0, DEL and C1 controls and truncates with an ellipsis', () => {
    expect(quoted('a\nb\tc\u007f\u009b')).toBe('"a\\nb\\tc\\x7f\\x9b"');
    expect(quoted('x'.repeat(100), 10)).toBe(`"${'x'.repeat(9)}…"`);
  });
});

describe('--timeout values', () => {
  it('accepts plain decimals from 1 ms to a day', () => {
    expect(parseTimeout('30')).toBe(30);
    expect(parseTimeout('1.5')).toBe(1.5);
    expect(parseTimeout('.5')).toBe(0.5);
    expect(parseTimeout('2.')).toBe(2);
    expect(parseTimeout('0.001')).toBe(0.001);
    expect(parseTimeout('86400')).toBe(86400);
  });

  it('refuses the rest', () => {
    for (const bad of [
      '',
      ' ',
      '0',
      '0.0009',
      '-1',
      '+1',
      '1e3',
      '0x10',
      'Infinity',
      'NaN',
      '1,5',
      '86400.5',
      '99999999999',
    ]) {
      expect(() => parseTimeout(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe('server arguments', () => {
  it('accepts up to 255 characters of printable text', () => {
    expect(() => checkServerArgument('x'.repeat(255))).not.toThrow();
    expect(() => checkServerArgument('web 1 é ✓')).not.toThrow();
  });

  it('refuses longer ones and control characters, exit 2, never echoing more than 40 characters', () => {
    expect(() => checkServerArgument('x'.repeat(256))).toThrow(
      /^the server argument "x{39}…" is 256 characters; Nova server names have at most 255$/,
    );
    expect(() => checkServerArgument('a\u0000b')).toThrow(
      /^the server argument "a\\x00b" contains a control character/,
    );
  });
});
