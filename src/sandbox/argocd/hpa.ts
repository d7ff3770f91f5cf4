/**
 * The HorizontalPodAutoscaler controller of a sandbox cluster: the status it reports and the size
 * it asks of its target. There are no metrics in the sandbox, so the recommendation is the current
 * size clamped to the bounds; a target at 0 replicas disables scaling, as the real controller does
 * (which is why an HPA-managed Deployment stays at 0 in standby).
 */
import { isMap, type KubeObject } from '../../providers/kustomize/types.js';

type Map = Record<string, unknown>;

export interface ScaleTarget {
  kind: string;
  name: string;
}

export function scaleTargetOf(hpa: KubeObject): ScaleTarget {
  const hpaSpec = isMap(hpa.spec) ? hpa.spec : {};
  const ref = isMap(hpaSpec.scaleTargetRef) ? hpaSpec.scaleTargetRef : {};
  return { kind: String(ref.kind), name: String(ref.name) };
}

/**
 * The HPA's status (conditions without transition times) for a target running `current` replicas
 * (undefined: no such target), and the replicas it sets on the target (undefined: none).
 */
export function hpaStatus(
  hpa: KubeObject,
  ref: ScaleTarget,
  current: number | undefined,
): { status: Map; desired: number | undefined } {
  const hpaSpec = isMap(hpa.spec) ? hpa.spec : {};
  const min = typeof hpaSpec.minReplicas === 'number' ? hpaSpec.minReplicas : 1;
  const max = typeof hpaSpec.maxReplicas === 'number' ? hpaSpec.maxReplicas : min;
  if (current === undefined) {
    return {
      desired: undefined,
      status: {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [
          {
            type: 'AbleToScale',
            status: 'False',
            reason: 'FailedGetScale',
            message: `the HPA controller was unable to get the target's current scale: deployments/scale.apps "${ref.name}" not found`,
          },
        ],
      },
    };
  }
  if (current === 0) {
    return {
      desired: undefined,
      status: {
        desiredReplicas: 0,
        conditions: [
          {
            type: 'AbleToScale',
            status: 'True',
            reason: 'SucceededGetScale',
            message: "the HPA controller was able to get the target's current scale",
          },
          {
            type: 'ScalingActive',
            status: 'False',
            reason: 'ScalingDisabled',
            message: 'scaling is disabled since the replica count of the target is zero',
          },
        ],
      },
    };
  }
  const desired = Math.min(max, Math.max(min, current));
  return {
    desired,
    status: {
      currentReplicas: current,
      desiredReplicas: desired,
      conditions: [
        {
          type: 'AbleToScale',
          status: 'True',
          reason: desired !== current ? 'SucceededRescale' : 'ReadyForNewScale',
          message:
            desired !== current
              ? `the HPA controller was able to update the target scale to ${desired}`
              : 'recommended size matches current size',
        },
        {
          type: 'ScalingActive',
          status: 'True',
          reason: 'ValidMetricFound',
          message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization',
        },
        {
          type: 'ScalingLimited',
          status: current < min ? 'True' : 'False',
          reason: current < min ? 'TooFewReplicas' : 'DesiredWithinRange',
          message:
            current < min
              ? 'the desired replica count is less than the minimum replica count'
              : 'the desired count is within the acceptable range',
        },
      ],
    },
  };
}
