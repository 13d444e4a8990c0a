/**
 * `console view`: plans the console (core/view.ts), then writes the SPICE
 * connection file (--vv, --print) or runs the viewer, with the VNC tunnel
 * (core/tunnel.ts) for as long as the viewer runs.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../config/atomic-write.js';
import type { Selection } from '../config/resolve.js';
import type { Context } from '../context.js';
import { OsconsoleError, usageError } from '../errors.js';
import type { ViewPlan, ViewType } from '../core/view.js';
import { planView } from '../core/view.js';
import { openTunnel } from '../core/tunnel.js';
import { serverLabel } from '../core/servers.js';
import { showTunnelEvent } from '../output/tunnel-format.js';
import { showWait } from '../output/wait-format.js';
import { waitFor } from './wait-option.js';
import { watchSignals } from '../ui/signals.js';
import type { ViewerChoice, ViewerRun } from '../viewer/launch.js';
import { checkDisplay, chooseViewer, startViewer } from '../viewer/launch.js';

export interface ViewOptions {
  type: ViewType;
  viewer?: string;
  vv?: string;
  print?: boolean;
  direct?: boolean;
  spiceCa?: string;
  /** --wait, in ms. */
  wait?: number;
  allProjects?: boolean;
}

export async function runView(ctx: Context, sel: Selection, server: string, opts: ViewOptions): Promise<void> {
  checkCombination(opts);
  const writesFile = opts.vv !== undefined || opts.print === true;
  const viewer = writesFile ? undefined : chooseViewer(ctx.deps.env, opts.viewer);
  if (viewer) checkDisplay(ctx.deps, viewer);
  const ca = opts.spiceCa === undefined ? undefined : readPem(opts.spiceCa);
  const signals = watchSignals(ctx.deps);
  try {
    const req = {
      server,
      allProjects: opts.allProjects === true,
      type: opts.type,
      direct: opts.direct === true,
      spiceCa: ca,
      wait: waitFor(opts.wait, (p) => showWait(ctx.output, p)),
    };
    const planning = planView(ctx, sel, req, await ctx.interaction()).finally(() => ctx.output.clearStatus());
    const plan = await Promise.race([planning, signals.stopped]);
    if (typeof plan === 'string') return;
    for (const w of plan.resolved.cs.warnings.splice(0)) ctx.output.warn(w);
    if (plan.kind === 'spice') {
      if (opts.print) return ctx.output.stdoutRaw(plan.vv);
      if (opts.vv !== undefined) return writeVv(ctx, opts.vv, plan.vv);
      return await viewSpice(ctx, plan, viewer as ViewerChoice, signals.stopped);
    }
    if (writesFile || opts.direct)
      throw new OsconsoleError(
        'E_UNSUPPORTED',
        `server ${serverLabel(plan.resolved.server)} has no spice-direct console here (compute 2.99 and [spice] enabled): ${opts.direct ? '--direct' : '--vv and --print'} need one`,
        { hint: 'for VNC, use console tunnel and a VNC viewer' },
      );
    await viewVnc(ctx, sel, plan, viewer as ViewerChoice, signals.stopped);
  } finally {
    signals.dispose();
  }
}

function checkCombination(o: ViewOptions): void {
  if (o.vv !== undefined && o.print) throw usageError('--vv and --print both say where the file goes: choose one');
  if ((o.vv !== undefined || o.print) && o.viewer !== undefined)
    throw usageError('--viewer starts a viewer; --vv and --print write the file instead: choose one');
  if (o.spiceCa !== undefined && !o.direct)
    throw usageError("--spice-ca goes with --direct (the proxy's file carries its own CA)");
  if (o.type === 'novnc' && (o.direct || o.vv !== undefined || o.print))
    throw usageError('--direct, --vv and --print are for spice-direct consoles, not novnc');
}

function readPem(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`cannot read --spice-ca ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) throw usageError(`--spice-ca ${path} holds no PEM certificate`);
  return text.trim();
}

function writeVv(ctx: Context, path: string, vv: string): void {
  try {
    writeFileAtomic(path, vv, 0o600);
  } catch (err) {
    throw usageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const deletes = /^delete-this-file\s*=\s*1\s*$/m.test(vv);
  ctx.output.note(
    `Wrote ${path} (mode 0600). Open it with: remote-viewer ${path}${deletes ? '  (it deletes the file once read: delete-this-file=1)' : ''}`,
  );
}

async function viewSpice(
  ctx: Context,
  plan: Extract<ViewPlan, { kind: 'spice' }>,
  viewer: ViewerChoice,
  stopped: Promise<string>,
): Promise<void> {
  const run = await startViewer(ctx.deps, viewer, ['-'], plan.vv);
  const how = plan.direct ? "directly on the hypervisor's ports" : 'through the spice-direct proxy';
  ctx.output.note(`Started ${viewer.argv[0]} for the SPICE console of ${serverLabel(plan.resolved.server)}, ${how}.`);
  await untilViewerEnds(run, stopped);
}

async function viewVnc(
  ctx: Context,
  sel: Selection,
  plan: Extract<ViewPlan, { kind: 'vnc' }>,
  viewer: ViewerChoice,
  stopped: Promise<string>,
): Promise<void> {
  const req = { server: plan.resolved.server.id, allProjects: false, address: '127.0.0.1', port: 0, once: false };
  const tunnel = await openTunnel(
    ctx,
    sel,
    req,
    await ctx.interaction(),
    (e) => showTunnelEvent(ctx.output, e),
    plan.resolved,
  );
  try {
    const run = await startViewer(ctx.deps, viewer, [tunnel.url]);
    ctx.output.note(
      `Started ${viewer.argv[0]} on ${tunnel.url}, a tunnel to the VNC console of ${serverLabel(plan.resolved.server)}.`,
    );
    await untilViewerEnds(run, stopped);
  } finally {
    await tunnel.close();
  }
}

/** The viewer's exit ends the command; a signal ends the viewer first. */
async function untilViewerEnds(run: ViewerRun, stopped: Promise<string>): Promise<void> {
  const first = await Promise.race([run.exited.then(() => 'exited'), stopped]);
  if (first !== 'exited') await run.stop();
}
