/**
 * Nova's microversion rules, written independently of the client's own code so
 * that the two can disagree (and tests catch it).
 *
 * Sources: nova nova/api/openstack/api_version_request.py (format regex,
 * `latest`), nova/api/openstack/wsgi.py (header precedence, 400/406, echo
 * headers), microversion-parse get_version (comma-folded headers scanned from
 * the end, service name case-insensitive).
 */

export interface Version {
  major: number;
  minor: number;
}

const FORMAT = /^([1-9]\d*)\.([1-9]\d*|0)$/;

export function parseVersion(s: string): Version | undefined {
  const m = FORMAT.exec(s);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function cmp(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor;
}

export function fmt(v: Version): string {
  return `${v.major}.${v.minor}`;
}

export function v(s: string): Version {
  const parsed = parseVersion(s);
  if (!parsed) throw new Error(`bad version literal ${s}`);
  return parsed;
}

/** The compute version a request asked for: the new header's compute entry, else the legacy header, else none. */
export function requestedComputeVersion(headers: Record<string, string>): string | undefined {
  const modern = headers['openstack-api-version'];
  if (modern !== undefined) {
    const entries = modern
      .split(',')
      .map((e) => e.trim())
      .reverse();
    for (const entry of entries) {
      const [service, value] = entry.split(/\s+/, 2);
      if (service?.toLowerCase() === 'compute' && value !== undefined) return value;
    }
  }
  return headers['x-openstack-nova-api-version']?.trim();
}
