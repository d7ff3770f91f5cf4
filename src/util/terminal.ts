/**
 * Text from outside (API answers, git output, runbook values, error messages) must not drive the
 * terminal: an ESC sequence could clear the screen, move the cursor over earlier lines or retitle
 * the window, and a carriage return could overwrite what an operator reads. Control characters
 * are shown escaped (`\x1b`), visible and harmless.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point.
const CONTROL_ALL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
// Keeps the colour sequences (SGR, ESC [ … m) failover itself writes; escapes everything else.
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above.
const CONTROL_BUT_COLOURS = /\u001b(?!\[[0-9;]*m)|[\u0000-\u0009\u000b-\u001a\u001c-\u001f\u007f-\u009f]/g;

function escapeChar(ch: string): string {
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  return `\\x${(ch.codePointAt(0) ?? 0).toString(16).padStart(2, '0')}`;
}

/** An untrusted string made safe to print: every control character but the newline escaped. */
export function escapeUntrusted(text: string): string {
  return text.replace(CONTROL_ALL, escapeChar);
}

/** A line failover composed (colours allowed) with untrusted parts inside: other controls escaped. */
export function escapeForTerminal(text: string): string {
  return text.replace(CONTROL_BUT_COLOURS, escapeChar);
}

/** Every string inside a value escaped (for events rendered as text). */
export function escapeStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeUntrusted(value) as T;
  if (Array.isArray(value)) return value.map(escapeStrings) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = escapeStrings(inner);
    return out as T;
  }
  return value;
}

/** ANSI colour codes removed (for JSON records of text lines). */
export function stripColours(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing colour sequences.
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
