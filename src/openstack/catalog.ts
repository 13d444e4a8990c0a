/**
 * Picking an endpoint from the service catalog, as keystoneauth does
 * (access/service_catalog.py): by service type, interface and region (matched
 * against region_id, then region), skipping empty URLs; the first match wins.
 * A miss says what the catalog does offer (the #1 "endpoint not found" puzzle).
 */
import { OsconsoleError } from '../errors.js';
import { quoted } from '../text.js';
import { httpUrl, ShapeError } from './validate.js';

/** The fields osconsole keeps of a token's service catalog (keystone api-ref authenticate-v3.inc, "catalog"). */
export interface CatalogEndpoint {
  interface: string;
  region: string | null;
  region_id?: string | null;
  url: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface EndpointQuery {
  type: string;
  interface: string;
  /** undefined: any region. */
  region?: string | null;
}

export function findEndpoint(catalog: readonly CatalogService[], q: EndpointQuery): string {
  const services = catalog.filter((s) => s.type === q.type);
  const endpoints = services.flatMap((s) => s.endpoints.filter((e) => e.url));
  const match = endpoints.find(
    (e) =>
      e.interface === q.interface && (!q.region || (e.region_id ?? e.region) === q.region || e.region === q.region),
  );
  const where = `${q.interface} ${q.type} endpoint${q.region ? ` in region ${q.region}` : ''}`;
  if (match) return checkedUrl(match.url, where);
  if (endpoints.length === 0) {
    const types = [...new Set(catalog.map((s) => s.type))].sort();
    throw new OsconsoleError(
      'E_NOT_FOUND',
      `no ${where}: the catalog has no ${q.type} service (it has: ${types.join(', ') || 'nothing'})`,
    );
  }
  const offered = [...new Set(endpoints.map((e) => `${e.region_id ?? e.region ?? '(no region)'} ${e.interface}`))].join(
    ', ',
  );
  throw new OsconsoleError('E_NOT_FOUND', `no ${where}; the catalog offers ${q.type} at: ${offered}`, {
    hint: 'choose with --os-region-name (OS_REGION_NAME) and --os-interface (OS_INTERFACE)',
  });
}

/** A catalog URL that is no URL would fail later as a bare "Invalid URL": say which entry is wrong. */
function checkedUrl(url: string, where: string): string {
  try {
    return httpUrl(url, 'url');
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw new OsconsoleError('E_UNEXPECTED', `the catalog's ${where} is not an http or https URL: ${quoted(url, 80)}`, {
      hint: 'the cloud operator should fix the endpoint in Keystone',
    });
  }
}
