/**
 * The narrow ports the steps use, split into a read side and a write side. Planning gets only
 * the read side; the write side exists only inside the apply context, which a dry-run never
 * creates. Each adapter under src/providers implements its part of these interfaces over the
 * real SDK or CLI.
 */

/** Read-only access to every external system. Filled by createPorts() in src/providers/index.ts. */
// biome-ignore lint/suspicious/noEmptyInterface: extended by the provider adapters as they are added.
export interface ReadPorts {}

/** Mutating access. Only reachable through ApplyContext.write. */
// biome-ignore lint/suspicious/noEmptyInterface: extended by the provider adapters as they are added.
export interface WritePorts {}

export interface Ports {
  read: ReadPorts;
  /** Opens the write side. Called by the engine only when it applies, never in a dry-run. */
  openWrite(): WritePorts;
}
