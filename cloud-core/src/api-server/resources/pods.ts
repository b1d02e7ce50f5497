import { podsInfo } from '@edgemesh/kube/server'
import type { FieldCause, ResourceDefinition } from '@edgemesh/kube/machinery'
import { arr, cause, containersOf, ensureRec, rec, str, DNS1123_LABEL } from './util.js'

/** `Always` for `:latest` or untagged images, `IfNotPresent` for a tag or digest (the kubelet rule). */
export function defaultPullPolicy (image: string | undefined): string {
  if (image === undefined || image === '') return 'IfNotPresent'
  if (image.includes('@')) return 'IfNotPresent'
  const lastSlash = image.lastIndexOf('/')
  const colon = image.indexOf(':', lastSlash + 1)
  if (colon < 0) return 'Always'
  return image.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent'
}

function defaultContainer (c: Record<string, unknown>): void {
  c.terminationMessagePath ??= '/dev/termination-log'
  c.terminationMessagePolicy ??= 'File'
  c.imagePullPolicy ??= defaultPullPolicy(str(c.image))
  c.resources ??= {}
  for (const p of arr(c.ports)) rec(p).protocol ??= 'TCP'
}

/** Pod spec defaults; also applied to workload templates so a re-apply compares equal. */
export function defaultPodSpec (podSpec: Record<string, unknown>): void {
  podSpec.restartPolicy ??= 'Always'
  podSpec.dnsPolicy ??= 'ClusterFirst'
  podSpec.schedulerName ??= 'default-scheduler'
  podSpec.terminationGracePeriodSeconds ??= 30
  podSpec.securityContext ??= {}
  for (const c of [...containersOf(podSpec), ...arr(podSpec.initContainers).map(rec)]) defaultContainer(c)
}

export function validatePodSpec (podSpec: unknown, path: string): FieldCause[] {
  const causes: FieldCause[] = []
  const s = rec(podSpec)
  const containers = containersOf(s)
  if (containers.length === 0) causes.push(cause(`${path}.containers`, 'Required value', 'FieldValueRequired'))
  const names = new Set<string>()
  for (const [list, key] of [[containers, 'containers'], [arr(s.initContainers).map(rec), 'initContainers']] as const) {
    list.forEach((c, i) => {
      const name = str(c.name)
      if (name === undefined || name === '') causes.push(cause(`${path}.${key}[${i}].name`, 'Required value', 'FieldValueRequired'))
      else if (!DNS1123_LABEL.test(name)) causes.push(cause(`${path}.${key}[${i}].name`, `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`))
      else if (names.has(name)) causes.push(cause(`${path}.${key}[${i}].name`, `Duplicate value: "${name}"`, 'FieldValueDuplicate'))
      if (name !== undefined) names.add(name)
      if (str(c.image) === undefined || c.image === '') causes.push(cause(`${path}.${key}[${i}].image`, 'Required value', 'FieldValueRequired'))
    })
  }
  const rp = s.restartPolicy
  if (rp !== undefined && !['Always', 'OnFailure', 'Never'].includes(String(rp))) causes.push(cause(`${path}.restartPolicy`, `Unsupported value: "${String(rp)}": supported values: "Always", "OnFailure", "Never"`, 'FieldValueNotSupported'))
  return causes
}

/** Guaranteed when every container has equal cpu+memory requests and limits, BestEffort with none at all. */
export function qosClass (podSpec: Record<string, unknown>): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const cs = [...containersOf(podSpec), ...arr(podSpec.initContainers).map(rec)]
  let any = false
  let guaranteed = cs.length > 0
  for (const c of cs) {
    const r = rec(c.resources)
    const req = rec(r.requests); const lim = rec(r.limits)
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true
    for (const k of ['cpu', 'memory']) {
      const l = lim[k]
      if (l === undefined || (req[k] !== undefined && String(req[k]) !== String(l))) guaranteed = false
    }
  }
  if (!any) return 'BestEffort'
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

export function podsResource (): ResourceDefinition {
  return {
    ...podsInfo(),
    prepareForCreate: obj => {
      const s = ensureRec(obj as Record<string, unknown>, 'spec')
      defaultPodSpec(s)
      // Clients do not get to claim a status on create; the node reports it.
      obj.status = { phase: 'Pending', qosClass: qosClass(s) }
    },
    prepareForUpdate: (obj, old) => {
      defaultPodSpec(ensureRec(obj as Record<string, unknown>, 'spec'))
      obj.status = old.status
    },
    prepareForStatusUpdate: (obj, old) => { obj.spec = old.spec },
    validate: (obj, old) => {
      const causes = validatePodSpec(obj.spec, 'spec')
      if (old !== undefined) {
        const was = str(rec(old.spec).nodeName)
        const now = str(rec(obj.spec).nodeName)
        if (was !== undefined && was !== '' && now !== was) causes.push(cause('spec.nodeName', 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` or `spec.terminationGracePeriodSeconds`', 'FieldValueForbidden'))
      }
      return causes
    }
  }
}
