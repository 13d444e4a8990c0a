/**
 * The output module: the only code that writes to the user's streams.
 *
 * stdout carries the result only (a URL, JSON, a table or tab-separated rows);
 * progress, prompts, warnings and errors go to stderr. Colour is decided once
 * per stream: only on a TTY, never with NO_COLOR, --no-color or TERM=dumb.
 */
import type { ChalkInstance } from 'chalk';

export interface WritableLike {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ReadableLike extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

export interface Streams {
  stdin: ReadableLike;
  stdout: WritableLike;
  stderr: WritableLike;
}

export type Env = Record<string, string | undefined>;

export interface OutputOptions {
  /** false when --no-color was given. */
  color?: boolean;
  debug?: boolean;
}

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
  return { bold: chalk.bold, dim: chalk.dim, red: chalk.red, yellow: chalk.yellow, green: chalk.green, cyan: chalk.cyan };
}

export class Output {
  /** Colours for stdout and stderr (identity functions when colour is off). */
  readonly out: Palette;
  readonly err: Palette;
  readonly debugEnabled: boolean;

  private constructor(
    private readonly streams: Streams,
    private readonly env: Env,
    palettes: { out: Palette; err: Palette },
    debug: boolean,
  ) {
    this.out = palettes.out;
    this.err = palettes.err;
    this.debugEnabled = debug;
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
    return new Output(streams, env, { out, err }, options.debug ?? false);
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

  // ---- stdout: results only ----

  /** One result line (a URL, an id) followed by a newline. */
  result(text: string): void {
    this.streams.stdout.write(`${text}\n`);
  }

  /** Stable, pretty-printed JSON; callers build objects with snake_case keys in a fixed order. */
  json(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /**
   * Rows of cells: a boxed table on a TTY, tab-separated lines otherwise (no
   * header, no truncation) so scripts can `cut -f`.
   */
  async table(head: string[], rows: string[][]): Promise<void> {
    if (!this.stdoutIsTTY) {
      for (const row of rows) this.streams.stdout.write(`${row.map(tsvCell).join('\t')}\n`);
      return;
    }
    const { default: Table } = await import('cli-table3');
    const table = new Table({
      head: head.map((h) => this.out.bold(h)),
      style: { head: [], border: [] },
    });
    table.push(...rows);
    this.streams.stdout.write(`${table.toString()}\n`);
  }

  // ---- stderr: everything else ----

  info(message: string): void {
    this.streams.stderr.write(`${message}\n`);
  }

  success(message: string): void {
    this.streams.stderr.write(`${this.err.green('✓')} ${message}\n`);
  }

  warn(message: string): void {
    this.streams.stderr.write(`${this.err.yellow('osconsole: warning:')} ${message}\n`);
  }

  error(message: string): void {
    this.streams.stderr.write(`${this.err.red('osconsole:')} ${message}\n`);
  }

  debug(message: string): void {
    if (this.debugEnabled) this.streams.stderr.write(`${this.err.dim(`debug: ${message}`)}\n`);
  }

  stdoutRaw(text: string): void {
    this.streams.stdout.write(text);
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
