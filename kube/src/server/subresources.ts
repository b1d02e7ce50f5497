import type { KubeObject } from '@edgemesh/common'
import { ApiError, badRequest } from '../machinery/errors.js'
import { formatLabelSelector } from '../machinery/selectors.js'
import { arr, ensureRec, num, rec, str } from '../machinery/values.js'

// The generic subresources every server with Deployments/ReplicaSets and Pods serves: the Scale view
// and pods/binding. Kind-specific strategies (defaults, validation, allocation) stay with the cloud.

/** autoscaling/v1 Scale, the body of `deployments/<name>/scale`. */
export interface Scale extends KubeObject {
  apiVersion: 'autoscaling/v1'
  kind: 'Scale'
  spec: { replicas: number }
  status: { replicas: number, selector?: string }
}

/** The Scale view of a Deployment or ReplicaSet. */
export function toScale (obj: KubeObject): Scale {
  const s = rec(obj.spec)
  const sel = formatLabelSelector(s.selector)
  const m = obj.metadata
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp
    },
    spec: { replicas: num(s.replicas) ?? 1 },
    status: { replicas: num(rec(obj.status).replicas) ?? 0, ...(sel !== '' ? { selector: sel } : {}) }
  }
}

/**
 * Applies a Scale to its workload: a copy with `spec.replicas` replaced. A resourceVersion on the
 * Scale becomes the object's, so the following update keeps optimistic concurrency. Throws 400 on a
 * malformed Scale.
 */
export function fromScale (obj: KubeObject, scale: unknown): KubeObject {
  const sc = rec(scale)
  const replicas = rec(sc.spec).replicas
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw badRequest(`Scale.spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`)
  }
  const out = structuredClone(obj)
  ensureRec(out as Record<string, unknown>, 'spec').replicas = replicas
  const rv = str(rec(sc.metadata).resourceVersion)
  if (rv !== undefined && rv !== '') out.metadata.resourceVersion = rv
  return out
}

/**
 * What `POST pods/<name>/binding` does: validates the Binding and returns the pod with
 * `spec.nodeName` set (and a PodScheduled=True condition). The caller stores it with the pod's
 * resourceVersion as precondition and answers 201 with a Success Status. A pod is bound once:
 * binding an already-bound or terminating pod is a 409 Conflict.
 */
export function applyBinding (pod: KubeObject, binding: unknown, now: Date = new Date()): KubeObject {
  const b = rec(binding)
  const target = rec(b.target)
  const node = str(target.name)
  const name = pod.metadata.name ?? ''
  if (node === undefined || node === '') throw badRequest('Binding.target.name: Required value')
  const kind = str(target.kind)
  if (kind !== undefined && kind !== '' && kind !== 'Node') throw badRequest(`Binding.target.kind: Unsupported value: "${kind}": supported values: "Node"`)
  const bname = str(rec(b.metadata).name)
  if (bname !== undefined && bname !== name) throw badRequest(`Binding.metadata.name: Invalid value: "${bname}": must match the pod name "${name}"`)
  const buid = str(rec(b.metadata).uid)
  if (buid !== undefined && pod.metadata.uid !== undefined && buid !== pod.metadata.uid) {
    throw new ApiError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": Precondition failed: UID in precondition: ${buid}, UID in object meta: ${pod.metadata.uid}`, { name, kind: 'pods' })
  }
  if (pod.metadata.deletionTimestamp !== undefined) {
    throw new ApiError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`, { name, kind: 'pods' })
  }
  const bound = str(rec(pod.spec).nodeName)
  if (bound !== undefined && bound !== '') {
    throw new ApiError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${bound}"`, { name, kind: 'pods' })
  }
  const out = structuredClone(pod)
  const s = ensureRec(out as Record<string, unknown>, 'spec')
  s.nodeName = node
  const annotations = rec(rec(b.metadata).annotations)
  if (Object.keys(annotations).length > 0) {
    out.metadata.annotations = { ...(out.metadata.annotations ?? {}), ...(annotations as Record<string, string>) }
  }
  const st = ensureRec(out as Record<string, unknown>, 'status')
  const conds = arr(st.conditions).map(rec).filter(c => c.type !== 'PodScheduled')
  conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now.toISOString().replace(/\.\d+Z$/, 'Z') })
  st.conditions = conds
  return out
}
