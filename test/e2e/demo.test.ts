/** The README's first command must keep working: `npm run demo` (here: its built script). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

it('the demo logs in, gets a noVNC URL, drives the serial console, gets a spice-direct tuple, inspects the token, and exits 0', async () => {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'test', 'sim', 'demo.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, out).toBe(0);
  expect(out).toMatch(/Logged in to envvars as demo/);
  expect(out).toMatch(/\/console\/novnc\/vnc_lite\.html\?path=%3Ftoken%3D[0-9a-f-]{36}\n/);
  expect(out).toMatch(/root@web-1:~\$ uname -a\r\nLinux web-1 .* GNU\/Linux\r\n/);
  expect(out).toMatch(/\n192\.0\.2\.11\t\d+\t\d+\n/);
  expect(out).toMatch(/\ntls_port\t\d+\n/);
  expect(out).not.toMatch(/FAILED/);
}, 60_000);
