/**
 * The one error type of osconsole, and the exit-status table that is part of
 * the user contract (README "Exit status", the man page). Every failure a user
 * can meet is an OsconsoleError with a stable `code`; `main()` is the only place
 * that turns it into an exit status.
 */

/** Exit statuses. Scripts depend on these numbers: never renumber. */
export const EXIT = {
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  AUTH: 3,
  NOT_FOUND: 4,
  CONFLICT: 5,
  UNSUPPORTED: 6,
  NETWORK: 7,
  FORBIDDEN: 8,
  /** As timeout(1): what was waited for did not come in time (`console log --until … --for`). */
  TIMED_OUT: 124,
  CANCELLED: 130,
  TERMINATED: 143,
} as const;

/** Stable error codes, one per exit status (except OK). */
export const ERROR_CODES = {
  E_UNEXPECTED: EXIT.UNEXPECTED,
  E_USAGE: EXIT.USAGE,
  E_AUTH: EXIT.AUTH,
  E_NOT_FOUND: EXIT.NOT_FOUND,
  E_CONFLICT: EXIT.CONFLICT,
  E_UNSUPPORTED: EXIT.UNSUPPORTED,
  E_NETWORK: EXIT.NETWORK,
  E_FORBIDDEN: EXIT.FORBIDDEN,
  E_TIMED_OUT: EXIT.TIMED_OUT,
  E_CANCELLED: EXIT.CANCELLED,
  E_TERMINATED: EXIT.TERMINATED,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The rows of the exit-status table, in order, for help text and docs. */
export const EXIT_STATUS_TABLE: ReadonlyArray<readonly [number, string]> = [
  [EXIT.OK, 'success (also when the reader of stdout went away, as in | head -1)'],
  [EXIT.UNEXPECTED, 'unexpected error (a bug, a 5xx from the cloud, a malformed answer, a failed write to stdout)'],
  [EXIT.USAGE, 'usage error (bad flag, argument or configuration, an unsafe OSCONSOLE_CONFIG_DIR)'],
  [EXIT.AUTH, 'authentication needed or failed'],
  [EXIT.NOT_FOUND, 'not found (server, console token, endpoint)'],
  [EXIT.CONFLICT, 'conflict or not ready (HTTP 409)'],
  [EXIT.UNSUPPORTED, 'unsupported (HTTP 501, microversion too low, console type unavailable)'],
  [EXIT.NETWORK, 'network, timeout or TLS failure'],
  [EXIT.FORBIDDEN, 'forbidden (HTTP 403)'],
  [EXIT.TIMED_OUT, 'what was waited for did not come in time (console log --until, bounded by --for)'],
  [EXIT.CANCELLED, 'cancelled by the user'],
  [EXIT.TERMINATED, 'ended by SIGTERM or SIGHUP (console attach)'],
];

/** What an HTTP failure carries, for messages and `--debug`. */
export interface HttpErrorDetails {
  method: string;
  url: string;
  status: number;
  /** The service's own message (Nova fault, Keystone error) or a body excerpt. */
  message: string;
  /** x-openstack-request-id or x-compute-request-id, when the service sent one. */
  requestId?: string;
  /** Response headers, lower-case names (never logged unredacted). */
  headers?: Record<string, string>;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
}

/** Why, for callers that branch on an error of ours; the message is for people and may change. */
export type ErrorReason = 'no-cloud-configured' | 'unknown-cloud';

export interface OsconsoleErrorOptions {
  /** The next step for the user, appended to the one-line message. */
  hint?: string;
  reason?: ErrorReason;
  http?: HttpErrorDetails;
  cause?: unknown;
}

export class OsconsoleError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hint?: string;
  readonly http?: HttpErrorDetails;
  readonly reason?: ErrorReason;

  constructor(code: ErrorCode, message: string, options: OsconsoleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OsconsoleError';
    this.code = code;
    this.exitCode = ERROR_CODES[code];
    this.hint = options.hint;
    this.http = options.http;
    this.reason = options.reason;
  }

  /** The single line printed on stderr. */
  get line(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

export function isOsconsoleError(err: unknown): err is OsconsoleError {
  return err instanceof OsconsoleError;
}

export const usageError = (message: string, hint?: string): OsconsoleError =>
  new OsconsoleError('E_USAGE', message, { hint });

/** HTTP status → error code, for answers no caller handles more precisely. */
export function codeForHttpStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'E_AUTH';
    case 403:
      return 'E_FORBIDDEN';
    case 404:
      return 'E_NOT_FOUND';
    case 409:
      return 'E_CONFLICT';
    case 406: // microversion outside the server's range
    case 501:
      return 'E_UNSUPPORTED';
    default:
      return 'E_UNEXPECTED';
  }
}
