import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadTokenFile } from '../../src/api-server/authn.js'
import { Authorizer } from '../../src/api-server/authz.js'

const node = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] }
const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

describe('token file', () => {
  it('loads tokens with their users and groups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h4-tok-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'tokens.json'), JSON.stringify({ tokens: [{ token: 'abcdefghijklmnop', user: 'u', groups: ['g'] }] }))
    expect((await loadTokenFile(join(dir, 'tokens.json'))).get('abcdefghijklmnop')).toEqual({ name: 'u', groups: ['g'] })
  })

  it('rejects unknown keys and short tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h4-tok-'))
    dirs.push(dir)
    writeFileSync(join(dir, 't.json'), JSON.stringify({ tokens: [{ token: 'short', user: 'u', extra: 1 }] }))
    await expect(loadTokenFile(join(dir, 't.json'))).rejects.toThrow(/invalid token file/)
  })
})

describe('node authorization', () => {
  const authz = new Authorizer({ getPod: async (_ns, name) => ({ metadata: { name }, spec: { nodeName: name === 'mine' ? 'n1' : 'n2' } }) })

  it('allows a node its own lease in kube-node-lease and nothing else there', async () => {
    expect(await authz.allowed(node, { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'n1' })).toBe(true)
    expect(await authz.allowed(node, { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'n2' })).toBe(false)
  })

  it('allows pod status writes only for pods bound to the node', async () => {
    expect(await authz.allowed(node, { verb: 'patch', group: '', resource: 'pods', subresource: 'status', namespace: 'd', name: 'mine' })).toBe(true)
    expect(await authz.allowed(node, { verb: 'patch', group: '', resource: 'pods', subresource: 'status', namespace: 'd', name: 'theirs' })).toBe(false)
    expect(await authz.allowed(node, { verb: 'update', group: '', resource: 'pods', namespace: 'd', name: 'mine' })).toBe(false)
  })

  it('lets a node create events but not read secrets in other groups', async () => {
    expect(await authz.allowed(node, { verb: 'create', group: '', resource: 'events', namespace: 'd' })).toBe(true)
    expect(await authz.allowed(node, { verb: 'list', group: 'apps', resource: 'deployments' })).toBe(false)
  })

  it('does not let a node read Secrets, while other core reads stay allowed', async () => {
    expect(await authz.allowed(node, { verb: 'list', group: '', resource: 'secrets' })).toBe(false)
    expect(await authz.allowed(node, { verb: 'get', group: '', resource: 'secrets', namespace: 'd', name: 's' })).toBe(false)
    expect(await authz.allowed(node, { verb: 'watch', group: '', resource: 'configmaps', namespace: 'd' })).toBe(true)
  })

  it('does not let a node exec, attach, port-forward or read logs in any pod, its own included', async () => {
    for (const subresource of ['exec', 'attach', 'portforward']) {
      for (const verb of ['create', 'get'] as const) {
        expect(await authz.allowed(node, { verb, group: '', resource: 'pods', subresource, namespace: 'd', name: 'mine' })).toBe(false)
      }
    }
    expect(await authz.allowed(node, { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'd', name: 'mine' })).toBe(false)
    expect(await authz.allowed(node, { verb: 'get', group: '', resource: 'pods', namespace: 'd', name: 'mine' })).toBe(true)
  })

  it('lets an admin create pods/exec and pods/portforward', async () => {
    const admin = { name: 'admin', groups: ['system:masters'] }
    expect(await authz.allowed(admin, { verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace: 'd', name: 'mine' })).toBe(true)
    expect(await authz.allowed(admin, { verb: 'create', group: '', resource: 'pods', subresource: 'portforward', namespace: 'd', name: 'mine' })).toBe(true)
  })

  it('explains a denial in a Forbidden Status message', async () => {
    await expect(authz.authorize({ name: 'bob', groups: [] }, { verb: 'get', group: '', resource: 'secrets', namespace: 'd', name: 's' }))
      .rejects.toMatchObject({ reason: 'Forbidden', httpStatus: 403, message: 'secrets "s" is forbidden: User "bob" cannot get resource "secrets" in API group "" in the namespace "d"' })
  })
})
