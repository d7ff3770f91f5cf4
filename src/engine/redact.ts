/**
 * Secrets never reach output, journal, reports or errors. Values of known secret environment
 * variables and fields with secret-looking names are replaced before anything is written.
 */
const SECRET_KEY =
  /(token|secret|password|passwd|api[-_]?key|authorization|webhook|credential|private[-_]?key)/i;
const MASK = '***';

export class Redactor {
  private readonly values = new Set<string>();

  /** Registers a secret value (e.g. the Argo CD token read from the environment). */
  add(value: string | undefined): void {
    if (value && value.length >= 4) this.values.add(value);
  }

  /** Registers the values of the environment variables named. */
  addFromEnv(env: NodeJS.ProcessEnv, names: Iterable<string>): void {
    for (const name of names) this.add(env[name]);
  }

  text(input: string): string {
    let out = input;
    // Longest first: a secret that contains another must not be left half-masked.
    for (const value of [...this.values].sort((a, b) => b.length - a.length))
      out = out.split(value).join(MASK);
    // Bearer tokens and URL credentials, even when unknown to us.
    out = out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${MASK}`);
    out = out.replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${MASK}@`);
    return out;
  }

  value<T>(input: T): T {
    return this.walk(input, undefined) as T;
  }

  private walk(input: unknown, key: string | undefined): unknown {
    if (typeof input === 'string') {
      if (key && SECRET_KEY.test(key) && !/(env|name|ref|file|path)$/i.test(key)) return MASK;
      return this.text(input);
    }
    if (Array.isArray(input)) return input.map((v) => this.walk(v, undefined));
    if (input && typeof input === 'object') {
      return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, this.walk(v, k)]));
    }
    return input;
  }
}
