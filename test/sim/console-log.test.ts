/**
 * The simulator's os-getConsoleOutput against Nova's rules (console-log.ts
 * names the sources): `length` as _tail_log reads it, the ASCII decode and
 * the control-character strip, libvirt's 100 KiB, the schema's 400s and the
 * 404/409/501/403 cases. Recorded real answers are replayed by reality*.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { issueToken, useSimulator } from '../helpers/sim.js';
import { SERVER_IDS } from './index.js';
import { MAX_CONSOLE_BYTES, novaOutput, tailLog } from './console-log.js';

const ctx = useSimulator();
let demo: string;
let reader: string;

beforeAll(async () => {
  demo = await issueToken(ctx.sim, 'demo');
  reader = await issueToken(ctx.sim, 'reader');
});

async function output(serverId: string, inner: unknown, token = demo): Promise<{ status: number; body: any }> {
  const res = await fetch(`${ctx.sim.url}/compute/v2.1/servers/${serverId}/action`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ 'os-getConsoleOutput': inner }),
  });
  return { status: res.status, body: await res.json() };
}

describe('_tail_log (nova/compute/manager.py)', () => {
  const log = Buffer.from('a\nb\nc\n');
  it.each([
    [1, ''],
    [2, 'c\n'],
    [3, 'b\nc\n'],
    [9, 'a\nb\nc\n'],
    [0, ''],
    [-1, 'b\nc\n'],
    ['2', 'c\n'],
    ['-1', 'b\nc\n'],
  ] as Array<[number | string, string]>)('length %j of "a\\nb\\nc\\n" → %j', (length, want) => {
    expect(tailLog(log, length).toString()).toBe(want);
  });

  it('decodes as ASCII with one U+FFFD per byte above 0x7f, and drops \\x00-\\x08 and \\x0b-\\x1f', () => {
    const bytes = Buffer.concat([Buffer.from('\x1b[0;32mOK\x1b[0m\r\n\ttab\x7f '), Buffer.from('–', 'utf8')]);
    expect(novaOutput(bytes)).toBe('[0;32mOK[0m\n\ttab\x7f \ufffd\ufffd\ufffd');
  });
});

describe('POST /servers/{id}/action os-getConsoleOutput', () => {
  it("web-1's boot: CR and ESC gone, systemd's colours left as debris, a login prompt with no line end", async () => {
    const r = await output(SERVER_IDS.web1, {});
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['output']);
    const out = r.body.output as string;
    expect(out).toContain('[[0;32m  OK  [0m] Reached target multi-user.target');
    expect(out.includes('\r') || out.includes('\x1b')).toBe(false);
    expect(out).toMatch(/Mounting boot-efi\.mount \ufffd{3} \/boot\/efi/);
    expect(out.endsWith('\nweb-1 login: ')).toBe(true);
  });

  it('length: the last N elements of split("\\n"), so the prompt counts as one; null is everything', async () => {
    const all = (await output(SERVER_IDS.web1, { length: null })).body.output as string;
    expect((await output(SERVER_IDS.web1, {})).body.output).toBe(all);
    expect((await output(SERVER_IDS.web1, { length: 1 })).body.output).toBe('web-1 login: ');
    expect((await output(SERVER_IDS.web1, { length: '3' })).body.output).toBe(all.split('\n').slice(-3).join('\n'));
    expect((await output(SERVER_IDS.web1, { length: 0 })).body.output).toBe('');
    expect((await output(SERVER_IDS.web1, { length: -1 })).body.output).toBe(all.split('\n').slice(1).join('\n'));
  });

  it('appended output shows at once; a restart empties it; 100 KiB is all libvirt hands over, cut mid-line', async () => {
    const log = ctx.sim.consoleLog(SERVER_IDS.web10);
    log.restart();
    expect((await output(SERVER_IDS.web10, {})).body.output).toBe('');
    log.append('first\r\n');
    expect((await output(SERVER_IDS.web10, {})).body.output).toBe('first\n');
    // 99-byte lines: 100 KiB is not a whole number of them, so the window starts mid-line.
    const line = `${'x'.repeat(98)}\n`;
    for (let i = 0; i < 1100; i++) log.append(line);
    const out = (await output(SERVER_IDS.web10, {})).body.output as string;
    expect(out.length).toBe(MAX_CONSOLE_BYTES);
    expect(out.startsWith('first')).toBe(false);
    expect(out.split('\n')[0]?.length).toBeLessThan(98);
    log.restart();
  });

  it("the serial guest's output lands in the log (QEMU's chardev logfile)", async () => {
    ctx.sim.serialGuest(SERVER_IDS.dupA).print('hello from ttyS0\r\n');
    // After the getty's prompt, which has no line end.
    expect((await output(SERVER_IDS.dupA, { length: 2 })).body.output).toBe('dup login: hello from ttyS0\n');
  });

  it.each([
    [{ length: -2 }, 'Invalid input for field/attribute length. Value: -2. -2 is less than the minimum of -1'],
    [{ length: 'abc' }, "Invalid input for field/attribute length. Value: abc. 'abc' does not match '^-?[0-9]+$'"],
    [
      { length: 1.5 },
      "Invalid input for field/attribute length. Value: 1.5. 1.5 is not of type 'integer', 'string', 'null'",
    ],
    [
      { length: 1, x: 1 },
      "Invalid input for field/attribute os-getConsoleOutput. Value: {'length': 1, 'x': 1}. Additional properties are not allowed ('x' was unexpected)",
    ],
  ])('%j: 400 %s', async (inner, message) => {
    const r = await output(SERVER_IDS.web1, inner);
    expect(r).toEqual({ status: 400, body: { badRequest: { code: 400, message } } });
  });

  it('no console device: 404; still building: 409; a driver without console output: 501; another project: 404', async () => {
    ctx.sim.consoleLog(SERVER_IDS.stopped).available = false;
    expect(await output(SERVER_IDS.stopped, {})).toEqual({
      status: 404,
      body: { itemNotFound: { code: 404, message: 'Guest does not have a console available.' } },
    });
    ctx.sim.consoleLog(SERVER_IDS.stopped).available = true;
    expect(await output(SERVER_IDS.building, {})).toEqual({
      status: 409,
      body: { conflictingRequest: { code: 409, message: `Instance ${SERVER_IDS.building} is not ready` } },
    });
    expect(await output(SERVER_IDS.vncOnly, {})).toEqual({
      status: 501,
      body: { notImplemented: { code: 501, message: 'The requested functionality is not supported.' } },
    });
    expect((await output(SERVER_IDS.other, {})).status).toBe(404);
  });

  it('a reader: 403 under the 2023.1 policy defaults (this simulator is 2.100)', async () => {
    expect(await output(SERVER_IDS.web1, {}, reader)).toEqual({
      status: 403,
      body: {
        forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-console-output to be performed." },
      },
    });
  });
});
