/**
 * Secrets never reach output, journal, reports or errors. Values of known secret environment
 * variables and fields with secret-looking names are replaced before anything is written.
 */
const SECRET_KEY =
  /(token|secret|password|passwd|api[-_]?key|authorization|webhook|credential|private[-_]?key)/i;
const MASK = '***';
/** Names that mention a secret but hold none: where to find it, or its name. */
const NOT_A_SECRET_NAME = /(_ENV|_NAME|_REF|_FILE|_PATH|_DIR|_URL_ENV)$/i;
/** A URL user name this long without a password is taken for a token. */
const TOKEN_USER_MIN = 16;

function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
    // Stryker disable next-line BlockStatement: equivalent, the caller registers the value as written too
  } catch {
    return text;
  }
}

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

  /**
   * Registers every environment variable whose name says it holds a secret (AWS_SECRET_ACCESS_KEY,
   * AWS_SESSION_TOKEN, GITHUB_TOKEN, …), so that even an error no config was loaded for is masked.
   * Short values are left alone: masking every "true" would hide more than it protects.
   */
  addSecretLookingEnv(env: NodeJS.ProcessEnv): void {
    for (const [name, value] of Object.entries(env)) {
      if (value && value.length >= 8 && SECRET_KEY.test(name) && !NOT_A_SECRET_NAME.test(name))
        this.add(value);
    }
  }

  /** Registers the credentials in a URL's user-info part (`https://user:pass@…`, `https://TOKEN@…`). */
  addUrlCredentials(url: string | undefined): void {
    const userInfo = url ? /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]+)@/i.exec(url)?.[1] : undefined;
    if (!userInfo) return;
    const colon = userInfo.indexOf(':');
    const secret = colon >= 0 ? userInfo.slice(colon + 1) : userInfo.length >= TOKEN_USER_MIN ? userInfo : '';
    // As written in the URL and as git or a server may print it, percent-decoded.
    this.add(secret);
    this.add(decodeOrKeep(secret));
  }

  text(input: string): string {
    let out = input;
    // Longest first: a secret that contains another must not be left half-masked.
    for (const value of [...this.values].sort((a, b) => b.length - a.length))
      out = out.split(value).join(MASK);
    // Bearer tokens and URL credentials, even when unknown to us.
    out = out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${MASK}`);
    out = out.replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${MASK}@`);
    // A user-info without a password is a token when it is long (`https://ghp_…@github.com`);
    // short ones are user names (`ssh://git@host`).
    out = out.replace(new RegExp(`(//)[^/\\s:@]{${TOKEN_USER_MIN},}@`, 'g'), `$1${MASK}@`);
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
