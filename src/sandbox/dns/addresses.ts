/**
 * Alias targets outside the hosted zones (load balancers, CloudFront, S3 websites, Beanstalk)
 * resolve to a fixed sandbox address per target: derived from the target's DNS name, so the same
 * load balancer always answers the same address (`dualstack.` names included) and different ones
 * differ. Addresses come from the documentation ranges and are never contacted.
 */
import { createHash } from 'node:crypto';

/** Lower case, no trailing dot, without the `dualstack.` prefix ELB alias targets carry. */
export function aliasTargetKey(dnsName: string): string {
  return dnsName
    .trim()
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^dualstack\./, '');
}

/** 198.51.100.1–254 (TEST-NET-2) for A, 2001:db8:51::/48 for AAAA. */
export function aliasTargetAddress(dnsName: string, family: 4 | 6 = 4): string {
  const digest = createHash('sha256').update(aliasTargetKey(dnsName)).digest();
  if (family === 4) return `198.51.100.${1 + (digest.readUInt16BE(0) % 254)}`;
  const groups = [0, 2, 4, 6].map((i) => digest.readUInt16BE(i).toString(16));
  return `2001:db8:51::${groups.join(':')}`;
}
