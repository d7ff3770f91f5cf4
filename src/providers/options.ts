/** What every adapter is built from. Its own module so adapters never import the ports index. */
import type { Config } from '../config/schema.js';
import type { Redactor } from '../engine/redact.js';

export interface AdapterOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  runId: string;
}
