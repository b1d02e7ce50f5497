import { describe, expect, it } from 'vitest'
import type { Pod } from '@edgemesh/kube/machinery'
import { podReferences } from '../../src/edge-controller/index.js'

describe('podReferences', () => {
  it('finds ConfigMaps and Secrets in volumes, projected volumes, env, envFrom, init containers and pull secrets', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns' },
      spec: {
        imagePullSecrets: [{ name: 'registry' }],
        volumes: [
          { name: 'a', configMap: { name: 'cm-vol' } },
          { name: 'b', secret: { secretName: 's-vol' } },
          { name: 'c', projected: { sources: [{ configMap: { name: 'cm-proj' } }, { secret: { name: 's-proj' } }] } },
          { name: 'd', emptyDir: {} }
        ],
        initContainers: [{ name: 'init', envFrom: [{ secretRef: { name: 's-init' } }] }],
        containers: [{
          name: 'c',
          env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } }, { name: 'B', valueFrom: { secretKeyRef: { name: 's-env', key: 'k' } } }, { name: 'C', value: 'plain' }],
          envFrom: [{ configMapRef: { name: 'cm-from' } }]
        }]
      }
    }
    const r = podReferences(pod)
    expect([...r.configMaps].sort()).toEqual(['cm-env', 'cm-from', 'cm-proj', 'cm-vol'])
    expect([...r.secrets].sort()).toEqual(['registry', 's-env', 's-init', 's-proj', 's-vol'])
  })

  it('finds nothing in a pod without spec or references', () => {
    expect(podReferences({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual({ configMaps: new Set(), secrets: new Set() })
  })
})
