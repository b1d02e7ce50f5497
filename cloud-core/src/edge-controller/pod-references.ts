import type { Pod } from '@edgemesh/kube/machinery'

/** The ConfigMaps and Secrets a pod uses (volumes, projected volumes, env, envFrom), by name in its namespace. */
export function podReferences (pod: Pod): { configMaps: Set<string>, secrets: Set<string> } {
  const configMaps = new Set<string>()
  const secrets = new Set<string>()
  const spec = pod.spec
  if (spec === undefined) return { configMaps, secrets }
  for (const v of spec.volumes ?? []) {
    if (v.configMap?.name !== undefined) configMaps.add(v.configMap.name)
    if (v.secret?.secretName !== undefined) secrets.add(v.secret.secretName)
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name !== undefined) configMaps.add(s.configMap.name)
      if (s.secret?.name !== undefined) secrets.add(s.secret.name)
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name !== undefined) configMaps.add(e.valueFrom.configMapKeyRef.name)
      if (e.valueFrom?.secretKeyRef?.name !== undefined) secrets.add(e.valueFrom.secretKeyRef.name)
    }
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef?.name !== undefined) configMaps.add(f.configMapRef.name)
      if (f.secretRef?.name !== undefined) secrets.add(f.secretRef.name)
    }
  }
  for (const s of spec.imagePullSecrets ?? []) if (s.name !== undefined) secrets.add(s.name)
  return { configMaps, secrets }
}
