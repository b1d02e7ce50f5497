import { it } from 'vitest'
import { testCore, fakeValidator } from '../helpers/core.js'
import { caller, makePki, startServer } from '../helpers/https.js'
it('dbg', async () => {
  const pki = await makePki()
  const core = await testCore({ validator: fakeValidator })
  const server = await startServer(core, pki)
  const admin = caller(server.port, pki, { cert: pki.admin })
  const CMS = '/api/v1/namespaces/default/configmaps'
  for (const [m, p, o] of [['POST', CMS, { body: { metadata: { name: 'a' } } }], ['GET', CMS + '/a', {}], ['DELETE', CMS + '/a', { body: { propagationPolicy: 'Background' } }], ['GET', CMS + '/a', {}]] as const) {
    try { const r = await admin(m, p, o as any); console.log(m, r.status, r.text.slice(0, 200)) } catch (e) { console.log(m, 'ERR', e) }
  }
  await server.stop(); await core.close()
})
