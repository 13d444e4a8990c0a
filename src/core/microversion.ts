/**
 * Compute microversions: parsing and comparing (major, minor) pairs, the floor
 * each feature needs, choosing the version to send, and naming releases in
 * messages. Facts: nova api_version_request.py (format), rest_api_version_history
 * (floors), the max microversion of each release (docs/facts/nova.md#releases).
 */
import type { OsconsoleErrorOptions } from '../errors.js';
import { OsconsoleError } from '../errors.js';

export interface Version {
  major: number;
  minor: number;
}

export interface VersionRange {
  min: Version;
  max: Version;
}

const FORMAT = /^([1-9]\d*)\.(0|[1-9]\d*)$/;

/**
 * Unsupported because of the cloud's version range (not because of a pin): a
 * cached range may predate an upgrade, so it is worth one re-read.
 */
export class RangeRefusal extends OsconsoleError {
  constructor(message: string, options: OsconsoleErrorOptions = {}) {
    super('E_UNSUPPORTED', message, options);
  }
}

export function parseVersion(s: string): Version | undefined {
  const m = FORMAT.exec(s.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function mustParse(s: string, what: string): Version {
  const v = parseVersion(s);
  if (!v) throw new OsconsoleError('E_USAGE', `${what} "${s}" is not a microversion of the form X.Y`);
  return v;
}

/** Compares (major, minor) pairs: 2.10 > 2.9 (gophercloud's pitfall was comparing them apart). */
export function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor;
}

export function format(v: Version): string {
  return `${v.major}.${v.minor}`;
}

export const V = (s: string): Version => mustParse(s, 'version');

/** The newest version osconsole knows for console calls (openstacksdk caps them at 2.99 too). */
export const CLIENT_MAX = V('2.99');

/** Max compute microversion of each release (nova tags 12.0.0–33.0.0). */
const RELEASES: Array<[string, string]> = [
  ['2.12', 'Liberty'],
  ['2.25', 'Mitaka'],
  ['2.38', 'Newton'],
  ['2.42', 'Ocata'],
  ['2.53', 'Pike'],
  ['2.60', 'Queens'],
  ['2.65', 'Rocky'],
  ['2.72', 'Stein'],
  ['2.79', 'Train'],
  ['2.87', 'Ussuri/Victoria'],
  ['2.88', 'Wallaby'],
  ['2.90', 'Xena/Yoga'],
  ['2.93', 'Zed'],
  ['2.95', '2023.1 Antelope/2023.2 Bobcat'],
  ['2.96', '2024.1 Caracal/2024.2 Dalmatian'],
  ['2.100', '2025.1 Epoxy/2025.2 Flamingo'],
  ['2.103', '2026.1 Gazpacho'],
];

/** The release whose maximum this is ("Zed"), if it is one. */
export function releaseOfMax(v: Version): string | undefined {
  return RELEASES.find(([max]) => compare(V(max), v) === 0)?.[1];
}

/** The first release that offers a version ("Liberty" for 2.8). */
export function firstReleaseWith(v: Version): string | undefined {
  const found = RELEASES.find(([max]) => compare(V(max), v) >= 0)?.[1];
  return found?.split('/')[0];
}

/** "2.1–2.93 (Zed)" */
export function describeRange(r: VersionRange): string {
  const rel = releaseOfMax(r.max);
  return `${format(r.min)}–${format(r.max)}${rel ? ` (${rel})` : ''}`;
}

/** "2.99 (2025.1 Epoxy)" */
export function describeFloor(v: Version): string {
  const rel = firstReleaseWith(v);
  return `${format(v)}${rel ? ` (${rel})` : ''}`;
}

/**
 * The version to send: the highest both sides support, at or above `floor`,
 * never above `ceiling`; undefined when the cloud's range cannot reach `floor`.
 */
export function negotiate(range: VersionRange, floor: Version, ceiling: Version = CLIENT_MAX): Version | undefined {
  const top = compare(range.max, ceiling) < 0 ? range.max : ceiling;
  if (compare(top, floor) < 0 || compare(top, range.min) < 0) return undefined;
  return top;
}

export function inRange(v: Version, r: VersionRange): boolean {
  return compare(v, r.min) >= 0 && compare(v, r.max) <= 0;
}
