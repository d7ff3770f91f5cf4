/**
 * The portability catalogue: one data file (catalogue.json) of what each cloud's cluster cannot
 * serve or ignores, checked here with zod when loaded so a bad entry fails loudly, not silently.
 */
import { z } from '../../util/zod.js';
import data from './catalogue.json' with { type: 'json' };

export const CLOUDS = ['aws', 'gcp'] as const;
export type Cloud = (typeof CLOUDS)[number];

const names = z.array(z.string().min(1));

const Match = z.discriminatedUnion('type', [
  /** Objects of these API groups (exact, or ending in a suffix such as `.cnrm.cloud.google.com`). */
  z.strictObject({
    type: z.literal('kind'),
    groups: names,
    groupSuffixes: names.default([]),
  }),
  /** Annotation keys on any object or pod template. */
  z.strictObject({ type: z.literal('annotation'), keys: names, prefixes: names.default([]) }),
  /** `spec.ingressClassName` or the `kubernetes.io/ingress.class` annotation. */
  z.strictObject({ type: z.literal('ingressClass'), names, replacement: z.string().min(1) }),
  /** Node selectors and node affinity on these label keys. */
  z.strictObject({ type: z.literal('nodeLabel'), keys: names, prefixes: names.default([]) }),
  /** `storageClassName` of claims and claim templates. */
  z.strictObject({ type: z.literal('storageClass'), names, replacement: z.string().min(1) }),
  /** StorageClass objects with one of these provisioners. */
  z.strictObject({ type: z.literal('provisioner'), names }),
  /**
   * HPA external metrics: names matching `pattern`, or named like an object of the render in the
   * API group `definedBy` (the CloudWatch adapter's ExternalMetric).
   */
  z
    .strictObject({
      type: z.literal('externalMetric'),
      pattern: z.string().min(1).optional(),
      definedBy: z.string().min(1).optional(),
    })
    .refine((m) => m.pattern !== undefined || m.definedBy !== undefined, {
      message: 'an externalMetric match needs `pattern` or `definedBy`',
    }),
  /** KEDA ScaledObject / ScaledJob triggers of these types. */
  z.strictObject({ type: z.literal('kedaTrigger'), types: names }),
]);
export type Match = z.infer<typeof Match>;

export const CatalogueEntry = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  /** The cloud the thing belongs to: the entry applies when linting for the other one. */
  cloud: z.enum(CLOUDS),
  match: Match,
  severity: z.enum(['error', 'warning']),
  /** What goes wrong on the other cloud. */
  problem: z.string().min(10),
  fix: z.string().min(5),
  docs: z.url(),
});
export type CatalogueEntry = z.infer<typeof CatalogueEntry>;

export const Catalogue = z
  .strictObject({ $comment: z.string().optional(), entries: z.array(CatalogueEntry).min(1) })
  .refine((c) => new Set(c.entries.map((e) => e.id)).size === c.entries.length, {
    message: 'catalogue entry ids must be unique',
  });
export type Catalogue = z.infer<typeof Catalogue>;

let loaded: Catalogue | undefined;

/** The shipped catalogue, checked once. */
export function catalogue(): Catalogue {
  loaded ??= Catalogue.parse(data);
  return loaded;
}

/** The entries that apply to an overlay deployed on `target`. */
export function entriesFor(target: Cloud, from: Catalogue = catalogue()): CatalogueEntry[] {
  return from.entries.filter((entry) => entry.cloud !== target);
}
