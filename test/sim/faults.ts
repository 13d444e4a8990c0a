/**
 * Fault injection: rules that make matching requests slow, fail, or come back
 * broken in the ways real clouds and the proxies in front of them break.
 */

export type FaultAction =
  /** Answer with this status instead (e.g. 503 with Retry-After). */
  | { kind: 'status'; status: number; body?: string; contentType?: string; retryAfter?: number | string }
  /** A proxy's HTML error page (default 502 Bad Gateway from nginx). */
  | { kind: 'html'; status?: number }
  /** Close the connection without answering (a reset). */
  | { kind: 'drop' }
  /** Send the real answer's headers and half its body, then close (Content-Length mismatch). */
  | { kind: 'truncate' }
  /** Send the real status with half of its JSON body, well-formed HTTP (invalid JSON). */
  | { kind: 'corrupt' }
  /** Send the real status with this JSON body instead (a body of the wrong shape). */
  | { kind: 'replace'; body: unknown }
  /** Send the real status and headers with the real JSON body passed through `edit` (in-process use only). */
  | { kind: 'json'; edit: (body: unknown) => unknown }
  /** Drop one response header (e.g. X-Subject-Token). */
  | { kind: 'dropHeader'; header: string }
  /** Never answer; the socket stays open until the client gives up or the simulator stops. */
  | { kind: 'hang' }
  /** Wait this long before handling the request. Combines with any other rule. */
  | { kind: 'latency'; ms: number };

export interface FaultMatch {
  method?: string;
  /** Exact path, or a regular expression tested against the path (no query). */
  path?: string | RegExp;
  service?: 'identity' | 'compute' | 'console';
}

export interface FaultRule {
  match?: FaultMatch;
  /** How many matching requests it applies to; default 1 (latency: every request). */
  times?: number;
  action: FaultAction;
  /**
   * A rule may go unused without failing the test (tests are strict: an unfired
   * rule means the fault was never tested). Say why beside it.
   */
  optional?: boolean;
}

interface ActiveRule extends FaultRule {
  remaining: number;
  fired: number;
}

export interface RequestFacts {
  method: string;
  path: string;
  service: string;
}

export interface FaultPlan {
  latencyMs: number;
  action?: Exclude<FaultAction, { kind: 'latency' }>;
}

export class Faults {
  private rules: ActiveRule[] = [];
  /** Every rule added since the last clear(), used up or not, for unfired(). */
  private added: ActiveRule[] = [];

  add(rule: FaultRule): void {
    const remaining = rule.times ?? (rule.action.kind === 'latency' ? Infinity : 1);
    const active = { ...rule, remaining, fired: 0 };
    this.rules.push(active);
    this.added.push(active);
  }

  clear(): void {
    this.rules = [];
    this.added = [];
  }

  /**
   * Rules not marked optional that never applied to a request, or applied
   * fewer times than their explicit `times`: each with how often it fired.
   */
  unfired(): Array<{ rule: FaultRule; fired: number }> {
    return this.added
      .filter((r) => !r.optional && (r.fired === 0 || (r.times !== undefined && r.fired < r.times)))
      .map(({ remaining: _r, fired, ...rule }) => ({ rule, fired }));
  }

  static matches(m: FaultMatch | undefined, req: RequestFacts): boolean {
    return matches(m, req);
  }

  /** Consumes the rules that apply to this request and says what to do. */
  plan(req: RequestFacts): FaultPlan {
    let latencyMs = 0;
    let action: FaultPlan['action'];
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !matches(rule.match, req)) continue;
      if (rule.action.kind === 'latency') {
        latencyMs += rule.action.ms;
        rule.remaining--;
        rule.fired++;
      } else if (!action) {
        action = rule.action;
        rule.remaining--;
        rule.fired++;
      }
    }
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return { latencyMs, action };
  }
}

function matches(m: FaultMatch | undefined, req: RequestFacts): boolean {
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== req.method) return false;
  if (m.service && m.service !== req.service) return false;
  if (m.path !== undefined) {
    if (typeof m.path === 'string' ? m.path !== req.path : !m.path.test(req.path)) return false;
  }
  return true;
}

/** A rule as a test wrote it, for failure messages: `POST /re/ → status 503 (times 2)`. */
export function describeRule(rule: FaultRule): string {
  const m = rule.match ?? {};
  const where = [m.service, m.method, m.path === undefined ? undefined : String(m.path)].filter(Boolean).join(' ');
  const { kind, ...rest } = rule.action;
  const detail = JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'function' ? '<fn>' : v));
  return `${where || 'any request'} → ${kind}${detail === '{}' ? '' : ` ${detail}`}${rule.times ? ` (times ${rule.times})` : ''}`;
}

export const NGINX_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

export function htmlErrorPage(status: number): string {
  if (status === 502) return NGINX_502;
  const text = `${status} Error`;
  return `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}
