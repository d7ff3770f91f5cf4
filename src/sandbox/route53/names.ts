/** DNS names and ids as Route 53 writes and orders them. */
import { randomBytes } from 'node:crypto';

/** Lower case, `\052` read as `*`, and a trailing dot: the form Route 53 stores. */
export function normalizeDnsName(name: string): string {
  const lower = name.trim().toLowerCase().replaceAll('\\052', '*');
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** Route 53 answers a wildcard label as the octal escape `\052`. */
export function escapeDnsName(name: string): string {
  return name.replaceAll('*', '\\052');
}

const LABEL = /^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$/;

export function isValidDnsName(name: string): boolean {
  const normalized = normalizeDnsName(name);
  if (normalized.length > 255 || normalized === '.') return false;
  return normalized
    .slice(0, -1)
    .split('.')
    .every((label) => LABEL.test(label));
}

/** True when `name` is `zone` or below it. Both normalized. */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** Orders names as ListResourceRecordSets and ListHostedZonesByName do: labels reversed. */
export function compareDnsNames(a: string, b: string): number {
  const left = a.split('.').filter(Boolean).reverse();
  const right = b.split('.').filter(Boolean).reverse();
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const l = left[i] as string;
    const r = right[i] as string;
    if (l !== r) return l < r ? -1 : 1;
  }
  return left.length - right.length;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A Route 53 style id: a letter prefix and upper-case alphanumerics (hosted zones `Z…`, changes `C…`). */
export function newResourceId(prefix: 'Z' | 'C'): string {
  const bytes = randomBytes(20);
  let id = prefix;
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

/** Strips the `/hostedzone/`, `/change/`, `/healthcheck/` … prefixes callers may leave on ids. */
export function bareId(id: string): string {
  return id.replace(/^\/?(hostedzone|change|delegationset|healthcheck)\//, '');
}
