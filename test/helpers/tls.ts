/** A self-signed certificate for 127.0.0.1 (openssl, EC P-256, two days), for HTTPS/wss simulators. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSigned {
  key: string;
  cert: string;
  /** The certificate as a file, for --os-cacert. */
  certPath: string;
  /** Removes the directory with the files. */
  cleanup(): void;
}

export function selfSigned(): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'osconsole-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat(
        ['-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=127.0.0.1'],
        ['-addext', 'subjectAltName=IP:127.0.0.1'],
      ),
      { cwd: dir, stdio: 'pipe' },
    );
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    rmSync(join(dir, 'key.pem'));
    writeFileSync(join(dir, 'cert.pem'), cert);
    return { key, cert, certPath: join(dir, 'cert.pem'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
