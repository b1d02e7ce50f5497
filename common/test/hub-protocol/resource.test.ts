import { describe, expect, it } from 'vitest'
import { cloudToEdgeResource, formatCloudResource, formatEdgeResource, isValidNodeName, parseCloudResource, parseEdgeResource } from '../../src/hub-protocol/index.js'

describe('hub resource strings', () => {
  it('formats and parses a namespaced cloud-side resource', () => {
    const s = formatCloudResource({ node: 'edge-1', namespace: 'default', kind: 'pod', name: 'web' })
    expect(s).toBe('node/edge-1/default/pod/web')
    expect(parseCloudResource(s)).toEqual({ node: 'edge-1', namespace: 'default', kind: 'pod', name: 'web' })
  })

  it('writes a cluster-scoped object with namespace null', () => {
    expect(formatEdgeResource({ namespace: null, kind: 'node', name: 'edge-1' })).toBe('null/node/edge-1')
    expect(parseEdgeResource('null/node/edge-1').namespace).toBeNull()
  })

  it('drops the node prefix on the edge side', () => {
    expect(cloudToEdgeResource('node/edge-1/kube-system/configmap/cfg', 'edge-1')).toBe('kube-system/configmap/cfg')
  })

  it('refuses a cloud resource addressed to another node', () => {
    expect(() => cloudToEdgeResource('node/edge-2/default/pod/web', 'edge-1')).toThrow(expect.objectContaining({ code: 'HUB_RESOURCE_INVALID' }))
  })

  it.each(['', 'default/pod', 'default/pod/web/extra', 'default//web', 'Default/pod/web', 'default/pod/../x', 'node/edge-1/default/pod'])('refuses the malformed resource %j', s => {
    expect(() => s.startsWith('node/') ? parseCloudResource(s) : parseEdgeResource(s)).toThrow(expect.objectContaining({ code: 'HUB_RESOURCE_INVALID' }))
  })

  it('accepts DNS-1123 node names only', () => {
    expect(isValidNodeName('edge-1.site-a')).toBe(true)
    expect(isValidNodeName('Edge_1')).toBe(false)
    expect(isValidNodeName('')).toBe(false)
  })
})
