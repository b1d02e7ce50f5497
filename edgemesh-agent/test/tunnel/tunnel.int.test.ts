import { createHash, randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { createServer, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CertificateAuthority } from '@edgemesh/common'
import { allowPorts, collect, echoServer, newCA, startPeer, type TestPeer } from './helpers.js'

describe('tunnel between two authenticated peers on loopback', () => {
  let ca: CertificateAuthority
  let a: TestPeer
  let b: TestPeer
  let echo: Awaited<ReturnType<typeof echoServer>>
  let forbidden: Awaited<ReturnType<typeof echoServer>>
  let lateServer: ReturnType<typeof createServer>
  let latePort = 0
  let udpEcho: ReturnType<typeof createSocket>
  let udpPort = 0
  let closedPort = 0

  beforeAll(async () => {
    ca = await newCA()
    echo = await echoServer()
    forbidden = await echoServer()
    // Answers only after the client's FIN, proving the other direction keeps flowing after a half-close.
    lateServer = createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = []
      s.on('data', (d: Buffer) => got.push(d))
      s.on('end', () => { setTimeout(() => { s.end(Buffer.concat([Buffer.from('after-fin:'), ...got])) }, 200) })
      s.on('error', () => {})
    })
    await new Promise<void>(resolve => lateServer.listen(0, '127.0.0.1', resolve))
    latePort = (lateServer.address() as AddressInfo).port
    udpEcho = createSocket('udp4')
    udpEcho.on('message', (m, rinfo) => { udpEcho.send(m, rinfo.port, rinfo.address) })
    await new Promise<void>(resolve => udpEcho.bind(0, '127.0.0.1', resolve))
    udpPort = udpEcho.address().port
    const tmp = createServer()
    await new Promise<void>(resolve => tmp.listen(0, '127.0.0.1', resolve))
    closedPort = (tmp.address() as AddressInfo).port
    await new Promise<void>(resolve => tmp.close(() => { resolve() }))

    b = await startPeer(ca, 'node-b', {
      policy: { allow: (_p, t) => t.ip === '127.0.0.1' && [echo.port, latePort, udpPort, closedPort].includes(t.port) },
      extra: { tunnel: { udpIdleTimeoutMs: 400 } }
    })
    a = await startPeer(ca, 'node-a')
    a.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: [b.addr] })
  })

  afterAll(async () => {
    await a?.node.stop()
    await b?.node.stop()
    await echo?.close()
    await forbidden?.close()
    lateServer?.close()
    udpEcho?.close()
  })

  it('round-trips bytes to a real echo server and both sides learn each other\'s node name', async () => {
    const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(10_000))
    const payload = randomBytes(100_000)
    d.end(payload)
    const back = await collect(d)
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'))
    expect(a.node.services.auth.nodeNameOf(b.peerId)).toBe('node-b')
    expect(b.node.services.auth.nodeNameOf(a.peerId)).toBe('node-a')
    expect(a.node.services.auth.peerIdOf('node-b')?.equals(b.peerId)).toBe(true)
  })

  it('propagates a half-close and keeps the other direction flowing', async () => {
    const d = await a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: latePort }, AbortSignal.timeout(10_000))
    d.end('question')
    const back = await collect(d)
    expect(back.toString()).toBe('after-fin:question')
  })

  it('refuses a target outside the policy with MESH_TARGET_DENIED and never dials it', async () => {
    await expect(a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: forbidden.port }, AbortSignal.timeout(10_000)))
      .rejects.toMatchObject({ code: 'MESH_TARGET_DENIED' })
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(forbidden.accepted()).toBe(0)
  })

  it('refuses a header naming another node with MESH_WRONG_NODE', async () => {
    const conn = a.node.getConnections(b.peerId)[0]!
    const { encodeRequest, decodeResponseBody, readFrame, TUNNEL_PROTOCOL } = await import('../../src/tunnel/header.js')
    const s = await conn.newStream(TUNNEL_PROTOCOL)
    s.send(encodeRequest({ protocol: 'tcp', nodeName: 'node-z', ip: '127.0.0.1', port: echo.port }))
    const res = decodeResponseBody(await readFrame(s, AbortSignal.timeout(5000)))
    expect(res).toMatchObject({ ok: false, code: 'MESH_WRONG_NODE' })
  })

  it('reports MESH_DIAL_FAILED when the allowed target is not listening', async () => {
    await expect(a.node.services.tunnel.openTcp('node-b', { ip: '127.0.0.1', port: closedPort }, AbortSignal.timeout(10_000)))
      .rejects.toMatchObject({ code: 'MESH_DIAL_FAILED' })
  })

  it('fails an unknown node name with MESH_PEER_UNKNOWN', async () => {
    await expect(a.node.services.tunnel.openTcp('node-nowhere', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(5000)))
      .rejects.toMatchObject({ code: 'MESH_PEER_UNKNOWN' })
  })

  it('echoes UDP datagrams through the tunnel and closes the session when idle', async () => {
    const s = await a.node.services.tunnel.openUdp('node-b', { ip: '127.0.0.1', port: udpPort }, AbortSignal.timeout(10_000))
    const got: string[] = []
    const closed = new Promise<void>(resolve => { s.onClose(() => { resolve() }) })
    const two = new Promise<void>(resolve => { s.onDatagram((d) => { got.push(Buffer.from(d).toString()); if (got.length === 2) resolve() }) })
    expect(s.send(Buffer.from('one'))).toBe(true)
    expect(s.send(Buffer.from('two'))).toBe(true)
    await two
    expect(got.sort()).toEqual(['one', 'two'])
    const t0 = Date.now()
    await closed
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300)
  })

  it('exposes per-peer metrics and Prometheus text with the direct path', async () => {
    const m = a.node.services.tunnel.metrics().find(x => x.nodeName === 'node-b')
    expect(m).toMatchObject({ path: 'direct', peerId: b.peerId.toString() })
    expect(m!.bytesOut).toBeGreaterThanOrEqual(100_000)
    expect(m!.bytesIn).toBeGreaterThanOrEqual(100_000)
    const text = await a.node.services.tunnel.prometheus()
    expect(text).toContain('edgemesh_tunnel_peer_path{node="node-b",path="direct"} 1')
    expect(text).toMatch(/edgemesh_tunnel_peer_bytes_in_total\{node="node-b"\} \d+/)
  })

  it('retries a new flow once on a fresh connection when its connection closed before the stream opened', async () => {
    const tunnel = a.node.services.tunnel
    const stale = a.node.getConnections(b.peerId)[0]!
    await stale.close()
    const connector = tunnel.dialer as { connect: typeof tunnel.dialer.connect }
    const real = tunnel.dialer.connect.bind(tunnel.dialer)
    let calls = 0
    // The first lookup hands out the connection that just closed, as happens when a relayed path is torn down mid-open.
    connector.connect = async (n, s) => { calls++; return calls === 1 ? stale : await real(n, s) }
    try {
      const d = await tunnel.openTcp('node-b', { ip: '127.0.0.1', port: echo.port }, AbortSignal.timeout(10_000))
      d.end('again')
      expect((await collect(d)).toString()).toBe('again')
      expect(calls).toBe(2)
    } finally {
      delete (connector as { connect?: unknown }).connect
    }
  })
})
void allowPorts
