/**
 * Every emulator records each request it answers: which operation, whether it mutates, and the
 * status it answered with. Tests assert on this log (e.g. a dry-run sent zero mutating requests).
 */
export interface RequestLogEntry {
  at: string;
  service: string;
  operation: string;
  mutating: boolean;
  status: number;
  /** Error code when the answer was an error (e.g. Throttling). */
  error?: string;
}

export class RequestLog {
  readonly entries: RequestLogEntry[] = [];

  record(entry: Omit<RequestLogEntry, 'at'>): void {
    this.entries.push({ at: new Date().toISOString(), ...entry });
  }

  mutating(): RequestLogEntry[] {
    return this.entries.filter((e) => e.mutating);
  }

  operations(): string[] {
    return this.entries.map((e) => e.operation);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
