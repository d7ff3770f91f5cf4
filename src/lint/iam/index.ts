/** `failover iam-policy`: the permissions the runbooks need, derived from their step kinds and the config. */
export { AWS_ACTIONS, type AwsAction, GCP_PERMISSIONS, type GcpPermission } from './catalog.js';
export { type Need, type NeedContext, normalizeRecordName, STEP_NEEDS } from './needs.js';
export {
  buildIamPolicy,
  formatIamPolicy,
  type GcpPermissions,
  type IamPolicyReport,
  type PolicyDocument,
  type PolicyStatement,
  policyAllows,
} from './policy.js';
