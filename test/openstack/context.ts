/**
 * What the real-OpenStack global setup hands to the test files (vitest
 * provide/inject). The same facts are in <state>/facts.json, written by
 * test/realcloud/facts.py.
 */

export interface RealcloudUser {
  id: string;
  password: string;
  /** name of the project the user has a role on */
  project: string;
  roles: string[];
  totp_secret?: string;
}

export interface RealcloudVnc {
  display: number;
  port: number;
  width: number;
  height: number;
  /** the desktop name (RFB ServerInit) */
  name: string;
  /** the root window's colour, #rrggbb */
  color: string;
  /** Xvnc's log (host path): one "Connections: accepted" line per client */
  log: string;
}

export interface RealcloudFacts {
  auth_url: string;
  regions: string[];
  /** RegionOne compute endpoint, e.g. http://127.0.0.1:15774/v2.1 */
  compute_url: string;
  /** RegionTwo compute endpoint as stored in Keystone (may hold %(project_id)s) */
  compute_url_r2: string;
  domain: { id: string; name: string };
  projects: Record<'admin' | 'demo', string>;
  users: Record<'admin' | 'demo' | 'reader' | 'mfa', RealcloudUser>;
  roles: Record<'admin' | 'member' | 'reader', string>;
  compute_service_id: string;
  appcred: { id: string; name: string; secret: string; user: string; user_id: string };
  clouds_yaml: string;
  server: { server_id: string; server_name: string; image_id: string; flavor_id: string; compute_url: string };
  /** The tier's Xvnc behind nova-novncproxy (test/realcloud/vnc/xvnc.sh writes it) */
  vnc?: RealcloudVnc;
  state_dir: string;
  pids: Record<string, number>;
  /** Debian package versions, e.g. { 'python3-keystone': '2:22.0.2-0+deb12u6' } */
  versions: Record<string, string>;
}

export type RealcloudContext = { skipped: string } | { skipped?: undefined; facts: RealcloudFacts };

declare module 'vitest' {
  export interface ProvidedContext {
    realcloud: RealcloudContext;
  }
}
