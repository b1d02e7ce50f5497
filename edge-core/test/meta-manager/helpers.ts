import type { KubeObject } from '@edgemesh/common'
import { createMessage, parseEdgeResource, type HubMessage, type ResourceRef } from '@edgemesh/common/hub-protocol'

/** A downstream message as the cloud-hub sends it, and the resource the edge-hub parsed from it. */
export function downstream (operation: 'insert' | 'update' | 'delete', resource: string, content: unknown): [HubMessage, ResourceRef] {
  return [createMessage({ operation, resource, content, resourceVersion: (content as KubeObject | null)?.metadata?.resourceVersion }), parseEdgeResource(resource)]
}

export const pod = (name: string, rv: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: rv, labels: { app: 'web' } },
  spec: { nodeName: 'edge-a', containers: [{ name: 'web', image: 'nginx' }] },
  status: { phase: 'Running', podIP: '10.244.1.5' },
  ...extra
})

export const podDelete = (name: string, rv: string): unknown => ({ metadata: { uid: `uid-${name}`, name, namespace: 'shop', resourceVersion: rv } })
