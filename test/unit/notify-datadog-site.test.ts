/**
 * Datadog event notifications go to the same site as the metric gates: DD_SITE (or the configured
 * siteEnv) overrides `site`, and an endpoint overrides both. A key of one site is refused by another.
 */
import { describe, expect, it } from 'vitest';
import { NotificationsConfig } from '../../src/config/schema.js';
import { datadogEventsUrl } from '../../src/providers/notify/index.js';

const datadog = (fields: Record<string, unknown> = {}) => {
  const parsed = NotificationsConfig.parse({ datadog: fields }).datadog;
  if (!parsed) throw new Error('no datadog section');
  return parsed;
};

describe('the Datadog Events API address', () => {
  it('is the US1 site by default', () => {
    expect(datadogEventsUrl(datadog(), {})).toBe('https://api.datadoghq.com/api/v1/events');
  });

  it('follows DD_SITE, as the metric gates do', () => {
    expect(datadogEventsUrl(datadog(), { DD_SITE: 'datadoghq.eu' })).toBe(
      'https://api.datadoghq.eu/api/v1/events',
    );
  });

  it('follows the configured site, which DD_SITE still overrides; an empty DD_SITE counts as unset', () => {
    const us5 = datadog({ site: 'us5.datadoghq.com' });
    expect(datadogEventsUrl(us5, {})).toBe('https://api.us5.datadoghq.com/api/v1/events');
    expect(datadogEventsUrl(us5, { DD_SITE: 'ap1.datadoghq.com' })).toBe(
      'https://api.ap1.datadoghq.com/api/v1/events',
    );
    expect(datadogEventsUrl(us5, { DD_SITE: '' })).toBe('https://api.us5.datadoghq.com/api/v1/events');
  });

  it('reads the variable siteEnv names, and an endpoint wins over every site', () => {
    const own = datadog({ siteEnv: 'TEAM_DD_SITE' });
    expect(datadogEventsUrl(own, { TEAM_DD_SITE: 'datadoghq.eu', DD_SITE: 'us3.datadoghq.com' })).toBe(
      'https://api.datadoghq.eu/api/v1/events',
    );
    const proxied = datadog({ endpoint: 'http://127.0.0.1:9/events' });
    expect(datadogEventsUrl(proxied, { DD_SITE: 'datadoghq.eu' })).toBe('http://127.0.0.1:9/events');
  });

  it('refuses an empty site in the config', () => {
    expect(() => datadog({ site: '' })).toThrow();
  });
});
