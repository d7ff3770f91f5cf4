/**
 * TestDNSAnswer (`GET /2013-04-01/testdnsanswer`): what the hosted zone's name servers answer for
 * a name and type, computed by the sandbox DNS server's answerer from the records they serve now
 * (so a change still PENDING is not in the answer, and weighted records are a random pick per
 * call, as with the service). Only public hosted zones can be queried, as with the service.
 */
import { Answerer } from '../dns/answer.js';
import { servedRecordsOf } from '../dns/served.js';
import { Route53Error } from './errors.js';
import type { Route53Model } from './model.js';
import { bareId } from './names.js';
import { RR_TYPES } from './records.js';
import type { XmlElement } from './xml.js';

export function testDnsAnswer(
  model: Route53Model,
  query: URLSearchParams,
): { root: string; content: XmlElement } {
  const zoneId = required(query, 'hostedzoneid', 'HostedZoneId');
  const recordName = required(query, 'recordname', 'RecordName');
  const recordType = required(query, 'recordtype', 'RecordType');
  if (!RR_TYPES.includes(recordType)) {
    throw new Route53Error(
      'InvalidInput',
      `1 validation error detected: Value '${recordType}' at 'recordType' failed to satisfy constraint: Member must satisfy enum value set: [${RR_TYPES.join(', ')}]`,
    );
  }
  const zone = model.getHostedZone(bareId(zoneId));
  if (zone.HostedZone.Config.PrivateZone) {
    throw new Route53Error('InvalidInput', 'TestDNSAnswer only supports querying public hosted zones.');
  }
  const result = new Answerer(servedRecordsOf(model)).answer(recordName, recordType, {
    zoneId: bareId(zoneId),
  });
  return {
    root: 'TestDNSAnswerResponse',
    content: {
      Nameserver: zone.DelegationSet.NameServers[0] ?? '',
      RecordName: recordName,
      RecordType: recordType,
      RecordData: { RecordDataEntry: result.answers.map((a) => a.value) },
      ResponseCode: result.rcode,
      Protocol: 'UDP',
    },
  };
}

function required(query: URLSearchParams, name: string, member: string): string {
  const value = query.get(name);
  if (value === null || value === '') {
    throw new Route53Error(
      'InvalidInput',
      `1 validation error detected: Value null at '${member.charAt(0).toLowerCase()}${member.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}
