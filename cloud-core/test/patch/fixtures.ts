import type { GroupVersionKind } from '@edgemesh/common'
import type { PatchMeta, PatchSchema } from '@edgemesh/kube/machinery'

/** A hand-written PatchSchema with the real Kubernetes merge keys for the fields our tests touch. */
const POD_SPEC: Record<string, PatchMeta> = {
  containers: { mergeKey: 'name', strategy: 'merge', type: 'list' },
  initContainers: { mergeKey: 'name', strategy: 'merge', type: 'list' },
  'containers.ports': { mergeKey: 'containerPort', strategy: 'merge', type: 'list' },
  'containers.env': { mergeKey: 'name', strategy: 'merge', type: 'list' },
  'containers.volumeMounts': { mergeKey: 'mountPath', strategy: 'merge', type: 'list' },
  'initContainers.env': { mergeKey: 'name', strategy: 'merge', type: 'list' },
  volumes: { mergeKey: 'name', strategy: 'merge,retainKeys', type: 'list' },
  imagePullSecrets: { mergeKey: 'name', strategy: 'merge', type: 'list' },
  'containers.args': { type: 'list' },
  tolerations: { type: 'list' }
}

const TOP: Record<string, PatchMeta> = {
  'metadata.finalizers': { strategy: 'merge', type: 'list' },
  'metadata.ownerReferences': { mergeKey: 'uid', strategy: 'merge', type: 'list' },
  'status.conditions': { mergeKey: 'type', strategy: 'merge', type: 'list' },
  'spec.strategy': { strategy: 'retainKeys', type: 'object' }
}

export const deploymentGvk: GroupVersionKind = { group: 'apps', version: 'v1', kind: 'Deployment' }
export const podGvk: GroupVersionKind = { group: '', version: 'v1', kind: 'Pod' }
export const crdGvk: GroupVersionKind = { group: 'devices.kubeedge.io', version: 'v1beta1', kind: 'Device' }

export const testSchema: PatchSchema = {
  lookup: (gvk, path) => {
    const joined = path.join('.')
    if (TOP[joined] !== undefined) return TOP[joined]
    if (gvk.kind === 'Deployment' && joined.startsWith('spec.template.spec.')) return POD_SPEC[joined.slice('spec.template.spec.'.length)]
    if (gvk.kind === 'Deployment' && joined.startsWith('spec.template.')) return TOP[joined.slice('spec.template.'.length)]
    if (gvk.kind === 'Pod' && joined.startsWith('spec.')) return POD_SPEC[joined.slice('spec.'.length)]
    return undefined
  },
  supportsStrategic: gvk => gvk.group !== 'devices.kubeedge.io'
}

export function deployment (): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a.example/f'], resourceVersion: '7' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] }
          ],
          tolerations: [{ key: 'edge', operator: 'Exists' }]
        }
      }
    }
  }
}
