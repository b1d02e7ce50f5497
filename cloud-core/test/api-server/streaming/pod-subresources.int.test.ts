import { PodStreamRefusal, silentLogger, type PodStreamOpener, type PodStreamRequest } from '@edgemesh/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiServer } from '../../../src/api-server/server.js'
import { builtinResources, ServiceAllocator } from '../../../src/api-server/resources/index.js'
import { caller, makePki, type Pki } from '../helpers/https.js'
import { testCore, type TestCore } from '../helpers/core.js'

// The HTTP side of the pod subresources without kubectl: pod checks, refusals and the missing node link.
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' }

describe('pod streaming subresources over HTTPS', () => {
  let core: TestCore
  let pki: Pki
  const servers: ApiServer[] = []
  const asked: Array<{ node: string, req: PodStreamRequest }> = []
  const refusing: PodStreamOpener = {
    open: async (node, req) => {
      asked.push({ node, req })
      throw new PodStreamRefusal(404, `container "${req.container ?? ''}" in pod "${req.pod}" is not running`)
    }
  }

  const start = async (podStreams?: PodStreamOpener): Promise<ReturnType<typeof caller>> => {
    const server = new ApiServer({ core, logger: silentLogger(), podStreams }, { port: 0, host: '127.0.0.1', tls: { key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem } })
    await server.start()
    servers.push(server)
    return caller(server.port, pki, { cert: pki.admin })
  }

  const pod = async (name: string, nodeName: string | undefined, phase: string, containers = ['main']): Promise<void> => {
    const created = await core.client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { ...(nodeName !== undefined ? { nodeName } : {}), containers: containers.map(c => ({ name: c, image: 'busybox' })) } })
    await core.client.update(PODS, { ...created, status: { phase } }, 'status')
  }

  beforeAll(async () => {
    pki = await makePki()
    core = await testCore({ resources: builtinResources({ allocator: new ServiceAllocator() }), validation: false })
    await pod('web', 'n1', 'Running')
    await pod('floating', undefined, 'Pending')
    await pod('done', 'n1', 'Succeeded')
    await pod('duo', 'n1', 'Running', ['a', 'b'])
  })

  afterAll(async () => {
    for (const s of servers) await s.stop()
    await core?.close()
  })

  it('answers 503 naming the node when the API server has no way to the nodes', async () => {
    const call = await start()
    const r = await call('GET', '/api/v1/namespaces/default/pods/web/log')
    expect(r.status).toBe(503)
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', message: 'error dialing backend: node "n1" is not connected' })
  })

  it('passes a node refusal on with its HTTP status and message, and sends the node the query and the pod uid', async () => {
    const call = await start(refusing)
    const r = await call('GET', '/api/v1/namespaces/default/pods/web/log?tailLines=2&follow=true&timestamps=true')
    expect(r.status).toBe(404)
    expect(r.json).toMatchObject({ reason: 'NotFound', message: 'container "main" in pod "web" is not running' })
    expect(asked.at(-1)).toMatchObject({ node: 'n1', req: { kind: 'log', namespace: 'default', pod: 'web', container: 'main', tailLines: 2, follow: true, timestamps: true } })
    expect(asked.at(-1)!.req.uid).toMatch(/.+/)
  })

  it('checks the pod like kube-apiserver before asking the node', async () => {
    const call = await start(refusing)
    const before = asked.length
    expect((await call('GET', '/api/v1/namespaces/default/pods/ghost/log')).json).toMatchObject({ code: 404, message: 'pods "ghost" not found' })
    expect((await call('GET', '/api/v1/namespaces/default/pods/floating/log')).json).toMatchObject({ code: 400, message: 'pod floating does not have a host assigned' })
    expect((await call('GET', '/api/v1/namespaces/default/pods/web/log?container=nope')).json).toMatchObject({ code: 400, message: 'container nope is not valid for pod web' })
    expect((await call('GET', '/api/v1/namespaces/default/pods/duo/log')).json).toMatchObject({ code: 400, message: 'a container name must be specified for pod duo, choose one of: [a b]' })
    expect((await call('GET', '/api/v1/namespaces/default/pods/web/log?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z')).status).toBe(400)
    const spdy = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' }
    const done = await call('POST', '/api/v1/namespaces/default/pods/done/exec?command=true&stdout=true', { headers: spdy })
    expect(done.json).toMatchObject({ code: 400, message: 'cannot exec into a container in a completed pod; current phase is Succeeded' })
    expect(asked.length).toBe(before)
  })

  it('refuses an exec that is not a connection upgrade with 400', async () => {
    const call = await start(refusing)
    const r = await call('POST', '/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true')
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ message: 'Upgrade request required' })
  })

  it('lists exec, attach and portforward among the pod subresources in discovery', async () => {
    const call = await start()
    const names = ((await call('GET', '/api/v1')).json.resources as Array<{ name: string }>).map(r => r.name)
    expect(names).toEqual(expect.arrayContaining(['pods/log', 'pods/exec', 'pods/attach', 'pods/portforward']))
  })
})
