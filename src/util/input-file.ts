/**
 * Reading the files an operator names (config, runbooks, .env, journals). Only regular files under
 * a size limit are read: `/dev/zero`, a FIFO or a 2 GB log would otherwise be read without end, or
 * hang waiting for a writer. Every refusal is invalid input with the path and the fix.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { invalidInput } from '../engine/errors.js';

/** Largest config, runbook or .env file accepted (documented in README.md, Input limits). */
export const MAX_INPUT_BYTES = 1024 * 1024;
/** Largest journal accepted: a run appends a few hundred events, each well under 16 KiB. */
export const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;

export interface InputFileOptions {
  /** What the file is, for messages: `config`, `runbook`, `journal`. */
  what: string;
  /** Stable error code for the refusal. */
  code: string;
  maxBytes?: number;
  /** The fix to name when the file does not exist. */
  missingHint?: string;
}

function kindOf(stats: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Why a path cannot be read, in the operator's words. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const words: Record<string, string> = {
    ENOENT: 'not found',
    ELOOP: 'a symbolic link loop (a link that leads back to itself)',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOTDIR: 'a part of the path is not a directory',
    ENAMETOOLONG: 'the path is too long',
  };
  if (!code) return String(error);
  return words[code] ? `${words[code]} (${code})` : code;
}

/**
 * The text of a regular file of at most `maxBytes` bytes. Refuses devices, FIFOs, sockets,
 * directories, symlink loops, files over the limit and binary files (a NUL byte), with exit 2.
 */
export function readInputFile(path: string, options: InputFileOptions): string {
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES;
  const refuse = (reason: string, hint: string) =>
    invalidInput(options.code, `cannot read ${options.what} ${path}: ${reason}`, { hint });
  let stats: ReturnType<typeof statSync>;
  try {
    // stat, not open: opening a FIFO would block until a writer comes.
    stats = statSync(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw refuse(
      describeFsError(error),
      missing && options.missingHint ? options.missingHint : 'check the path and its permissions',
    );
  }
  if (!stats.isFile())
    throw refuse(
      kindOf(stats),
      `pass the path of a regular ${options.what} file (at most ${formatBytes(maxBytes)})`,
    );
  if (stats.size > maxBytes)
    throw refuse(
      `${formatBytes(stats.size)} is over the limit of ${formatBytes(maxBytes)}`,
      `a ${options.what} is a small text file; check that this is the right file`,
    );
  let fd: number;
  try {
    // O_NONBLOCK: should the path have been swapped for a FIFO since the stat, open does not hang.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw refuse(describeFsError(error), 'check the path and its permissions');
  }
  try {
    if (!fstatSync(fd).isFile()) throw refuse('not a regular file', `pass a regular ${options.what} file`);
    // Read at most one byte past the limit: a file that grows while read is still bounded.
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(stats.size + 1, 1)));
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes)
      throw refuse(`over the limit of ${formatBytes(maxBytes)}`, `check that this is the right file`);
    const bytes = buffer.subarray(0, length);
    if (bytes.includes(0))
      throw refuse('a binary file (it contains NUL bytes)', `pass a text (UTF-8) ${options.what} file`);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes % 1024 ? 1 : 0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) ? 1 : 0)} MiB`;
}
