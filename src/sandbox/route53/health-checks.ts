/** Health check settings and what the emulated checkers observe. */
import { Route53Error } from './errors.js';
import type { HealthCheckConfig, HealthCheckObservation } from './types.js';

/** Where Route 53 health checkers run by default, with one checker address each. */
const HEALTH_CHECKERS: Record<string, string> = {
  'us-east-1': '54.243.31.200',
  'us-west-1': '54.183.255.140',
  'us-west-2': '54.244.52.200',
  'eu-west-1': '54.228.16.10',
  'ap-southeast-1': '54.255.254.200',
  'ap-southeast-2': '54.252.254.200',
  'ap-northeast-1': '54.250.253.200',
  'sa-east-1': '177.71.207.140',
};

/** What the checkers see of an endpoint; flipped by `Route53Model.setHealthCheckHealthy`. */
export interface CheckerView {
  healthy: boolean;
  failureReason?: string;
}

/** One observation per checker region, all agreeing with the emulated status. */
export function checkerObservations(
  config: HealthCheckConfig,
  view: CheckerView,
  now: number,
): HealthCheckObservation[] {
  // Calculated, CloudWatch and recovery-control checks have no checkers of their own.
  if (!['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP'].includes(config.Type)) return [];
  const regions = config.Regions ?? Object.keys(HEALTH_CHECKERS);
  return regions.map((region, index) => ({
    Region: region,
    IPAddress: HEALTH_CHECKERS[region] ?? '15.177.0.1',
    StatusReport: {
      Status: statusReport(config, view),
      // Checkers report at staggered times within the request interval.
      CheckedTime: new Date(now - ((index * 3700) % ((config.RequestInterval ?? 30) * 1000))),
    },
  }));
}

/** The config as Route 53 stores it: checked, with the defaults it fills in. */
export function completeHealthCheckConfig(config: HealthCheckConfig): HealthCheckConfig {
  const type = config.Type;
  const endpointTypes = ['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP'];
  const validTypes = [...endpointTypes, 'CALCULATED', 'CLOUDWATCH_METRIC', 'RECOVERY_CONTROL'];
  if (!validTypes.includes(type)) {
    throw new Route53Error(
      'InvalidInput',
      `Invalid health check type ${type}; use one of ${validTypes.join(', ')}.`,
    );
  }
  if (endpointTypes.includes(type)) {
    if (config.IPAddress === undefined && config.FullyQualifiedDomainName === undefined) {
      throw new Route53Error(
        'InvalidInput',
        'Invalid parameter: a health check of this type needs IPAddress or FullyQualifiedDomainName.',
      );
    }
    if (type === 'TCP' && config.Port === undefined) {
      throw new Route53Error('InvalidInput', 'Invalid parameter: a TCP health check needs a Port.');
    }
    if (type.endsWith('_STR_MATCH') && !config.SearchString) {
      throw new Route53Error(
        'InvalidInput',
        `Invalid parameter: a ${type} health check needs a SearchString.`,
      );
    }
  }
  if (type === 'CALCULATED' && config.HealthThreshold === undefined) {
    throw new Route53Error(
      'InvalidInput',
      'Invalid parameter: a CALCULATED health check needs HealthThreshold.',
    );
  }
  if (config.RequestInterval !== undefined && ![10, 30].includes(config.RequestInterval)) {
    throw new Route53Error('InvalidInput', 'RequestInterval must be 10 or 30.');
  }
  if (
    config.FailureThreshold !== undefined &&
    (config.FailureThreshold < 1 || config.FailureThreshold > 10)
  ) {
    throw new Route53Error('InvalidInput', 'FailureThreshold must be from 1 to 10.');
  }
  if (config.Regions !== undefined && config.Regions.length < 3) {
    throw new Route53Error('InvalidInput', 'Regions must list at least 3 health checker regions.');
  }
  if (!endpointTypes.includes(type)) return { ...config };
  const https = type.startsWith('HTTPS');
  return {
    ...config,
    Port: config.Port ?? (https ? 443 : 80),
    RequestInterval: config.RequestInterval ?? 30,
    FailureThreshold: config.FailureThreshold ?? 3,
    MeasureLatency: config.MeasureLatency ?? false,
    Inverted: config.Inverted ?? false,
    Disabled: config.Disabled ?? false,
    EnableSNI: config.EnableSNI ?? https,
  };
}

function statusReport(config: HealthCheckConfig, state: CheckerView): string {
  const tcp = config.Type === 'TCP';
  if (state.healthy)
    return tcp ? 'Success: TCP connection established.' : 'Success: HTTP Status Code 200, OK';
  if (state.failureReason !== undefined) return `Failure: ${state.failureReason.replace(/^Failure:\s*/, '')}`;
  return tcp
    ? 'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.'
    : 'Failure: HTTP Status Code 503, Service Unavailable';
}
