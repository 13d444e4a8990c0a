/**
 * The simulator's data model and seed data. The seed is built with traps real
 * clouds have: servers `web-1` and `web-10` (Nova's name filter is an
 * unanchored regex), two servers named `dup`, a SHUTOFF server, one still
 * building (no host: 409), one on a host whose driver only has VNC (501 for the
 * rest), one mid-migration (500), a name full of regex metacharacters, users
 * with admin, member and reader roles, an MFA user and an application
 * credential. IDs are fixed so that tests and docs can name them.
 */

export const DEFAULT_DOMAIN_ID = 'default';

export interface Domain {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
}

export interface Project {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
}

export interface Role {
  id: string;
  name: string;
}

export interface User {
  id: string;
  name: string;
  domain_id: string;
  password: string;
  enabled: boolean;
  default_project_id?: string;
  /** Keystone's `multi_factor_auth_rules` user option: each rule lists methods that together suffice. */
  mfa_rules?: string[][];
  /** Base32 TOTP secret of the user's `totp` credential. */
  totp_secret?: string;
}

/** A role assignment on a project, a domain, or the system. */
export interface Assignment {
  user_id: string;
  role_id: string;
  project_id?: string;
  domain_id?: string;
  system?: 'all';
}

export interface AppCredential {
  id: string;
  name: string;
  user_id: string;
  project_id: string;
  secret: string;
  role_ids: string[];
  unrestricted: boolean;
}

/** A hypervisor host and the console protocols its virt driver implements (nova/virt/*). */
export interface Host {
  name: string;
  driver: 'libvirt' | 'vmwareapi' | 'vnc-only' | 'fake';
  /** The hypervisor's address, as os-console-auth-tokens reports it (TEST-NET-1, never contacted). */
  address: string;
  protocols: ReadonlyArray<'vnc' | 'spice' | 'serial' | 'mks' | 'rdp'>;
}

export interface Server {
  id: string;
  name: string;
  project_id: string;
  user_id: string;
  status: 'ACTIVE' | 'SHUTOFF' | 'BUILD' | 'MIGRATING' | 'ERROR';
  vm_state: string;
  task_state: string | null;
  power_state: number;
  /** null while the scheduler has not placed it: consoles answer 409. */
  host: string | null;
  created: string;
  updated: string;
  /** Index on its host, to give each server its own console port. */
  slot: number;
  /** The instance fault shown for ERROR (views/servers.py _get_fault). */
  fault?: { code: number; created: string; message: string; details?: string };
}

export const ROLE_IDS = {
  admin: 'd0c73abde7c44ef49cb283f62fb15363',
  member: '7149a240b5384ff180ebcbb06db41071',
  reader: '6dc35010ba984c089e7c6f9bf7262abc',
} as const;

/** Keystone's default implied roles (bootstrap): admin ⇒ member ⇒ reader. */
export const IMPLIED_ROLES: Record<string, string[]> = {
  [ROLE_IDS.admin]: [ROLE_IDS.member],
  [ROLE_IDS.member]: [ROLE_IDS.reader],
};

export const PROJECT_IDS = {
  admin: 'b5553937b9024027b4e77cc5e86ae4c7',
  demo: '5e147c7c6108469287068061033a7574',
  other: '43faf1c5cc944193b83a5e4cb01f58bf',
  service: '6633407653564efc834a2bf3a2e862d3',
  tools: 'e96d941508e64c0bb122667234fe16ac',
} as const;

export const OPS_DOMAIN_ID = 'b3ab699a2a614797ab776a7b3d23482f';

export const USER_IDS = {
  admin: '7ac5f0c9eb95422fac970e9072541ca6',
  demo: '5d2492eabebe4c1e89469f071bee853c',
  reader: '7ac120840a15404ba31a6da131526c77',
  mfa: '42c0eef928fd469e8dfa806426f5bcfb',
  noproj: '6e7d8f6e3859486292541133e7904df6',
  alice: 'b6c909ddab2044ba800fe318e9016d65',
} as const;

/** Credentials of the seeded users, for tests, the demo and `npm run sim`. */
export const CREDENTIALS = {
  admin: { username: 'admin', password: 'secret', project: 'admin', domain: 'Default' },
  demo: { username: 'demo', password: 'demopass', project: 'demo', domain: 'Default' },
  reader: { username: 'reader', password: 'readerpass', project: 'demo', domain: 'Default' },
  /** Needs password + TOTP (RFC 6238, SHA-1, 6 digits, 30 s). */
  mfa: {
    username: 'mfa',
    password: 'mfapass',
    project: 'demo',
    domain: 'Default',
    totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  },
  /** Member of demo and other, no default project: login must pick one. */
  noproj: { username: 'noproj', password: 'noprojpass', project: 'other', domain: 'Default' },
  /** In domain Ops, member of project tools. */
  alice: { username: 'alice', password: 'alicepass', project: 'tools', domain: 'Ops' },
} as const;

export const APP_CREDENTIAL = {
  id: '63130ee00eeb45d992b37e63fcf6d195',
  name: 'demo-appcred',
  secret: 'appcred-secret-5b0d',
  user: 'demo',
} as const;

export const SERVER_IDS = {
  web1: 'cdee62cc-4ad5-474b-a3c3-ccab7a2be0f9',
  web10: '9c2ad835-22d7-4196-9b2a-200f82c4d813',
  dupA: '4e0a67ee-6516-43ed-90d6-34255c38e183',
  dupB: 'a900b96f-3327-4bf0-b19f-84f64f0be987',
  stopped: '10468993-a611-46a9-9869-6b4b93a2ac03',
  building: 'f4962c34-cd6b-4efe-adc5-f7d95ed3a595',
  vncOnly: '9b386119-8dd4-4d33-ab14-db6a3a9ceae5',
  meta: 'b624cf60-8932-447d-b79c-9077391268f9',
  vmware: '20e3963b-7a4e-48d7-ac5d-b9a1753167ce',
  migrating: '454974a6-fe0b-448c-b4a4-e6fcf59e1d14',
  other: '697b4ce0-e8af-4bea-9725-ce770c0761f0',
  adminVm: 'fed24e0a-81f9-4ef3-8870-91e9c61eb299',
  tools: '4f940aaa-e8ff-4355-aebf-e5f2253d5100',
  r2: 'c6867985-97bf-4a09-abb7-b4a70bd638f0',
} as const;

/** The name with regex metacharacters: `db(1).x` must match only itself. */
export const META_SERVER_NAME = 'db(1).x';

export const IMAGE_ID = 'e29c3ef4-f329-4eff-b60a-bda0f231b9c4';
export const FLAVOR = { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1 } as const;

export const REGIONS = ['RegionOne', 'RegionTwo'] as const;
export type RegionName = (typeof REGIONS)[number];

export interface IdentityData {
  domains: Domain[];
  projects: Project[];
  roles: Role[];
  users: User[];
  assignments: Assignment[];
  appCredentials: AppCredential[];
}

export interface ComputeData {
  hosts: Host[];
  servers: Server[];
}

export function seedIdentity(): IdentityData {
  const domains: Domain[] = [
    { id: DEFAULT_DOMAIN_ID, name: 'Default', description: 'The default domain', enabled: true },
    { id: OPS_DOMAIN_ID, name: 'Ops', description: 'Operations', enabled: true },
  ];
  const project = (id: string, name: string, domain_id = DEFAULT_DOMAIN_ID): Project => ({
    id,
    name,
    domain_id,
    description: `${name} project`,
    enabled: true,
  });
  const projects = [
    project(PROJECT_IDS.admin, 'admin'),
    project(PROJECT_IDS.demo, 'demo'),
    project(PROJECT_IDS.other, 'other'),
    project(PROJECT_IDS.service, 'service'),
    project(PROJECT_IDS.tools, 'tools', OPS_DOMAIN_ID),
  ];
  const roles: Role[] = Object.entries(ROLE_IDS).map(([name, id]) => ({ id, name }));
  const c = CREDENTIALS;
  const users: User[] = [
    {
      id: USER_IDS.admin,
      name: c.admin.username,
      password: c.admin.password,
      domain_id: DEFAULT_DOMAIN_ID,
      enabled: true,
      default_project_id: PROJECT_IDS.admin,
    },
    {
      id: USER_IDS.demo,
      name: c.demo.username,
      password: c.demo.password,
      domain_id: DEFAULT_DOMAIN_ID,
      enabled: true,
      default_project_id: PROJECT_IDS.demo,
    },
    {
      id: USER_IDS.reader,
      name: c.reader.username,
      password: c.reader.password,
      domain_id: DEFAULT_DOMAIN_ID,
      enabled: true,
      default_project_id: PROJECT_IDS.demo,
    },
    {
      id: USER_IDS.mfa,
      name: c.mfa.username,
      password: c.mfa.password,
      domain_id: DEFAULT_DOMAIN_ID,
      enabled: true,
      default_project_id: PROJECT_IDS.demo,
      mfa_rules: [['password', 'totp']],
      totp_secret: c.mfa.totpSecret,
    },
    {
      id: USER_IDS.noproj,
      name: c.noproj.username,
      password: c.noproj.password,
      domain_id: DEFAULT_DOMAIN_ID,
      enabled: true,
    },
    {
      id: USER_IDS.alice,
      name: c.alice.username,
      password: c.alice.password,
      domain_id: OPS_DOMAIN_ID,
      enabled: true,
      default_project_id: PROJECT_IDS.tools,
    },
  ];
  const assignments: Assignment[] = [
    { user_id: USER_IDS.admin, role_id: ROLE_IDS.admin, project_id: PROJECT_IDS.admin },
    { user_id: USER_IDS.admin, role_id: ROLE_IDS.admin, project_id: PROJECT_IDS.demo },
    { user_id: USER_IDS.admin, role_id: ROLE_IDS.admin, domain_id: DEFAULT_DOMAIN_ID },
    { user_id: USER_IDS.admin, role_id: ROLE_IDS.admin, system: 'all' },
    { user_id: USER_IDS.demo, role_id: ROLE_IDS.member, project_id: PROJECT_IDS.demo },
    { user_id: USER_IDS.demo, role_id: ROLE_IDS.member, project_id: PROJECT_IDS.other },
    { user_id: USER_IDS.reader, role_id: ROLE_IDS.reader, project_id: PROJECT_IDS.demo },
    { user_id: USER_IDS.mfa, role_id: ROLE_IDS.member, project_id: PROJECT_IDS.demo },
    { user_id: USER_IDS.noproj, role_id: ROLE_IDS.member, project_id: PROJECT_IDS.demo },
    { user_id: USER_IDS.noproj, role_id: ROLE_IDS.member, project_id: PROJECT_IDS.other },
    { user_id: USER_IDS.alice, role_id: ROLE_IDS.member, project_id: PROJECT_IDS.tools },
  ];
  const appCredentials: AppCredential[] = [
    {
      id: APP_CREDENTIAL.id,
      name: APP_CREDENTIAL.name,
      user_id: USER_IDS.demo,
      project_id: PROJECT_IDS.demo,
      secret: APP_CREDENTIAL.secret,
      role_ids: [ROLE_IDS.member],
      unrestricted: false,
    },
  ];
  return { domains, projects, roles, users, assignments, appCredentials };
}

const HOSTS: Host[] = [
  { name: 'compute-1', driver: 'libvirt', address: '192.0.2.11', protocols: ['vnc', 'spice', 'serial'] },
  { name: 'compute-2', driver: 'libvirt', address: '192.0.2.12', protocols: ['vnc', 'spice', 'serial'] },
  { name: 'vnc-host', driver: 'vnc-only', address: '192.0.2.13', protocols: ['vnc'] },
  { name: 'esx-1', driver: 'vmwareapi', address: '192.0.2.14', protocols: ['vnc', 'mks'] },
];

/** Every console protocol, as Nova's fake virt driver offers them (nova/virt/fake.py). */
export const FAKE_DRIVER_PROTOCOLS = ['vnc', 'spice', 'serial', 'mks', 'rdp'] as const;

/** Servers of one region; `createdBase` is the seed time in ms, each server a minute apart. */
export function seedCompute(region: RegionName, createdBase: number, fakeDriver = false): ComputeData {
  const hosts = HOSTS.map((h) =>
    fakeDriver ? { ...h, driver: 'fake' as const, protocols: FAKE_DRIVER_PROTOCOLS } : { ...h },
  );
  const servers: Server[] = [];
  let minute = 0;
  const add = (id: string, name: string, project_id: string, host: string | null, extra: Partial<Server> = {}) => {
    const created = new Date(createdBase + minute++ * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const user_id =
      project_id === PROJECT_IDS.admin
        ? USER_IDS.admin
        : project_id === PROJECT_IDS.tools
          ? USER_IDS.alice
          : USER_IDS.demo;
    servers.push({
      id,
      name,
      project_id,
      user_id,
      status: 'ACTIVE',
      vm_state: 'active',
      task_state: null,
      power_state: 1,
      host,
      created,
      updated: created,
      slot: servers.filter((s) => s.host === host).length,
      ...extra,
    });
  };
  if (region === 'RegionTwo') {
    add(SERVER_IDS.r2, 'r2-vm', PROJECT_IDS.demo, 'compute-1');
    return { hosts, servers };
  }
  const demo = PROJECT_IDS.demo;
  add(SERVER_IDS.web1, 'web-1', demo, 'compute-1');
  add(SERVER_IDS.web10, 'web-10', demo, 'compute-1');
  add(SERVER_IDS.dupA, 'dup', demo, 'compute-1');
  add(SERVER_IDS.dupB, 'dup', demo, 'compute-2');
  add(SERVER_IDS.stopped, 'stopped-vm', demo, 'compute-2', { status: 'SHUTOFF', vm_state: 'stopped', power_state: 4 });
  add(SERVER_IDS.building, 'building-vm', demo, null, {
    status: 'BUILD',
    vm_state: 'building',
    task_state: 'scheduling',
    power_state: 0,
  });
  add(SERVER_IDS.vncOnly, 'vnc-only-vm', demo, 'vnc-host');
  add(SERVER_IDS.meta, META_SERVER_NAME, demo, 'compute-2');
  add(SERVER_IDS.vmware, 'vmware-vm', demo, 'esx-1');
  add(SERVER_IDS.migrating, 'migrating-vm', demo, 'compute-1', { status: 'MIGRATING', task_state: 'migrating' });
  add(SERVER_IDS.other, 'other-vm', PROJECT_IDS.other, 'compute-2');
  add(SERVER_IDS.adminVm, 'admin-vm', PROJECT_IDS.admin, 'compute-1');
  add(SERVER_IDS.tools, 'tools-vm', PROJECT_IDS.tools, 'compute-2');
  return { hosts, servers };
}
