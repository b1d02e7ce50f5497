import { expect, it } from 'vitest'
import { testCore } from './helpers/core.js'
import { caller, makePki, startServer, watchLines } from './helpers/https.js'

it('ends open watch streams on stop() and can be stopped twice', async () => {
  const pki = await makePki()
  const core = await testCore()
  const server = await startServer(core, pki)
  try {
    let opened = false
    const watch = watchLines(server.port, pki, '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0', 100, { onOpen: () => { opened = true } })
    while (!opened) await new Promise(resolve => setTimeout(resolve, 10))
    expect(server.metrics.activeWatchers).toBe(1)
    await server.stop()
    await server.stop()
    expect((await watch).events).toEqual([])
    await expect(caller(server.port, pki, { cert: pki.admin })('GET', '/healthz')).rejects.toThrow()
  } finally {
    await server.stop()
    await core.close()
  }
})
