import type { KubeObject } from '@edgemesh/common'
import { isEmptySelector, matchesSelector, type FieldCause, type ResourceDefinition } from '@edgemesh/kube/machinery'
import { defaultPodSpec, validatePodSpec } from './pods.js'
import { cause, col, containersOf, ensureRec, formatMap, isRec, jsonEqual, num, rec, selectorCell, str } from './util.js'

function images (obj: KubeObject): [string, string] {
  const cs = containersOf(rec(rec(obj.spec).template).spec)
  return [cs.map(c => str(c.name) ?? '').join(','), cs.map(c => str(c.image) ?? '').join(',')]
}

/** Selector required, non-empty, matching the template labels; immutable after create. */
export function validateWorkload (kind: string, obj: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes: FieldCause[] = []
  const s = rec(obj.spec)
  if (!isRec(s.selector)) causes.push(cause('spec.selector', 'Required value', 'FieldValueRequired'))
  else if (isEmptySelector(s.selector)) causes.push(cause('spec.selector', `Invalid value: empty selector is invalid for ${kind.toLowerCase()}`))
  const template = rec(s.template)
  const labels = rec(rec(template.metadata).labels) as Record<string, string>
  if (isRec(s.selector) && !isEmptySelector(s.selector) && !matchesSelector(s.selector, labels)) {
    causes.push(cause('spec.template.metadata.labels', `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``))
  }
  causes.push(...validatePodSpec(template.spec, 'spec.template.spec'))
  if (kind !== 'DaemonSet') {
    const r = s.replicas
    if (r !== undefined && (typeof r !== 'number' || !Number.isInteger(r) || r < 0)) causes.push(cause('spec.replicas', `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`))
  }
  if (kind === 'Deployment') {
    const strategy = str(rec(s.strategy).type)
    if (strategy !== undefined && strategy !== 'RollingUpdate' && strategy !== 'Recreate') causes.push(cause('spec.strategy.type', `Unsupported value: "${strategy}": supported values: "Recreate", "RollingUpdate"`, 'FieldValueNotSupported'))
    if (strategy === 'Recreate' && rec(s.strategy).rollingUpdate !== undefined) causes.push(cause('spec.strategy.rollingUpdate', 'Forbidden: may not be specified when strategy `type` is \'Recreate\'', 'FieldValueForbidden'))
  }
  if (template.spec !== undefined && str(rec(template.spec).restartPolicy) !== undefined && rec(template.spec).restartPolicy !== 'Always') {
    causes.push(cause('spec.template.spec.restartPolicy', `Unsupported value: "${String(rec(template.spec).restartPolicy)}": supported values: "Always"`, 'FieldValueNotSupported'))
  }
  if (old !== undefined && !jsonEqual(rec(old.spec).selector, s.selector)) {
    causes.push(cause('spec.selector', `Invalid value: ${JSON.stringify(s.selector)}: field is immutable`))
  }
  return causes
}

function defaultTemplate (obj: KubeObject): Record<string, unknown> {
  const s = ensureRec(obj as Record<string, unknown>, 'spec')
  const t = ensureRec(s, 'template')
  defaultPodSpec(ensureRec(t, 'spec'))
  return s
}

export function defaultDeployment (obj: KubeObject): void {
  const s = defaultTemplate(obj)
  s.replicas ??= 1
  s.revisionHistoryLimit ??= 10
  s.progressDeadlineSeconds ??= 600
  const strategy = ensureRec(s, 'strategy')
  strategy.type ??= 'RollingUpdate'
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureRec(strategy, 'rollingUpdate')
    ru.maxUnavailable ??= '25%'
    ru.maxSurge ??= '25%'
  }
}

export function defaultReplicaSet (obj: KubeObject): void {
  defaultTemplate(obj).replicas ??= 1
}

export function defaultDaemonSet (obj: KubeObject): void {
  const s = defaultTemplate(obj)
  s.revisionHistoryLimit ??= 10
  const strategy = ensureRec(s, 'updateStrategy')
  strategy.type ??= 'RollingUpdate'
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureRec(strategy, 'rollingUpdate')
    ru.maxUnavailable ??= 1
    ru.maxSurge ??= 0
  }
}

const keepStatus = (obj: KubeObject, old: KubeObject): void => { obj.status = old.status }
const keepSpec = (obj: KubeObject, old: KubeObject): void => { obj.spec = old.spec }

function workload (init: Omit<ResourceDefinition, 'group' | 'version' | 'namespaced' | 'categories' | 'hasGeneration' | 'prepareForUpdate' | 'prepareForStatusUpdate' | 'validate'>, defaults: (o: KubeObject) => void): ResourceDefinition {
  return {
    group: 'apps',
    version: 'v1',
    namespaced: true,
    categories: ['all'],
    hasGeneration: true,
    ...init,
    prepareForCreate: obj => { defaults(obj); obj.status = {} },
    prepareForUpdate: (obj, old) => { defaults(obj); keepStatus(obj, old) },
    prepareForStatusUpdate: keepSpec,
    validate: (obj, old) => validateWorkload(init.kind, obj, old)
  }
}

const wideColumns = [
  col('Containers', 'Names of each container in the template.', 1),
  col('Images', 'Images referenced by each container in the template.', 1),
  col('Selector', 'Label selector for pods.', 1)
]

const n = (v: unknown): number => num(v) ?? 0

export function deploymentCells (obj: KubeObject): unknown[] {
  const s = rec(obj.spec); const st = rec(obj.status)
  return [`${n(st.readyReplicas)}/${num(s.replicas) ?? 1}`, n(st.updatedReplicas), n(st.availableReplicas), ...images(obj), selectorCell(s.selector)]
}

export function replicaSetCells (obj: KubeObject): unknown[] {
  const s = rec(obj.spec); const st = rec(obj.status)
  return [num(s.replicas) ?? 1, n(st.replicas), n(st.readyReplicas), ...images(obj), selectorCell(s.selector)]
}

export function daemonSetCells (obj: KubeObject): unknown[] {
  const s = rec(obj.spec); const st = rec(obj.status)
  return [n(st.desiredNumberScheduled), n(st.currentNumberScheduled), n(st.numberReady), n(st.updatedNumberScheduled), n(st.numberAvailable),
    formatMap(rec(rec(s.template).spec).nodeSelector), ...images(obj), selectorCell(s.selector)]
}

export function deploymentsResource (): ResourceDefinition {
  return workload({
    resource: 'deployments',
    kind: 'Deployment',
    singular: 'deployment',
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    columns: [
      col('Ready', 'Number of the pod with ready state.'),
      col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', 0, 'integer'),
      col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', 0, 'integer'),
      ...wideColumns
    ],
    cells: deploymentCells
  }, defaultDeployment)
}

export function replicaSetsResource (): ResourceDefinition {
  return workload({
    resource: 'replicasets',
    kind: 'ReplicaSet',
    singular: 'replicaset',
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    columns: [
      col('Desired', 'Number of desired pods.', 0, 'integer'),
      col('Current', 'Number of actually running pods.', 0, 'integer'),
      col('Ready', 'Number of pods that are ready.', 0, 'integer'),
      ...wideColumns
    ],
    cells: replicaSetCells
  }, defaultReplicaSet)
}

export function daemonSetsResource (): ResourceDefinition {
  return workload({
    resource: 'daemonsets',
    kind: 'DaemonSet',
    singular: 'daemonset',
    shortNames: ['ds'],
    subresources: ['status'],
    columns: [
      col('Desired', 'The number of nodes that should be running the daemon pod.', 0, 'integer'),
      col('Current', 'The number of nodes running at least one daemon pod.', 0, 'integer'),
      col('Ready', 'The number of nodes with a ready daemon pod.', 0, 'integer'),
      col('Up-to-date', 'The number of nodes running the updated daemon pod spec.', 0, 'integer'),
      col('Available', 'The number of nodes with an available daemon pod.', 0, 'integer'),
      col('Node Selector', 'The node selector of the pod template.'),
      ...wideColumns
    ],
    cells: daemonSetCells
  }, defaultDaemonSet)
}
