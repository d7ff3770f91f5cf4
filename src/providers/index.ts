/**
 * Builds the ports over the real clients from the config. Imported only by commands that talk to
 * the outside world, so `--help` never loads a cloud SDK.
 */
import type { Config } from '../config/schema.js';
import type { Redactor } from '../engine/redact.js';
import type { Ports, ReadPorts, WritePorts } from './ports.js';

export interface PortOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  runId: string;
}

export function createPorts(_options: PortOptions): Ports {
  const read: ReadPorts = {};
  return {
    read,
    openWrite(): WritePorts {
      return {};
    },
  };
}
