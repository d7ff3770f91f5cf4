/**
 * Validation of Route 53 Traffic Flow policy documents (the JSON string in CreateTrafficPolicy /
 * CreateTrafficPolicyVersion). The emulator answers InvalidTrafficPolicyDocument with these
 * problems; the Route 53 adapter runs the same checks before it sends a new version, so a bad
 * document is caught in the plan, not halfway through a failover.
 *
 * Every problem names the JSON path it is about (e.g. `Rules.split.Items[1].Weight`), and all
 * problems are reported, not only the first.
 */

export const TRAFFIC_POLICY_DOCUMENT_MAX_CHARS = 102_400;
export const TRAFFIC_POLICY_FORMAT_VERSIONS = ['2015-10-01', '2023-05-09'] as const;
/** DNS types Traffic Flow can create records of. */
export const TRAFFIC_POLICY_RECORD_TYPES = [
  'A',
  'AAAA',
  'CAA',
  'CNAME',
  'MX',
  'NAPTR',
  'PTR',
  'SPF',
  'SRV',
  'TXT',
] as const;
export const TRAFFIC_POLICY_ENDPOINT_TYPES = [
  'value',
  'cloudfront',
  'application-load-balancer',
  'elastic-load-balancer',
  'network-load-balancer',
  'elastic-beanstalk',
  's3-website',
] as const;
export const TRAFFIC_POLICY_RULE_TYPES = [
  'failover',
  'geo',
  'geoproximity',
  'latency',
  'multivalue',
  'weighted',
] as const;

export type TrafficPolicyEndpointType = (typeof TRAFFIC_POLICY_ENDPOINT_TYPES)[number];
export type TrafficPolicyRuleType = (typeof TRAFFIC_POLICY_RULE_TYPES)[number];

/** Where a rule sends a query: an endpoint or another rule, plus optional health settings. */
export interface TrafficPolicyTarget {
  EndpointReference?: string;
  RuleReference?: string;
  EvaluateTargetHealth?: boolean;
  HealthCheck?: string;
}

export interface WeightedItem extends TrafficPolicyTarget {
  /** 0–255; documents often write it as a string ("255"). */
  Weight: number | string;
}

export interface TrafficPolicyEndpoint {
  Type: TrafficPolicyEndpointType;
  Value: string;
  Region?: string;
}

export interface TrafficPolicyRule {
  RuleType: TrafficPolicyRuleType;
  Items?: WeightedItem[] | TrafficPolicyTarget[];
  Primary?: TrafficPolicyTarget;
  Secondary?: TrafficPolicyTarget;
  Locations?: Array<
    TrafficPolicyTarget & { IsDefault?: boolean; Continent?: string; Country?: string; Subdivision?: string }
  >;
  Regions?: Array<TrafficPolicyTarget & { Region: string }>;
  GeoproximityLocations?: Array<
    TrafficPolicyTarget & { Region?: string; Latitude?: string; Longitude?: string; Bias?: number | string }
  >;
}

/** The document as Route 53 stores it (after JSON.parse). */
export interface TrafficPolicyDocument {
  AWSPolicyFormatVersion: string;
  RecordType: string;
  StartRule?: string;
  StartEndpoint?: string;
  Endpoints?: Record<string, TrafficPolicyEndpoint>;
  Rules?: Record<string, TrafficPolicyRule>;
}

const TOP_LEVEL_FIELDS = [
  'AWSPolicyFormatVersion',
  'RecordType',
  'StartRule',
  'StartEndpoint',
  'Endpoints',
  'Rules',
];
/** Route 53's continent codes (GeoLocation ContinentCode and a geo rule's Continent). */
const CONTINENTS = ['AF', 'AN', 'AS', 'EU', 'OC', 'NA', 'SA'];
/** ISO 3166-1 alpha-2, upper case, as Route 53 takes country codes. */
const COUNTRY = /^[A-Z]{2}$/;
/** ISO 3166-2 subdivision part (e.g. US states, Ukrainian oblasts): one to three letters or digits. */
const SUBDIVISION = /^[A-Z0-9]{1,3}$/;
const ENDPOINT_FIELDS = ['Type', 'Value', 'Region'];
const TARGET_FIELDS = ['EndpointReference', 'RuleReference', 'EvaluateTargetHealth', 'HealthCheck'];

/** Fields each rule type has besides RuleType, and the extra fields of its list entries. */
const RULE_SHAPES: Record<TrafficPolicyRuleType, { list?: string; pair?: boolean; entryFields: string[] }> = {
  failover: { pair: true, entryFields: [] },
  geo: { list: 'Locations', entryFields: ['IsDefault', 'Continent', 'Country', 'Subdivision'] },
  geoproximity: { list: 'GeoproximityLocations', entryFields: ['Region', 'Latitude', 'Longitude', 'Bias'] },
  latency: { list: 'Regions', entryFields: ['Region'] },
  multivalue: { list: 'Items', entryFields: [] },
  weighted: { list: 'Items', entryFields: ['Weight'] },
};

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME =
  /^(\*\.)?([a-zA-Z0-9_]([a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_])?\.?$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

export function isIPv6(value: string): boolean {
  // Good enough for endpoint values: hex groups and at most one '::'.
  if (!/^[0-9a-fA-F:.]+$/.test(value) || !value.includes(':')) return false;
  const doubleColons = value.split('::').length - 1;
  if (doubleColons > 1) return false;
  const groups = value.split(':').filter((g) => g !== '');
  return doubleColons === 1 ? groups.length < 8 : groups.length === 8;
}

/** A weight as Route 53 accepts it: an integer 0–255, as a number or a numeric string. */
export function parseWeight(value: unknown): number | undefined {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value.trim())
        ? Number(value)
        : NaN;
  return Number.isInteger(number) && number >= 0 && number <= 255 ? number : undefined;
}

/**
 * Returns every problem found in the document; an empty list means Route 53 would accept it.
 * Checks: JSON syntax, size, format version, record type, exactly one start, endpoint types and
 * values, rule types and their fields, that every reference resolves, weights, and rule cycles.
 */
export function validateTrafficPolicyDocument(text: string): string[] {
  if (text.length > TRAFFIC_POLICY_DOCUMENT_MAX_CHARS) {
    return [
      `Document is ${text.length} characters long; the maximum is ${TRAFFIC_POLICY_DOCUMENT_MAX_CHARS} characters`,
    ];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [`Document is not valid JSON: ${error instanceof Error ? error.message : String(error)}`];
  }
  if (!isObject(parsed)) return ['Document must be a JSON object'];

  const problems: string[] = [];
  const doc = parsed;

  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_FIELDS.includes(key)) {
      problems.push(
        `Unknown top-level field ${quote(key)}; allowed fields are ${TOP_LEVEL_FIELDS.join(', ')}`,
      );
    }
  }

  const versions: readonly string[] = TRAFFIC_POLICY_FORMAT_VERSIONS;
  if (doc.AWSPolicyFormatVersion === undefined) {
    problems.push(`AWSPolicyFormatVersion is required (${versions.map(quote).join(' or ')})`);
  } else if (
    typeof doc.AWSPolicyFormatVersion !== 'string' ||
    !versions.includes(doc.AWSPolicyFormatVersion)
  ) {
    problems.push(
      `AWSPolicyFormatVersion ${quote(doc.AWSPolicyFormatVersion)} is not supported; use ${versions.map(quote).join(' or ')}`,
    );
  }

  const recordTypes: readonly string[] = TRAFFIC_POLICY_RECORD_TYPES;
  const recordType = typeof doc.RecordType === 'string' ? doc.RecordType : undefined;
  if (doc.RecordType === undefined) {
    problems.push('RecordType is required');
  } else if (recordType === undefined || !recordTypes.includes(recordType)) {
    problems.push(
      `RecordType ${quote(doc.RecordType)} is not supported; use one of ${recordTypes.join(', ')}`,
    );
  }

  const endpoints = checkEndpoints(doc.Endpoints, recordType, problems);
  const rules = isObject(doc.Rules) ? doc.Rules : {};
  if (doc.Rules !== undefined && !isObject(doc.Rules))
    problems.push('Rules must be an object of rule id → rule');

  const hasStartRule = doc.StartRule !== undefined;
  const hasStartEndpoint = doc.StartEndpoint !== undefined;
  if (hasStartRule && hasStartEndpoint) {
    problems.push('Specify exactly one of StartRule or StartEndpoint, not both');
  } else if (!hasStartRule && !hasStartEndpoint) {
    problems.push('Specify exactly one of StartRule or StartEndpoint');
  }
  if (hasStartRule) {
    if (!isNonEmptyString(doc.StartRule)) problems.push('StartRule must be a rule id (a non-empty string)');
    else if (!Object.hasOwn(rules, doc.StartRule))
      problems.push(`StartRule ${quote(doc.StartRule)} does not match any rule in Rules`);
  }
  if (hasStartEndpoint) {
    if (!isNonEmptyString(doc.StartEndpoint))
      problems.push('StartEndpoint must be an endpoint id (a non-empty string)');
    else if (!Object.hasOwn(endpoints, doc.StartEndpoint)) {
      problems.push(`StartEndpoint ${quote(doc.StartEndpoint)} does not match any endpoint in Endpoints`);
    }
  }

  const edges = new Map<string, string[]>();
  for (const [ruleId, rule] of Object.entries(rules)) {
    edges.set(ruleId, checkRule(`Rules.${ruleId}`, ruleId, rule, endpoints, rules, problems));
  }
  const cycle = findCycle(edges);
  if (cycle) problems.push(`Rules must not form a cycle: ${cycle.join(' → ')}`);

  return problems;
}

function checkEndpoints(value: unknown, recordType: string | undefined, problems: string[]): JsonObject {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push('Endpoints must be an object of endpoint id → endpoint');
    return {};
  }
  const endpointTypes: readonly string[] = TRAFFIC_POLICY_ENDPOINT_TYPES;
  for (const [id, endpoint] of Object.entries(value)) {
    const path = `Endpoints.${id}`;
    if (!isObject(endpoint)) {
      problems.push(`${path} must be an object with Type and Value`);
      continue;
    }
    for (const key of Object.keys(endpoint)) {
      if (!ENDPOINT_FIELDS.includes(key)) problems.push(`${path} has unknown field ${quote(key)}`);
    }
    const type = endpoint.Type;
    if (type === undefined) {
      problems.push(`${path}.Type is required`);
    } else if (typeof type !== 'string' || !endpointTypes.includes(type)) {
      problems.push(`${path}.Type ${quote(type)} is not valid; use one of ${endpointTypes.join(', ')}`);
    }
    if (!isNonEmptyString(endpoint.Value)) {
      problems.push(`${path}.Value is required (a non-empty string)`);
    } else if (type === 'value') {
      checkEndpointValue(path, endpoint.Value, recordType, problems);
    }
    if (type === 's3-website') {
      if (!isNonEmptyString(endpoint.Region))
        problems.push(`${path}.Region is required for s3-website endpoints`);
      else if (!AWS_REGION.test(endpoint.Region))
        problems.push(`${path}.Region ${quote(endpoint.Region)} is not a region`);
    } else if (endpoint.Region !== undefined) {
      problems.push(`${path}.Region is only allowed for s3-website endpoints`);
    }
  }
  return value;
}

function checkEndpointValue(
  path: string,
  value: string,
  recordType: string | undefined,
  problems: string[],
): void {
  if (recordType === 'A' && !isIPv4(value)) {
    problems.push(`${path}.Value ${quote(value)} is not an IPv4 address, which RecordType A needs`);
  } else if (recordType === 'AAAA' && !isIPv6(value)) {
    problems.push(`${path}.Value ${quote(value)} is not an IPv6 address, which RecordType AAAA needs`);
  } else if (recordType === 'CNAME' && !HOSTNAME.test(value)) {
    problems.push(`${path}.Value ${quote(value)} is not a domain name, which RecordType CNAME needs`);
  }
}

/** Checks one rule and returns the ids of the rules it refers to (for the cycle check). */
function checkRule(
  path: string,
  ruleId: string,
  rule: unknown,
  endpoints: JsonObject,
  rules: JsonObject,
  problems: string[],
): string[] {
  if (!isObject(rule)) {
    problems.push(`${path} must be an object with a RuleType`);
    return [];
  }
  const ruleTypes: readonly string[] = TRAFFIC_POLICY_RULE_TYPES;
  const ruleType = rule.RuleType;
  if (ruleType === undefined) {
    problems.push(`${path}.RuleType is required`);
    return [];
  }
  if (typeof ruleType !== 'string' || !ruleTypes.includes(ruleType)) {
    problems.push(`${path}.RuleType ${quote(ruleType)} is not valid; use one of ${ruleTypes.join(', ')}`);
    return [];
  }
  const shape = RULE_SHAPES[ruleType as TrafficPolicyRuleType];
  const allowed = ['RuleType', ...(shape.pair ? ['Primary', 'Secondary'] : [shape.list ?? ''])];
  for (const key of Object.keys(rule)) {
    if (!allowed.includes(key))
      problems.push(`${path} has field ${quote(key)}, which a ${ruleType} rule does not take`);
  }

  const references: string[] = [];
  const target = (entryPath: string, entry: unknown, extraFields: string[]): JsonObject | undefined => {
    if (!isObject(entry)) {
      problems.push(`${entryPath} must be an object`);
      return undefined;
    }
    const ruleRef = checkTarget(entryPath, ruleId, ruleType, entry, extraFields, endpoints, rules, problems);
    if (ruleRef) references.push(ruleRef);
    return entry;
  };

  if (shape.pair) {
    for (const side of ['Primary', 'Secondary']) {
      if (rule[side] === undefined) problems.push(`${path}.${side} is required for a failover rule`);
      else target(`${path}.${side}`, rule[side], shape.entryFields);
    }
    return references;
  }

  const listName = shape.list ?? 'Items';
  const list = rule[listName];
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`${path}.${listName} is required for a ${ruleType} rule (a non-empty array)`);
    return references;
  }
  list.forEach((entry, index) => {
    const entryPath = `${path}.${listName}[${index}]`;
    const item = target(entryPath, entry, shape.entryFields);
    if (item) checkRuleSpecificFields(entryPath, ruleType as TrafficPolicyRuleType, item, problems);
  });
  return references;
}

/** Checks EndpointReference/RuleReference (exactly one, and it resolves) and the health fields. */
function checkTarget(
  path: string,
  ruleId: string,
  ruleType: string,
  entry: JsonObject,
  extraFields: string[],
  endpoints: JsonObject,
  rules: JsonObject,
  problems: string[],
): string | undefined {
  for (const key of Object.keys(entry)) {
    if (!TARGET_FIELDS.includes(key) && !extraFields.includes(key)) {
      problems.push(`${path} has unknown field ${quote(key)}`);
    }
  }
  const { EndpointReference: endpointRef, RuleReference: ruleRef } = entry;
  let referencedRule: string | undefined;
  if (endpointRef !== undefined && ruleRef !== undefined) {
    problems.push(`${path} must have exactly one of EndpointReference or RuleReference, not both`);
  } else if (endpointRef === undefined && ruleRef === undefined) {
    problems.push(`${path} must have exactly one of EndpointReference or RuleReference`);
  } else if (endpointRef !== undefined) {
    if (!isNonEmptyString(endpointRef) || !Object.hasOwn(endpoints, endpointRef)) {
      problems.push(
        `${path}.EndpointReference ${quote(endpointRef)} does not match any endpoint in Endpoints`,
      );
    }
  } else if (ruleType === 'multivalue') {
    problems.push(`${path} of a multivalue rule must use EndpointReference; RuleReference is not allowed`);
  } else if (!isNonEmptyString(ruleRef) || !Object.hasOwn(rules, ruleRef)) {
    problems.push(`${path}.RuleReference ${quote(ruleRef)} does not match any rule in Rules`);
  } else if (ruleRef === ruleId) {
    problems.push(`${path}.RuleReference ${quote(ruleRef)} refers to the rule itself`);
  } else {
    referencedRule = ruleRef;
  }
  // A JSON boolean: Route 53 rejects "true"/"false" given as strings here (unlike Weight).
  const evaluate = entry.EvaluateTargetHealth;
  if (evaluate !== undefined && typeof evaluate !== 'boolean') {
    problems.push(`${path}.EvaluateTargetHealth must be true or false (got ${quote(evaluate)})`);
  }
  if (entry.HealthCheck !== undefined && !isNonEmptyString(entry.HealthCheck)) {
    problems.push(`${path}.HealthCheck must be a health check id (a non-empty string)`);
  }
  return referencedRule;
}

function checkRuleSpecificFields(
  path: string,
  ruleType: TrafficPolicyRuleType,
  item: JsonObject,
  problems: string[],
) {
  switch (ruleType) {
    case 'weighted':
      if (item.Weight === undefined) problems.push(`${path}.Weight is required for a weighted rule item`);
      else if (parseWeight(item.Weight) === undefined) {
        problems.push(`${path}.Weight must be an integer from 0 to 255 (got ${quote(item.Weight)})`);
      }
      return;
    case 'latency':
      if (!isNonEmptyString(item.Region) || !AWS_REGION.test(item.Region)) {
        problems.push(`${path}.Region must be an AWS region (got ${quote(item.Region)})`);
      }
      return;
    case 'geo':
      if (item.IsDefault !== undefined && typeof item.IsDefault !== 'boolean') {
        problems.push(`${path}.IsDefault must be true or false (got ${quote(item.IsDefault)})`);
      }
      if (item.IsDefault !== true && item.Continent === undefined && item.Country === undefined) {
        problems.push(`${path} needs Continent, Country, or IsDefault: true`);
      }
      if (item.Continent !== undefined && !CONTINENTS.includes(item.Continent as string)) {
        problems.push(
          `${path}.Continent ${quote(item.Continent)} is not a continent code (one of ${CONTINENTS.join(', ')})`,
        );
      }
      if (item.Country !== undefined && !(typeof item.Country === 'string' && COUNTRY.test(item.Country))) {
        problems.push(`${path}.Country ${quote(item.Country)} is not a two-letter country code (ISO 3166-1)`);
      }
      if (item.Subdivision !== undefined && item.Country === undefined) {
        problems.push(`${path}.Subdivision needs Country`);
      } else if (
        item.Subdivision !== undefined &&
        !(typeof item.Subdivision === 'string' && SUBDIVISION.test(item.Subdivision))
      ) {
        problems.push(`${path}.Subdivision ${quote(item.Subdivision)} is not a subdivision code`);
      }
      return;
    case 'geoproximity': {
      const hasCoordinates = item.Latitude !== undefined || item.Longitude !== undefined;
      if (item.Region === undefined && !hasCoordinates) {
        problems.push(`${path} needs Region, or Latitude and Longitude`);
      } else if (item.Region !== undefined && hasCoordinates) {
        problems.push(`${path} must have either Region or Latitude and Longitude, not both`);
      } else if (hasCoordinates && (item.Latitude === undefined || item.Longitude === undefined)) {
        problems.push(`${path} needs both Latitude and Longitude`);
      }
      if (item.Bias !== undefined) {
        const bias = Number(item.Bias);
        if (!Number.isInteger(bias) || bias < -99 || bias > 99) {
          problems.push(`${path}.Bias must be an integer from -99 to 99 (got ${quote(item.Bias)})`);
        }
      }
      return;
    }
    default:
      return;
  }
}

function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every `HealthCheck` id the document's rules refer to, with its path. Assumes a parsable document. */
export function healthCheckReferences(text: string): Array<{ path: string; id: string }> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  if (!isObject(doc) || !isObject(doc.Rules)) return [];
  const found: Array<{ path: string; id: string }> = [];
  for (const [ruleId, rule] of Object.entries(doc.Rules)) {
    if (!isObject(rule)) continue;
    for (const [field, value] of Object.entries(rule)) {
      const entries: Array<[string, unknown]> = Array.isArray(value)
        ? value.map((entry, index) => [`Rules.${ruleId}.${field}[${index}]`, entry])
        : [[`Rules.${ruleId}.${field}`, value]];
      for (const [path, entry] of entries) {
        if (isObject(entry) && isNonEmptyString(entry.HealthCheck)) {
          found.push({ path: `${path}.HealthCheck`, id: entry.HealthCheck });
        }
      }
    }
  }
  return found;
}

/** The DNS type a valid document creates records of. */
export function documentRecordType(text: string): string {
  const doc = JSON.parse(text) as TrafficPolicyDocument;
  return doc.RecordType;
}
