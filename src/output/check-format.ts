/**
 * `console check` results: ✓/✗ lines on a terminal (the cause and hint of a
 * failed step under it), `step<TAB>ok|fail<TAB>detail` lines otherwise, or
 * one JSON object. Details quote the cloud's text already escaped; the
 * output module escapes the rest.
 */
import type { CheckReport } from '../core/check.js';
import type { Output } from './output.js';

export function printCheck(out: Output, r: CheckReport, json: boolean): void {
  if (json) {
    out.json({
      target: r.target,
      type: r.type,
      ...(r.server ? { server: r.server } : {}),
      ok: r.ok,
      steps: r.steps.map((s) => ({
        name: s.name,
        ok: s.ok,
        detail: s.detail,
        ...(s.cause ? { cause: s.cause } : {}),
        ...(s.hint ? { hint: s.hint } : {}),
      })),
    });
    return;
  }
  if (!out.stdoutIsTTY) {
    for (const s of r.steps) out.result(`${s.name}\t${s.ok ? 'ok' : 'fail'}\t${s.detail.replace(/[\t\r\n]/g, ' ')}`);
    return;
  }
  const width = Math.max(...r.steps.map((s) => s.name.length));
  for (const s of r.steps) {
    const under = s.ok ? [] : [`    cause: ${s.cause ?? 'unknown'}`, ...(s.hint ? [`    hint: ${s.hint}`] : [])];
    out.marked(s.ok, `${s.name.padEnd(width)}  ${s.detail}`, under);
  }
}

/** The heading a person sees on stderr before the steps. */
export function checkHeading(r: CheckReport): string {
  if (!r.server) return `${r.type} console at ${r.target}`;
  return `${r.type} console of ${r.server.name ? `${r.server.name} (${r.server.id})` : r.server.id}`;
}
