/**
 * Which clouds.yaml keys osconsole reads, ignores or refuses. The rule:
 *  - the keys of its settings (settings.ts), their legacy spellings, `auth`,
 *    `regions`, `verify` and `insecure` are read;
 *  - keys known not to matter to a console client are ignored: the API
 *    versions, endpoints, service types and timeouts of other services,
 *    networks, floating IPs, images, logging and metrics (openstacksdk
 *    config/defaults.json, schema.json, vendor-schema.json, cloud_region.py);
 *  - everything else is refused by name (exit 2): a key that changes where or
 *    how the SDK would authenticate or which compute or identity endpoint it
 *    would use (`profile`, `compute_endpoint_override`, `identity_interface`,
 *    an `auth:` option osconsole's plugins lack...), or one osconsole does not
 *    know (a typo). Ignoring those would log in somewhere else, or fail later
 *    with a misleading message.
 */
import { SETTINGS } from './settings.js';

export type KeyVerdict = { ok: true } | { ok: false; why: string };

const OK: KeyVerdict = { ok: true };

/** openstacksdk loader.py: legacy spellings fixed up by _fix_backwards_auth / _fix_backwards_auth_plugin. */
export const LEGACY_AUTH_KEYS: Readonly<Record<string, string>> = {
  tenant_name: 'project_name',
  tenant_id: 'project_id',
  project_domain: 'project_domain_name',
  user_domain: 'user_domain_name',
  auth_token: 'token',
};

export const LEGACY_TOP_KEYS: Readonly<Record<string, string>> = {
  auth_plugin: 'auth_type',
  endpoint_type: 'interface',
};

const AUTH_KEYS = new Set<string>([
  ...SETTINGS.filter((s) => s.auth).map((s) => s.key),
  ...Object.keys(LEGACY_AUTH_KEYS),
]);
const TOP_KEYS = new Set<string>([
  ...SETTINGS.map((s) => s.key),
  ...Object.keys(LEGACY_AUTH_KEYS),
  ...Object.keys(LEGACY_TOP_KEYS),
  'auth',
  'regions',
  'verify',
]);

/** Cloud-level keys of openstacksdk that do not bear on logging in or on Nova consoles. */
const IGNORED = new Set<string>([
  'networks',
  'external_network',
  'internal_network',
  'nat_destination',
  'floating_ip_source',
  'secgroup_source',
  'requires_floating_ip',
  'image_format',
  'image_api_use_tasks',
  'disable_vendor_agent',
  'vendor_hook',
  'api_timeout',
  'timeout',
  'operation_timeout',
  'split_loggers',
  'timing',
  'force_ipv4',
  'prefer_ipv6',
  'status_code_retries',
  'connect_retries',
  'rate_limit',
  'metrics',
  'message',
  'status',
  'use_direct_get',
  // python-openstackclient's per-cloud logging
  'operation_log',
  'log_file',
  'log_level',
]);

/** Per-service keys (cloud_region.py _get_config: `<service>_<key>`). */
const SERVICE_KEY =
  /^([a-z0-9_]+?)_(api_version|endpoint_override|endpoint|endpoint_type|interface|region_name|service_type|service_name|default_microversion|status_code_retries|connect_retries|timeout|api_timeout)$/;

/** The services osconsole talks to: their endpoint choices are its own (catalog, interface, region). */
const OWN_SERVICES = new Set(['compute', 'identity']);
/** Per-service keys that choose an endpoint or how to call it (timeouts and retries do not). */
const ENDPOINT_CHOICE = new Set([
  'endpoint_override',
  'endpoint',
  'endpoint_type',
  'interface',
  'region_name',
  'service_type',
  'service_name',
  'default_microversion',
]);

/** A cloud-level key (dashes already turned into underscores). */
export function topKeyVerdict(key: string): KeyVerdict {
  if (TOP_KEYS.has(key) || IGNORED.has(key)) return OK;
  if (key === 'profile' || key === 'cloud') {
    return {
      ok: false,
      why: "vendor profiles are not supported; write the cloud's auth_url (and region_name, interface) in it instead",
    };
  }
  const service = SERVICE_KEY.exec(key);
  if (service) {
    if (!OWN_SERVICES.has(service[1] as string) || !ENDPOINT_CHOICE.has(service[2] as string)) return OK;
    return {
      ok: false,
      why: 'not supported: osconsole takes the compute and identity endpoints from the catalog, by interface and region_name',
    };
  }
  return {
    ok: false,
    why: 'not a setting osconsole knows (the README section on clouds.yaml lists what it reads and ignores)',
  };
}

/** A key under `auth:`. */
export function authKeyVerdict(key: string): KeyVerdict {
  if (AUTH_KEYS.has(key)) return OK;
  return { ok: false, why: "not supported by osconsole's auth plugins" };
}
