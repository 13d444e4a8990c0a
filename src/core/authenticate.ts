/**
 * Getting a scoped token from Keystone for a resolved cloud: fills what is
 * missing (prompting when a person is there, failing with the flag and
 * variable to set when not), follows multi-factor receipts, and picks a
 * project from GET /v3/auth/projects when none was given.
 */
import { checkAuthUrl } from '../config/cloud-config.js';
import type { CloudConfig } from '../config/resolve.js';
import type { SettingKey } from '../config/settings.js';
import { howToSet } from '../config/settings.js';
import { OsconsoleError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import type { Receipt, TokenBody, TokenResult } from '../openstack/identity.js';
import { discoverIdentity, listAuthProjects, postToken } from '../openstack/identity.js';
import type { Prompter } from '../ui/prompt.js';
import { canRequestScope, identityFor, methodsOf, missing, scopeFor, whoOf } from '../auth/credentials.js';
import type { Interaction, Runtime } from './runtime.js';

export interface AuthResult {
  token: string;
  body: TokenBody;
  identityUrl: string;
}

/** `talk.prompter` absent: nobody can answer (a script, or a silent renewal). */
export async function authenticate(rt: Runtime, cfg: CloudConfig, talk: Interaction): Promise<AuthResult> {
  refuseUserinfo(cfg);
  await fillMissing(cfg, talk.prompter);
  if (!cfg.tls.verify)
    talk.notify('TLS certificate verification is disabled (--insecure); anyone on the path can read your credentials');
  const http = await rt.http(cfg);
  const identityUrl = await discoverIdentity(http, cfg.values.auth_url as string, authUrlLabel(cfg));
  const v = cfg.values;
  const scope = canRequestScope(cfg) ? scopeFor(v) : undefined;
  // With a person at the terminal and no project given, log in unscoped and let them pick.
  const pick = scope === undefined && canRequestScope(cfg) && talk.prompter !== undefined;
  const auth = (identity: Record<string, unknown>) => ({
    identity,
    ...(pick ? { scope: 'unscoped' } : scope ? { scope } : {}),
  });

  let result = await refusedAs(
    cfg,
    identityUrl,
    postToken(http, { identityUrl, auth: auth(identityFor(v, methodsOf(cfg.authType, v))) }),
  );
  for (let round = 0; result.kind === 'receipt'; round++) {
    if (round >= 4)
      throw new OsconsoleError('E_AUTH', 'Keystone keeps asking for more authentication methods; giving up');
    result = await completeReceipt(talk, cfg, http, identityUrl, result.receipt, auth);
  }

  let token = result.token;
  let body = result.body;
  if (!body.project && !body.domain && !body.system && scope === undefined && canRequestScope(cfg)) {
    const project = await chooseProject(http, identityUrl, token, body, talk.prompter);
    if (project) {
      const rescoped = await postToken(http, {
        identityUrl,
        auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { id: project } } },
      });
      if (rescoped.kind !== 'token')
        throw new OsconsoleError('E_AUTH', 'Keystone asked for more factors when rescoping a token');
      token = rescoped.token;
      body = rescoped.body;
    }
  }
  return { token, body, identityUrl };
}

/** Where the auth URL was set, for messages: the flag, the variable, or the clouds.yaml key and file. */
export function authUrlLabel(cfg: Pick<CloudConfig, 'name' | 'origin' | 'sources'>): string {
  switch (cfg.sources.auth_url) {
    case 'flag':
      return '--os-auth-url';
    case 'env':
      return 'OS_AUTH_URL';
    case 'clouds.yaml':
      return `clouds.${cfg.name}.auth.auth_url in ${cfg.origin}`;
    default:
      return 'the auth URL';
  }
}

/**
 * `https://user:password@host/v3`: refused (exit 2) before anything is sent,
 * prompted, logged or cached; the message names the setting, never the URL.
 */
function refuseUserinfo(cfg: CloudConfig): void {
  let u: URL;
  try {
    u = new URL(cfg.values.auth_url ?? '');
  } catch {
    return; // the URL's form is checked where the config is resolved
  }
  if (u.username === '' && u.password === '') return;
  const use: Record<string, string> = { flag: '--os-username and --os-password', env: 'OS_USERNAME and OS_PASSWORD' };
  throw new OsconsoleError('E_USAGE', `${authUrlLabel(cfg)} must not contain a user name or password`, {
    hint: `use ${use[cfg.sources.auth_url ?? ''] ?? 'auth.username and auth.password (secure.yaml)'}`,
  });
}

/** Prompts for each missing value, or fails with exit 3 naming the flag and variable. */
async function fillMissing(cfg: CloudConfig, prompter: Prompter | undefined): Promise<void> {
  for (const n of missing(cfg)) {
    if (!prompter) {
      throw new OsconsoleError('E_AUTH', `missing ${n.label.toLowerCase()} for cloud "${cfg.name}"`, {
        hint: howToSet(n.key),
      });
    }
    const value = n.secret ? await prompter.secret(n.label) : await prompter.text(n.label);
    cfg.values[n.key] = value.trim() === '' ? value : n.secret ? value : value.trim();
    // A typed auth URL gets the checks a configured one got before any prompt.
    if (n.key === 'auth_url') {
      checkAuthUrl(cfg.values.auth_url ?? '', 'the auth URL typed at the prompt');
      refuseUserinfo(cfg);
    }
  }
}

/** A 401 with no receipt: the credentials were refused. */
async function refusedAs(cfg: CloudConfig, identityUrl: string, p: Promise<TokenResult>): Promise<TokenResult> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof OsconsoleError && err.http?.status === 401) {
      throw new OsconsoleError(
        'E_AUTH',
        `Keystone at ${identityUrl} refused the credentials of ${whoOf(cfg.values, cfg.authType)}: ${err.http.message}`,
        {
          cause: err,
          http: err.http,
        },
      );
    }
    throw err;
  }
}

const METHOD_SETTING: Record<string, SettingKey> = { password: 'password', totp: 'passcode' };

/**
 * Answers a receipt: choose the rule that contains the methods already passed,
 * supply the rest (from the config, else a prompt), and send them with the
 * receipt and the scope again (Keystone does not keep the scope in the receipt).
 * A wrong passcode may be retried while the receipt lives.
 */
async function completeReceipt(
  talk: Interaction,
  cfg: CloudConfig,
  http: HttpClient,
  identityUrl: string,
  receipt: Receipt,
  auth: (identity: Record<string, unknown>) => unknown,
): Promise<TokenResult> {
  const prompter = talk.prompter;
  const rule =
    receipt.requiredAuthMethods.find((r) => receipt.methods.every((m) => r.includes(m))) ??
    receipt.requiredAuthMethods[0] ??
    [];
  const needed = rule.filter((m) => !receipt.methods.includes(m));
  const unsupported = needed.filter((m) => !(m in METHOD_SETTING));
  if (needed.length === 0 || unsupported.length > 0) {
    throw new OsconsoleError(
      'E_AUTH',
      `Keystone requires ${rule.join(' + ')} for ${receipt.user.name}, which osconsole cannot supply`,
    );
  }
  const values = { ...cfg.values };
  const ask = async (attempt: number) => {
    for (const m of needed) {
      const key = METHOD_SETTING[m] as SettingKey;
      if (attempt === 0 && values[key] !== undefined && cfg.values[key] !== undefined) continue;
      if (!prompter) {
        throw new OsconsoleError(
          'E_AUTH',
          `Keystone asks ${receipt.user.name} for another factor (${needed.join(', ')})`,
          {
            hint: `${howToSet(key)}, or run osconsole login on a terminal`,
          },
        );
      }
      values[key] = await prompter.secret(
        key === 'passcode' ? `TOTP passcode for ${receipt.user.name}` : `Password for ${receipt.user.name}`,
      );
    }
  };
  for (let attempt = 0; ; attempt++) {
    await ask(attempt);
    try {
      return await postToken(http, { identityUrl, auth: auth(identityFor(values, needed)), receipt: receipt.id });
    } catch (err) {
      const refused = err instanceof OsconsoleError && err.http?.status === 401;
      if (!refused || !prompter || attempt >= 2) {
        if (refused)
          throw new OsconsoleError(
            'E_AUTH',
            `Keystone refused the ${needed.join(' and ')} for ${receipt.user.name}: ${err.http?.message ?? ''}`,
            { cause: err },
          );
        throw err;
      }
      talk.notify(`Keystone refused that ${needed.includes('totp') ? 'passcode' : 'password'}; try again`);
    }
  }
}

/**
 * The project to rescope an unscoped token to: the only one, or the user's
 * choice; off a terminal, an error listing them (a script must say which).
 */
async function chooseProject(
  http: HttpClient,
  identityUrl: string,
  token: string,
  body: TokenBody,
  prompter: Prompter | undefined,
): Promise<string | undefined> {
  const projects = (await listAuthProjects(http, { identityUrl, token })).filter((p) => p.enabled !== false);
  if (!prompter) {
    const names = projects.map((p) => p.name).join(', ');
    throw new OsconsoleError(
      'E_AUTH',
      `no project given, and ${body.user.name} has no default project${names ? ` (projects: ${names})` : ''}`,
      {
        hint: 'pass --os-project-name or set OS_PROJECT_NAME (or --os-project-id / OS_PROJECT_ID)',
      },
    );
  }
  if (projects.length === 0) return undefined;
  if (projects.length === 1) return projects[0]!.id;
  const sorted = [...projects].sort((a, b) => a.name.localeCompare(b.name));
  return prompter.select(
    'Project',
    sorted.map((p) => ({ name: `${p.name} (${p.id})`, value: p.id, description: `domain ${p.domain_id}` })),
  );
}
