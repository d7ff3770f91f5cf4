/**
 * `failover sandbox secret-store <gcp|aws> <ok|failing> [--key K…]`: makes the ExternalSecrets of a
 * side's cluster fail to sync (all of them, or those reading the given remote keys), or heals them,
 * so anyone can watch a failover wait name the ExternalSecret its pods are waiting for.
 */
import { invalidInput } from '../../engine/errors.js';
import { Redactor } from '../../engine/redact.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { control } from './sandbox.js';

export async function secretStore(
  globals: GlobalOptions,
  side: string,
  state: string,
  options: { dir: string; key?: string[] },
): Promise<ExitCode> {
  const io = new Io(globals, new Redactor());
  try {
    if (side !== 'gcp' && side !== 'gke' && side !== 'aws')
      throw invalidInput('FO_SANDBOX_E6020', `unknown side "${side}"`, { hint: 'use gcp or aws' });
    if (state !== 'ok' && state !== 'failing')
      throw invalidInput('FO_SANDBOX_E6021', `unknown secret store state "${state}"`, {
        hint: 'use failing (ExternalSecrets stop syncing) or ok',
      });
    const keys = state === 'failing' ? (options.key ?? []) : [];
    const result = await control(options.dir, 'POST', '/secret-store', {
      side: side === 'gke' ? 'gcp' : side,
      failing: state === 'failing',
      keys,
    });
    if (globals.output === 'json') io.json(result);
    else
      io.out(
        state === 'ok'
          ? `${side} secret store ok: ExternalSecrets sync again`
          : `${side} secret store failing${keys.length ? ` for ${keys.join(', ')}` : ''}: ExternalSecrets report SecretSyncedError`,
      );
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}
