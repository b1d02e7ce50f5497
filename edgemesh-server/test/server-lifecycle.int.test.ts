import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createEdgeMeshServer } from '../src/index.js'
import { makePki, serverConfig } from './helpers.js'
import type { Pki } from './helpers.js'

describe('edgemesh-server start/stop', () => {
  let pki: Pki

  beforeAll(async () => { pki = await makePki() })
  afterAll(async () => { await pki?.cleanup() })

  it('leaves nothing running when stop() is called while start() is still running', async () => {
    const server = createEdgeMeshServer(await serverConfig(pki, 'racing'))
    const starting = server.start()
    await server.stop()
    await starting
    try {
      expect(server.isStarted()).toBe(false)
      expect(server.httpPort).toBe(0)
    } finally {
      await server.stop()
    }
  })

  it('throws the typed SERVER_NOT_STARTED, not a plain Error, when the host is asked for before start', async () => {
    const server = createEdgeMeshServer(await serverConfig(pki, 'unstarted'))
    expect(() => server.peerId).toThrow(expect.objectContaining({ code: 'SERVER_NOT_STARTED', name: 'ServerError' }))
  })

  it('samples each gauge once per scrape after a restart', async () => {
    const server = createEdgeMeshServer(await serverConfig(pki, 'restarted'))
    try {
      await server.start()
      await server.stop()
      await server.start()
      // The registry returns the gauge already registered under a name: spy on the live ones.
      const names = ['edgemesh_server_authenticated_peers', 'edgemesh_server_connections', 'edgemesh_server_relay_reservations', 'edgemesh_server_rendezvous_registrations']
      const sets = names.map(name => vi.spyOn(server.metrics.gauge(name, { help: '' }), 'set'))
      await server.metrics.render()
      expect(sets.map(s => s.mock.calls.length)).toEqual([1, 1, 1, 1])
    } finally {
      await server.stop()
    }
  })
})
