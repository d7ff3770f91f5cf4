/**
 * What runs in a rendered overlay. In standby every workload must be dormant: Deployments at 0
 * replicas, CronJobs suspended (the two kinds the write-up's patches cover), and nothing else that
 * starts pods: other workload kinds and autoscalers are flagged with how to cover them. Comparing
 * the standby render with the render without the standby entries tells what the toggle starts.
 */
import type { KubeObject } from '../../providers/kustomize/index.js';
import type { ObjectRef, StandbyFinding, StartingWorkload } from './types.js';

type Spec = Record<string, unknown>;

function specOf(object: KubeObject): Spec {
  const spec = object.spec;
  return typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as Spec) : {};
}

function groupOf(object: KubeObject): string {
  const slash = object.apiVersion.indexOf('/');
  return slash < 0 ? '' : object.apiVersion.slice(0, slash);
}

function replicasOf(object: KubeObject): number | undefined {
  const replicas = specOf(object).replicas;
  return typeof replicas === 'number' ? replicas : undefined;
}

function annotation(object: KubeObject, key: string): string | undefined {
  const value = object.metadata.annotations?.[key];
  return value === undefined ? undefined : String(value);
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

export function objectKey(object: KubeObject | ObjectRef): string {
  const ref = 'metadata' in object ? refOf(object) : object;
  return `${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}

/** Kinds that run pods and scale with spec.replicas (API default 1 when absent). */
const REPLICATED = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Rollout', 'DeploymentConfig']);
/** Kinds that run (or start runs) unless spec.suspend is true. */
const SUSPENDABLE = new Set(['CronJob', 'Job', 'CronWorkflow']);

/** How a workload kind behaves, or undefined for kinds that start no pods. */
type Dormancy = { dormant: boolean; running: string; idle: string };

/** Whether a workload is dormant, and how to describe its state; undefined for kinds that run nothing. */
export function dormancyOf(object: KubeObject): Dormancy | undefined {
  const spec = specOf(object);
  if (REPLICATED.has(object.kind)) {
    const replicas = replicasOf(object);
    return {
      dormant: replicas === 0,
      idle: '0 replicas',
      running:
        replicas === undefined
          ? '1 replica (API default: no spec.replicas)'
          : `${replicas} replica${replicas === 1 ? '' : 's'}`,
    };
  }
  if (SUSPENDABLE.has(object.kind)) {
    const schedule = typeof spec.schedule === 'string' ? `schedule "${spec.schedule}"` : 'runs';
    return { dormant: spec.suspend === true, idle: 'suspended', running: schedule };
  }
  if (object.kind === 'Pod' || object.kind === 'DaemonSet')
    return { dormant: false, idle: '', running: 'runs' };
  return undefined;
}

const STANDBY_PATCH = (kind: string, op: string) =>
  `add a standby patch for kind ${kind} next to the others (\`- op: add\` \`path: ${op}\`), or move it out of the AWS overlay`;

function paused(object: KubeObject): boolean {
  return (
    annotation(object, 'autoscaling.keda.sh/paused') === 'true' ||
    annotation(object, 'autoscaling.keda.sh/paused-replicas') === '0'
  );
}

/** The findings for one object of the standby render (`all` is the whole render, for autoscaler targets). */
function checkObject(object: KubeObject, all: ReadonlyMap<string, KubeObject>): StandbyFinding[] {
  const ref = refOf(object);
  const name = describeRef(ref);
  const spec = specOf(object);
  const group = groupOf(object);
  const finding = (
    rule: StandbyFinding['rule'],
    severity: StandbyFinding['severity'],
    message: string,
    fix: string,
  ) => [{ rule, severity, message, object: ref, fix } satisfies StandbyFinding];

  switch (object.kind) {
    case 'Deployment': {
      const replicas = replicasOf(object);
      if (replicas === 0) return [];
      return finding(
        'deployment-running',
        'error',
        replicas === undefined
          ? `${name} has no spec.replicas in standby: the API default of 1 applies, so it runs`
          : `${name} runs ${replicas} replica${replicas === 1 ? '' : 's'} in standby`,
        'the standby patch that sets /spec/replicas to 0 must select it (target kind Deployment); check its target and any later patch or `replicas:` field that sets the count',
      );
    }
    case 'CronJob':
      if (spec.suspend === true) return [];
      return finding(
        'cronjob-active',
        'error',
        `${name} is not suspended in standby: it would run on both clouds`,
        'the standby patch that sets /spec/suspend to true must select it (target kind CronJob)',
      );
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'DeploymentConfig':
    case 'Rollout': {
      if (object.kind === 'Rollout' && group !== 'argoproj.io') break;
      const replicas = replicasOf(object);
      if (replicas === 0) return [];
      return finding(
        'uncovered-kind',
        'error',
        `${name} runs ${replicas ?? '1 (API default)'} replica${replicas === 1 || replicas === undefined ? '' : 's'} in standby: the standby patches do not cover ${object.kind}`,
        STANDBY_PATCH(object.kind, '/spec/replicas` `value: 0'),
      );
    }
    case 'Job':
      if (spec.suspend === true) return [];
      return finding(
        'uncovered-kind',
        'error',
        `${name} runs as soon as Argo CD syncs the standby overlay: the standby patches do not cover Job`,
        STANDBY_PATCH('Job', '/spec/suspend` `value: true'),
      );
    case 'CronWorkflow':
      if (group !== 'argoproj.io' || spec.suspend === true) return [];
      return finding(
        'uncovered-kind',
        'error',
        `${name} (Argo Workflows) is not suspended in standby`,
        STANDBY_PATCH('CronWorkflow', '/spec/suspend` `value: true'),
      );
    case 'Pod':
      return finding(
        'uncovered-kind',
        'error',
        `${name} is a bare Pod: it runs in standby and nothing can scale it to 0`,
        'run it from a Deployment (covered by the standby patches), or move it out of the AWS overlay',
      );
    case 'DaemonSet':
      return finding(
        'daemonset',
        'warning',
        `${name} runs a pod on every node in standby: a DaemonSet cannot be scaled to 0`,
        'fine for node agents (logging, monitoring); for an application workload, patch it in standby with a nodeSelector no node matches, or move it out of the AWS overlay',
      );
    case 'HorizontalPodAutoscaler':
      return checkHpa(object, all);
    case 'ScaledObject':
      if (group !== 'keda.sh' || paused(object)) return [];
      return finding(
        'autoscaler',
        'error',
        `KEDA ${name} scales ${describeTarget(spec.scaleTargetRef, 'Deployment')} up from 0 when its triggers fire${typeof spec.minReplicaCount === 'number' && spec.minReplicaCount > 0 ? ` and holds it at minReplicaCount ${spec.minReplicaCount}` : ''}: the standby's replicas 0 does not hold`,
        'pause it in standby: a standby patch for kind ScaledObject that adds the annotation `autoscaling.keda.sh/paused-replicas: "0"`',
      );
    case 'ScaledJob':
      if (group !== 'keda.sh' || paused(object)) return [];
      return finding(
        'autoscaler',
        'error',
        `KEDA ${name} starts Jobs when its triggers fire, in standby too`,
        'pause it in standby: a standby patch for kind ScaledJob that adds the annotation `autoscaling.keda.sh/paused: "true"`',
      );
  }
  const replicas = replicasOf(object);
  if (group !== '' && replicas !== undefined && replicas > 0 && !REPLICATED.has(object.kind)) {
    return finding(
      'custom-replicas',
      'warning',
      `${name} (${object.apiVersion}) has spec.replicas ${replicas} in standby: its operator may start that many pods`,
      `if it runs pods, add a standby patch for kind ${object.kind} that sets its replicas to 0`,
    );
  }
  return [];
}

function describeTarget(ref: unknown, defaultKind: string): string {
  const target = (typeof ref === 'object' && ref !== null ? ref : {}) as Record<string, unknown>;
  return `${typeof target.kind === 'string' ? target.kind : defaultKind} ${typeof target.name === 'string' ? target.name : '(unnamed)'}`;
}

function hpaTarget(hpa: KubeObject, all: ReadonlyMap<string, KubeObject>): KubeObject | undefined {
  const ref = specOf(hpa).scaleTargetRef as Record<string, unknown> | undefined;
  if (!ref || typeof ref.kind !== 'string' || typeof ref.name !== 'string') return undefined;
  return all.get(objectKey({ kind: ref.kind, name: ref.name, namespace: hpa.metadata.namespace }));
}

/**
 * An HPA does nothing while its target has 0 replicas ("scaling is disabled"), so in standby it is
 * only a problem when its target is not dormant (reported on the target) or not in the overlay.
 */
function checkHpa(hpa: KubeObject, all: ReadonlyMap<string, KubeObject>): StandbyFinding[] {
  const spec = specOf(hpa);
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
  if (min === 0) return [];
  const target = hpaTarget(hpa, all);
  if (target) return [];
  return [
    {
      rule: 'autoscaler',
      severity: 'warning',
      message: `${describeRef(refOf(hpa))} (minReplicas ${min}) scales ${describeTarget(spec.scaleTargetRef, '?')}, which is not in this overlay: whether it stays dormant in standby cannot be told from here`,
      object: refOf(hpa),
      fix: 'make sure its target is kept at 0 replicas in standby wherever it is deployed (an HPA is inactive only while its target has 0 replicas)',
    },
  ];
}

export function indexObjects(objects: readonly KubeObject[]): Map<string, KubeObject> {
  return new Map(objects.map((o) => [objectKey(o), o]));
}

/** Every way the standby render is not dormant. */
export function checkStandbyRender(objects: readonly KubeObject[]): StandbyFinding[] {
  const all = indexObjects(objects);
  return objects.flatMap((object) => checkObject(object, all));
}

function hpasFor(target: KubeObject, objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((o) => {
    if (o.kind !== 'HorizontalPodAutoscaler' || o.metadata.namespace !== target.metadata.namespace)
      return false;
    const ref = specOf(o).scaleTargetRef as Record<string, unknown> | undefined;
    return ref?.kind === target.kind && ref?.name === target.metadata.name;
  });
}

export interface Activation {
  wouldStart: StartingWorkload[];
  findings: StandbyFinding[];
}

/**
 * What removing the standby entries changes: workloads that go from dormant to running, those that
 * stay dormant, and Deployments that lose spec.replicas (HPA-managed: they start from 1).
 */
export function compareRenders(standby: readonly KubeObject[], active: readonly KubeObject[]): Activation {
  const before = indexObjects(standby);
  const wouldStart: StartingWorkload[] = [];
  const findings: StandbyFinding[] = [];
  for (const object of active) {
    const now = dormancyOf(object);
    const previous = before.get(objectKey(object));
    const was = previous ? dormancyOf(previous) : undefined;
    if (!now || !was?.dormant) continue;
    const ref = refOf(object);
    if (now.dormant) {
      findings.push({
        rule: 'stays-dormant',
        severity: 'warning',
        message: `${describeRef(ref)} stays ${now.idle === 'suspended' ? 'suspended' : `at ${now.idle}`} after the standby entries are removed: something other than the standby entries keeps it dormant`,
        object: ref,
        fix: 'if it should run on AWS after a failover, find the patch or base field that sets it (or accept it as intended)',
      });
      continue;
    }
    wouldStart.push({ ...ref, from: was.idle, to: now.running });
    if (object.kind === 'Deployment' && replicasOf(object) === undefined) {
      const hpa = hpasFor(object, active)[0];
      const hpaSpec = hpa ? specOf(hpa) : {};
      const scaling = hpa
        ? `; HPA ${hpa.metadata.name} (minReplicas ${typeof hpaSpec.minReplicas === 'number' ? hpaSpec.minReplicas : 1}, maxReplicas ${String(hpaSpec.maxReplicas ?? '?')}) scales it from there once metrics arrive`
        : '; no HPA in the overlay targets it, so it stays at 1';
      findings.push({
        rule: 'hpa-managed-replicas',
        severity: 'warning',
        message: `${describeRef(ref)} has no spec.replicas once the standby entries are removed: it starts from the API default of 1 replica${scaling}. A traffic shift right after the workloads report ready may land on a single pod`,
        object: ref,
        fix: 'move traffic in stages (`--stages 10,50,100`) so the HPA can scale between them, or set spec.replicas in the base to the capacity the first minutes need (keep Argo CD ignoring /spec/replicas differences if the HPA owns it)',
      });
    }
  }
  return { wouldStart, findings };
}
