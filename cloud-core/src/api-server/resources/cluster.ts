import type { KubeObject } from '@edgemesh/common'
import { namespacePhase, namespacesInfo, nodesInfo } from '@edgemesh/kube/server'
import type { ResourceDefinition } from '@edgemesh/kube/machinery'
import { arr, cause, ensureRec, rec, DNS1123_LABEL } from './util.js'

export function nodesResource (): ResourceDefinition {
  return {
    ...nodesInfo(),
    prepareForCreate: obj => { ensureRec(obj as Record<string, unknown>, 'spec') },
    prepareForStatusUpdate: (obj, old) => { obj.spec = old.spec }
  }
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
    ...namespacesInfo(),
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
