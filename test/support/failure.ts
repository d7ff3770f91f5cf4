import { FailoverError } from '../../src/engine/errors.js';

/** Awaits a promise that must fail with a FailoverError and returns the error for assertions. */
export async function failure(promise: Promise<unknown>): Promise<FailoverError> {
  try {
    await promise;
  } catch (error) {
    if (FailoverError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}
