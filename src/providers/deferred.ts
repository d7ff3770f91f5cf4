/**
 * Ports whose adapter module is imported on the first call. The cloud SDKs behind them (gRPC
 * clients, the AWS SDKs, the Datadog client) cost hundreds of milliseconds to load each; a command
 * or a runbook that never calls a port must not pay for it.
 */

/** The keys of T whose values are functions returning a promise. */
type AsyncKeys<T> = {
  [K in keyof T]-?: T[K] extends ((...args: infer _A) => Promise<unknown>) | undefined ? K : never;
}[keyof T];

/**
 * One entry per method of T (`{ describeCluster: true }`): the compiler rejects a list that misses
 * one, so a method added to a port cannot be forgotten here.
 */
export type MethodList<T> = { [K in AsyncKeys<T>]-?: true } & {
  [K in Exclude<keyof T, AsyncKeys<T>>]?: never;
};

/**
 * A stand-in for the port `load` resolves to: each method awaits the load (once, shared by
 * concurrent first calls), then delegates. A failed load (e.g. a config section missing) rejects
 * that call and is retried by the next one, as building the adapter eagerly would have thrown each
 * time it was asked for. Optional methods become always present: keep such ports eager.
 */
export function deferred<T extends object>(load: () => Promise<T>, methods: MethodList<T>): T {
  let loading: Promise<T> | undefined;
  const port = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  const target: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(methods)) {
    target[name] = async (...args: unknown[]) => {
      const loaded = (await port()) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const method = loaded[name];
      if (typeof method !== 'function') throw new TypeError(`port method ${name} is not implemented`);
      return method.apply(loaded, args);
    };
  }
  return target as unknown as T;
}
