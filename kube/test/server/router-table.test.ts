import { describe, expect, it } from 'vitest'
import { route } from '../../src/server/router.js'
import { humanDuration } from '../../src/server/table.js'
import { negotiate } from '../../src/server/http-util.js'

describe('router', () => {
  it('routes namespaced, cluster-scoped and namespace subresource paths', () => {
    expect(route('GET', '/api/v1/namespaces/default/pods/p1/status', false)).toMatchObject({ type: 'resource', verb: 'get', resource: 'pods', namespace: 'default', name: 'p1', subresource: 'status' })
    expect(route('GET', '/api/v1/namespaces/default', false)).toMatchObject({ resource: 'namespaces', name: 'default', namespace: undefined })
    expect(route('PUT', '/api/v1/namespaces/default/status', false)).toMatchObject({ verb: 'update', resource: 'namespaces', name: 'default', subresource: 'status' })
    expect(route('GET', '/apis/apps/v1/deployments', true)).toMatchObject({ verb: 'watch', group: 'apps', resource: 'deployments' })
    expect(route('GET', '/apis/apps/v1/watch/namespaces/x/deployments', false)).toMatchObject({ verb: 'watch', namespace: 'x' })
    expect(route('DELETE', '/api/v1/namespaces/x/configmaps', false)).toMatchObject({ verb: 'deletecollection' })
  })

  it('routes discovery paths', () => {
    expect(route('GET', '/api', false)).toEqual({ type: 'api-versions' })
    expect(route('GET', '/apis', false)).toEqual({ type: 'api-groups' })
    expect(route('GET', '/apis/apps', false)).toEqual({ type: 'api-group', group: 'apps' })
    expect(route('GET', '/apis/apps/v1', false)).toEqual({ type: 'api-resources', group: 'apps', version: 'v1' })
  })

  it('rejects traversal and encoded slashes in names', () => {
    for (const p of ['/api/v1/namespaces/../pods', '/api/v1/namespaces/a/pods/..', '/api/v1/namespaces/a/pods/x%2Fy', '/api/v1/namespaces/a/pods/%25']) {
      expect(() => route('GET', p, false), p).toThrow(expect.objectContaining({ reason: 'BadRequest' }))
    }
  })
})

describe('table ages', () => {
  it('formats durations the way kubectl does', () => {
    const s = 1000
    const m = 60 * s
    const h = 60 * m
    const d = 24 * h
    expect([5 * s, 119 * s, 3 * m + 20 * s, 10 * m, 179 * m, 3 * h, 7 * h + 5 * m, 47 * h, 2 * d + 4 * h, 3 * d, 400 * d, 800 * d + 20 * d].map(humanDuration))
      .toEqual(['5s', '119s', '3m20s', '10m', '179m', '3h', '7h5m', '47h', '2d4h', '3d', '400d', '2y90d'])
  })
})

describe('accept negotiation', () => {
  it('picks Table, aggregated discovery or JSON from kubectl accept headers', () => {
    expect(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json', { table: true })).toEqual({ kind: 'table', version: 'v1' })
    expect(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json')).toEqual({ kind: 'json' })
    expect(negotiate('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json', { aggregated: true })).toEqual({ kind: 'aggregated' })
    expect(negotiate('application/vnd.kubernetes.protobuf,application/json')).toEqual({ kind: 'json' })
    expect(() => negotiate('text/html')).toThrow(expect.objectContaining({ reason: 'NotAcceptable' }))
  })
})
