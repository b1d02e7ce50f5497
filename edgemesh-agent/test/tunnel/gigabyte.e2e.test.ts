import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isRelayed } from '../../src/tunnel/node-dialer.js'
import { collect, startRelayedMesh, type RelayedMesh, type TestPeer } from './helpers.js'

// The acceptance: a 1 GiB transfer with checksum through the direct and the relayed path.
// One way (client → target), so the target hashes what arrives and answers with the digest after
// the client's FIN: that also proves half-close crosses the tunnel. Long-running, so it lives in the
// e2e project (files run one at a time) with generous limits; speed is measured in bench/tunnel.
const GIB = 1024 * 1024 * 1024

async function digestServer (): Promise<{ server: Server, port: number, close: () => Promise<void> }> {
  const server = createServer(socket => {
    const h = createHash('sha256')
    let n = 0
    socket.on('data', (c: Buffer) => { n += c.byteLength; h.update(c) })
    socket.on('end', () => { socket.end(`${n} ${h.digest('hex')}`) })
    socket.on('error', () => { socket.destroy() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { server, port, close: async () => { await new Promise(resolve => server.close(resolve)) } }
}

function gibibyteSource (): { stream: Readable, digest: () => string } {
  const chunk = randomBytes(256 * 1024)
  const h = createHash('sha256')
  let produced = 0
  const stream = new Readable({
    read () {
      if (produced >= GIB) { this.push(null); return }
      // Vary every chunk so a dropped or repeated chunk changes the digest.
      const c = Buffer.from(chunk)
      c.writeUInt32BE(produced / chunk.byteLength, 0)
      produced += c.byteLength
      h.update(c)
      this.push(c)
    }
  })
  return { stream, digest: () => h.digest('hex') }
}

describe('1 GiB through the tunnel', () => {
  let mesh: RelayedMesh
  let a: TestPeer
  let b: TestPeer
  let c: TestPeer
  let target: Awaited<ReturnType<typeof digestServer>>

  beforeAll(async () => {
    target = await digestServer()
    mesh = await startRelayedMesh(target.port)
    ;({ a, b, c } = mesh)
  })

  afterAll(async () => {
    await mesh?.stop()
    await target?.close()
  })

  it('delivers 1 GiB over a direct connection with a matching sha256', async () => {
    const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: target.port }, AbortSignal.timeout(20_000))
    expect(a.node.getConnections(b.peerId).some(conn => !isRelayed(conn))).toBe(true)
    const src = gibibyteSource()
    src.stream.pipe(d)
    const [n, digest] = (await collect(d)).toString().split(' ')
    expect(Number(n)).toBe(GIB)
    expect(digest).toBe(src.digest())
  }, 300_000)

  it('delivers 1 GiB over a relayed connection with a matching sha256', async () => {
    const d = await c.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: target.port }, AbortSignal.timeout(20_000))
    expect(c.node.getConnections(b.peerId).every(isRelayed)).toBe(true)
    const src = gibibyteSource()
    src.stream.pipe(d)
    const [n, digest] = (await collect(d)).toString().split(' ')
    expect(Number(n)).toBe(GIB)
    expect(digest).toBe(src.digest())
  }, 300_000)
})
