/**
 * Node's process warnings (MaxListenersExceededWarning, DeprecationWarning from a dependency, …)
 * are for the people who maintain failover, not for an operator at 3 a.m.: they never reach the
 * terminal in Node's format. With --verbose they are shown as one plain line each.
 */
export function routeNodeWarnings(verbose: boolean, write: (line: string) => void): void {
  // Node prints warnings through a 'warning' listener of its own; without it nothing is printed.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (verbose) write(`node warning (${warning.name}): ${warning.message}\n`);
  });
}

/** Whether argv asks for --verbose (read before commander has parsed it). */
export function verboseWanted(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--verbose' || /^-[a-zA-Z]*v[a-zA-Z]*$/.test(arg));
}
