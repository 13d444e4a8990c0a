/**
 * The output module: the only code that writes to the user's streams.
 *
 * stdout carries the result only (a URL, JSON, a table or tab-separated rows);
 * progress, prompts, warnings and errors go to stderr. Colour is decided once
 * per stream: only on a TTY, never with NO_COLOR, --no-color or TERM=dumb.
 *
 * Every writer escapes terminal controls in the text it is given, so cloud
 * text (server, project and user names, fault messages, URLs) can never
 * retitle or clear the user's terminal; colour is added after escaping, by
 * this module only. A non-UTF-8 locale or TERM=dumb gets ASCII tables and marks.
 */
import type { ChalkInstance } from 'chalk';
import type { Env, Streams, WritableLike } from '../deps.js';
import { escapeControls, escapeJsonControls } from '../text.js';

export interface OutputOptions {
  /** false when --no-color was given. */
  color?: boolean;
  debug?: boolean;
  /** Windows terminals take UTF-8 without any locale variable. */
  platform?: NodeJS.Platform;
}

/**
 * UTF-8 unless the locale says otherwise: like glibc, the first non-empty of
 * LC_ALL, LC_CTYPE and LANG decides, and none at all is the C locale.
 */
export function utf8Locale(env: Env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'win32') return true;
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '') ?? 'C';
  return /(^|\.)utf-?8(@|$)/i.test(locale);
}

/** Our own non-ASCII marks and their ASCII forms. */
const ASCII_GLYPHS: Record<string, string> = { '✓': 'OK', '✗': 'x', '…': '...', '→': '->', '←': '<-', '–': '-' };
const GLYPHS = new RegExp(`[${Object.keys(ASCII_GLYPHS).join('')}]`, 'g');

/** cli-table3 borders in plain ASCII. */
const ASCII_TABLE = {
  top: '-',
  'top-mid': '+',
  'top-left': '+',
  'top-right': '+',
  bottom: '-',
  'bottom-mid': '+',
  'bottom-left': '+',
  'bottom-right': '+',
  left: '|',
  'left-mid': '+',
  mid: '-',
  'mid-mid': '+',
  right: '|',
  'right-mid': '+',
  middle: '|',
};

/** A stream gets colour when it is a TTY, unless NO_COLOR, --no-color or TERM=dumb says otherwise. */
export function colorEnabled(stream: WritableLike, env: Env, flag = true): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true;
}

type Paint = (s: string) => string;
interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  yellow: Paint;
  green: Paint;
  cyan: Paint;
}

const PLAIN: Palette = { bold: id, dim: id, red: id, yellow: id, green: id, cyan: id };
function id(s: string): string {
  return s;
}

function palette(chalk: ChalkInstance): Palette {
  return {
    bold: chalk.bold,
    dim: chalk.dim,
    red: chalk.red,
    yellow: chalk.yellow,
    green: chalk.green,
    cyan: chalk.cyan,
  };
}

export class Output {
  /** Colours for stdout and stderr (identity functions when colour is off), applied after escaping. */
  private readonly out: Palette;
  private readonly err: Palette;
  readonly debugEnabled: boolean;
  /** ASCII tables and marks: a non-UTF-8 locale or TERM=dumb. */
  readonly ascii: boolean;

  private statusShown = false;
  private statusKey?: string;

  private constructor(
    private readonly streams: Streams,
    private readonly env: Env,
    palettes: { out: Palette; err: Palette },
    options: { debug: boolean; ascii: boolean },
  ) {
    this.out = palettes.out;
    this.err = palettes.err;
    this.debugEnabled = options.debug;
    this.ascii = options.ascii;
  }

  /** chalk is imported only when some stream will actually be coloured. */
  static async create(streams: Streams, env: Env, options: OutputOptions = {}): Promise<Output> {
    const outColor = colorEnabled(streams.stdout, env, options.color);
    const errColor = colorEnabled(streams.stderr, env, options.color);
    let out = PLAIN;
    let err = PLAIN;
    if (outColor || errColor) {
      const { Chalk } = await import('chalk');
      if (outColor) out = palette(new Chalk({ level: 1 }));
      if (errColor) err = palette(new Chalk({ level: 1 }));
    }
    const ascii = env.TERM === 'dumb' || !utf8Locale(env, options.platform);
    return new Output(streams, env, { out, err }, { debug: options.debug ?? false, ascii });
  }

  get stdoutIsTTY(): boolean {
    return this.streams.stdout.isTTY === true;
  }

  get stderrIsTTY(): boolean {
    return this.streams.stderr.isTTY === true;
  }

  /** Prompts need a person at both ends, and never run in CI. */
  get canPrompt(): boolean {
    return this.streams.stdin.isTTY === true && this.streams.stdout.isTTY === true && !isCi(this.env);
  }

  /** Escaped text for a person, with our marks in ASCII when the terminal may not show UTF-8. */
  private text(s: string): string {
    const safe = escapeControls(s);
    return this.ascii ? safe.replace(GLYPHS, (g) => ASCII_GLYPHS[g] as string) : safe;
  }

  private stdout(s: string): void {
    this.streams.stdout.write(s);
  }

  private stderr(s: string): void {
    this.streams.stderr.write(s);
  }

  // ---- stdout: results only ----

  /** One result line (a URL, an id) followed by a newline. */
  result(text: string): void {
    // Data for scripts too (cron often runs with no locale): escaped, never transliterated.
    this.stdout(`${escapeControls(text)}\n`);
  }

  /** Part of a result line, escaped, with no newline (a prompt still being written). */
  resultPart(text: string): void {
    this.stdout(escapeControls(text));
  }

  /** One JSON value on one line (JSON Lines, for streams such as `console log --follow --json`). */
  jsonLine(value: unknown): void {
    this.stdout(`${escapeJsonControls(JSON.stringify(value))}\n`);
  }

  /** Stable, pretty-printed JSON; callers build objects with snake_case keys in a fixed order. */
  json(value: unknown): void {
    this.stdout(`${escapeJsonControls(JSON.stringify(value, null, 2))}\n`);
  }

  /**
   * Rows of cells: a boxed table on a TTY, tab-separated lines otherwise (no
   * header, no truncation) so scripts can `cut -f`.
   */
  async table(head: string[], rows: string[][]): Promise<void> {
    if (!this.stdoutIsTTY) {
      for (const row of rows) this.stdout(`${row.map((c) => escapeControls(tsvCell(c))).join('\t')}\n`);
      return;
    }
    const { default: Table } = await import('cli-table3');
    const table = new Table({
      head: head.map((h) => this.out.bold(this.text(h))),
      style: { head: [], border: [] },
      ...(this.ascii ? { chars: ASCII_TABLE } : {}),
    });
    table.push(...rows.map((row) => row.map((c) => this.text(c))));
    this.stdout(`${table.toString()}\n`);
  }

  /** A result line after a ✓ (green) or ✗ (red) mark, with dim lines under it (`console check` on a terminal). */
  marked(ok: boolean, text: string, under: string[] = []): void {
    const mark = ok ? this.out.green(this.text('✓')) : this.out.red(this.text('✗'));
    this.stdout(`${mark} ${this.text(text)}\n`);
    for (const line of under) this.stdout(`${this.out.dim(this.text(line))}\n`);
  }

  // ---- stderr: everything else ----

  info(message: string): void {
    this.stderr(`${this.text(message)}\n`);
  }

  /** A secondary line for a person at the terminal (dim when coloured). */
  note(message: string): void {
    this.stderr(`${this.err.dim(this.text(message))}\n`);
  }

  success(message: string): void {
    this.stderr(`${this.err.green(this.text('✓'))} ${this.text(message)}\n`);
  }

  warn(message: string): void {
    this.stderr(`${this.err.yellow('osconsole: warning:')} ${this.text(message)}\n`);
  }

  error(message: string): void {
    this.stderr(`${this.err.red('osconsole:')} ${this.text(message)}\n`);
  }

  debug(message: string): void {
    if (this.debugEnabled) this.stderr(`${this.err.dim(this.text(`debug: ${message}`))}\n`);
  }

  /**
   * A line that rewrites itself (a spinner) on a terminal; off a terminal only
   * its first text is printed, once per `key`, so logs get one line per wait.
   */
  status(text: string, key: string): void {
    if (this.stderrIsTTY) {
      this.stderr(`\r\x1b[K${this.err.dim(this.text(text))}`);
      this.statusShown = true;
    } else if (this.statusKey !== key) {
      this.statusKey = key;
      this.stderr(`${this.text(text)}\n`);
    }
  }

  /** Removes the status line, before other output. */
  clearStatus(): void {
    if (this.statusShown) this.stderr('\r\x1b[K');
    this.statusShown = false;
  }

  /** A console's bytes, as they came: the stream is a terminal's, escapes and all (as ssh passes it on). */
  stdoutBytes(bytes: Uint8Array): void {
    this.streams.stdout.write(bytes);
  }

  /** Text of our own making (a completion script), written as is. */
  stdoutRaw(text: string): void {
    this.stdout(text);
  }
}

/** CI systems set CI to a non-empty value; `CI=false`/`CI=0` mean not in CI. */
export function isCi(env: Env): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function tsvCell(value: string): string {
  return value.replace(/[\t\r\n]/g, ' ');
}
