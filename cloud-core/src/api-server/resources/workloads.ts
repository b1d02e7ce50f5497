import type { KubeObject } from '@edgemesh/common'
import { isEmptySelector, matchesSelector, type FieldCause, type ResourceDefinition, type ResourceInfo } from '@edgemesh/kube/machinery'
import { daemonSetsInfo, deploymentsInfo, replicaSetsInfo } from '@edgemesh/kube/server'
import { defaultPodSpec, validatePodSpec } from './pods.js'
import { cause, ensureRec, isRec, jsonEqual, rec, str } from './util.js'

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

function workload (info: ResourceInfo, defaults: (o: KubeObject) => void): ResourceDefinition {
  return {
    ...info,
    prepareForCreate: obj => { defaults(obj); obj.status = {} },
    prepareForUpdate: (obj, old) => { defaults(obj); keepStatus(obj, old) },
    prepareForStatusUpdate: keepSpec,
    validate: (obj, old) => validateWorkload(info.kind, obj, old)
  }
}

export function deploymentsResource (): ResourceDefinition {
  return workload(deploymentsInfo(), defaultDeployment)
}

export function replicaSetsResource (): ResourceDefinition {
  return workload(replicaSetsInfo(), defaultReplicaSet)
}

export function daemonSetsResource (): ResourceDefinition {
  return workload(daemonSetsInfo(), defaultDaemonSet)
}
