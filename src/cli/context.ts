/**
 * What every command needs: the config (optional for runbooks that use no external system), the
 * environment, the redactor, the state directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, type LoadedConfig, loadConfig, loadDotEnv } from '../config/load.js';
import { Config } from '../config/schema.js';
import { defaultStateDir } from '../engine/journal.js';
import { Redactor } from '../engine/redact.js';
import type { GlobalOptions } from './io.js';

export interface CommandContext {
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  /**
   * Loads the config; `required: false` returns an empty config when the default file is absent.
   * `fallback` (a saved plan's config file) stands in for the default file when neither --config
   * nor FAILOVER_CONFIG names one and it still exists.
   */
  config(required: boolean, fallback?: string): LoadedConfig;
  stateDir(config?: Config): string;
}

export function createContext(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CommandContext {
  loadDotEnv(env);
  const redactor = new Redactor();
  redactor.addSecretLookingEnv(env);
  let loaded: LoadedConfig | undefined;
  return {
    env,
    redactor,
    config(required, fallback) {
      if (loaded) return loaded;
      const explicit =
        options.config ?? env.FAILOVER_CONFIG ?? (fallback && existsSync(fallback) ? fallback : undefined);
      const file = resolve(explicit ?? DEFAULT_CONFIG_FILE);
      if (!explicit && !required && !existsSync(file)) {
        loaded = { config: Config.parse({}), file: '', raw: {} };
      } else {
        // A `.env` beside the config file (the sandbox writes one) applies too.
        loadDotEnv(env, resolve(dirname(file), '.env'));
        loaded = loadConfig(file, env);
      }
      // Secrets the config points at are masked everywhere.
      const { argocd, notifications, gitops, probes, metrics } = loaded.config;
      redactor.addFromEnv(
        env,
        [
          argocd?.tokenEnv,
          notifications.slack?.webhookUrlEnv,
          notifications.datadog?.apiKeyEnv,
          metrics?.datadog.apiKeyEnv,
          metrics?.datadog.appKeyEnv,
          metrics?.prometheus?.bearerTokenEnv,
        ].filter((n): n is string => Boolean(n)),
      );
      // Credentials written into URLs (a token in the GitOps remote, basic auth on a probe).
      redactor.addUrlCredentials(gitops?.repo);
      for (const probe of Object.values(probes).flat()) redactor.addUrlCredentials(probe.url);
      return loaded;
    },
    stateDir(config) {
      return env.FAILOVER_STATE_DIR || config?.stateDir || defaultStateDir(env);
    },
  };
}

/** The operator's name: --operator, FAILOVER_OPERATOR, git user.name, or the login name. */
export function operatorName(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  if (explicit) return explicit;
  if (env.FAILOVER_OPERATOR) return env.FAILOVER_OPERATOR;
  try {
    const name = execFileSync('git', ['config', 'user.name'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    if (name) return name;
  } catch {
    // no git or no user.name: fall through
  }
  return userInfo().username;
}
