import type { KubeObject } from '@edgemesh/common'
import type { ResourceDefinition } from '@edgemesh/kube/machinery'
import { NONE, arr, cause, col, ensureRec, rec, str, DNS1123_LABEL } from './util.js'

const ROLE_PREFIX = 'node-role.kubernetes.io/'

/** Ready / NotReady (from the Ready condition), plus SchedulingDisabled when cordoned. */
export function nodeStatus (node: KubeObject): string {
  const ready = arr(rec(node.status).conditions).map(rec).find(c => c.type === 'Ready')
  const parts = [ready?.status === 'True' ? 'Ready' : (ready === undefined ? 'Unknown' : 'NotReady')]
  if (rec(node.spec).unschedulable === true) parts.push('SchedulingDisabled')
  return parts.join(',')
}

export function nodeRoles (node: KubeObject): string {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length))
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v)
  }
  return roles.size === 0 ? NONE : [...roles].sort().join(',')
}

export function nodeCells (node: KubeObject): unknown[] {
  const st = rec(node.status)
  const info = rec(st.nodeInfo)
  const internal = arr(st.addresses).map(rec).find(a => a.type === 'InternalIP')
  const external = arr(st.addresses).map(rec).find(a => a.type === 'ExternalIP')
  return [
    nodeStatus(node),
    nodeRoles(node),
    str(info.kubeletVersion) ?? '',
    str(internal?.address) ?? NONE,
    str(external?.address) ?? NONE,
    str(info.osImage) ?? '<unknown>',
    str(info.kernelVersion) ?? '<unknown>',
    str(info.containerRuntimeVersion) ?? '<unknown>'
  ]
}

export function nodesResource (): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    singular: 'node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
    columns: [
      col('Status', 'The status of the node.'),
      col('Roles', 'The roles of the node.'),
      col('Version', 'Kubelet version reported by the node.'),
      col('Internal-IP', 'The internal IP of the node.', 1),
      col('External-IP', 'The external IP of the node.', 1),
      col('OS-Image', 'OS image reported by the node.', 1),
      col('Kernel-Version', 'Kernel version reported by the node.', 1),
      col('Container-Runtime', 'Container runtime and version reported by the node.', 1)
    ],
    cells: obj => nodeCells(obj),
    fieldSelectors: {
      'spec.unschedulable': o => String(rec(o.spec).unschedulable === true)
    },
    prepareForCreate: obj => { ensureRec(obj as Record<string, unknown>, 'spec') },
    prepareForStatusUpdate: (obj, old) => { obj.spec = old.spec }
  }
}

export function namespacePhase (ns: KubeObject): string {
  if (ns.metadata.deletionTimestamp !== undefined) return 'Terminating'
  return str(rec(ns.status).phase) ?? 'Active'
}

/** Once the namespace controller dropped spec.finalizers 'kubernetes', the metadata mirror goes too. */
function releaseMirroredFinalizer (ns: KubeObject): void {
  const spec = arr(rec(ns.spec).finalizers).map(String)
  if (!spec.includes('kubernetes') && ns.metadata.finalizers !== undefined) {
    ns.metadata.finalizers = ns.metadata.finalizers.filter(f => f !== 'kubernetes')
  }
}

export function namespacesResource (): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    singular: 'namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    columns: [col('Status', 'The status of the namespace.')],
    cells: obj => [namespacePhase(obj)],
    fieldSelectors: { 'status.phase': o => namespacePhase(o) },
    prepareForCreate: obj => {
      const s = ensureRec(obj as Record<string, unknown>, 'spec')
      const fins = arr(s.finalizers).map(String)
      // The namespace controller removes 'kubernetes' once every object inside is gone.
      if (!fins.includes('kubernetes')) fins.push('kubernetes')
      s.finalizers = fins
      // The generic storage only waits for metadata finalizers; mirroring 'kubernetes' there makes a
      // delete leave the namespace Terminating until the namespace controller has emptied it.
      const meta = obj.metadata.finalizers ?? []
      if (fins.includes('kubernetes') && !meta.includes('kubernetes')) obj.metadata.finalizers = [...meta, 'kubernetes']
      obj.status = { phase: 'Active' }
      // kube-apiserver labels every namespace with its own name (namespace selectors rely on it).
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' }
    },
    prepareForUpdate: (obj, old) => {
      // spec.finalizers is the namespace controller's to clear, and only once deletion started.
      if (obj.metadata.deletionTimestamp === undefined) obj.spec = old.spec
      else releaseMirroredFinalizer(obj)
      obj.status = { ...rec(old.status), phase: namespacePhase(obj) }
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' }
    },
    prepareForStatusUpdate: (obj, old) => {
      if (obj.metadata.deletionTimestamp === undefined) obj.spec = old.spec
      if (obj.metadata.deletionTimestamp !== undefined) ensureRec(obj as Record<string, unknown>, 'status').phase = 'Terminating'
    },
    validate: obj => {
      const name = obj.metadata.name ?? ''
      if (!DNS1123_LABEL.test(name) || name.length > 63) return [cause('metadata.name', `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`)]
      return []
    }
  }
}
