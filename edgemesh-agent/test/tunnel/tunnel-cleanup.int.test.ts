import { createSocket } from 'node:dgram'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CertificateAuthority } from '@edgemesh/common'
import { decodeResponseBody, encodeRequest, readFrame, TUNNEL_PROTOCOL } from '../../src/tunnel/header.js'
import { newCA, startPeer, type TestPeer } from './helpers.js'

function datagramFrame (payload: string): Uint8Array {
  const body = Buffer.from(payload)
  const head = Buffer.alloc(2)
  head.writeUInt16BE(body.byteLength, 0)
  return Buffer.concat([head, body])
}

async function waitFor (what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

describe('tunnel resources are released when flows end abnormally', () => {
  let ca: CertificateAuthority
  let a: TestPeer
  let b: TestPeer
  let c: TestPeer
  let udpEcho: ReturnType<typeof createSocket>
  let udpPort = 0
  let target: ReturnType<typeof createServer>
  let targetPort = 0
  const targetSockets = new Set<Socket>()
  let accepted = 0
  // Holds the policy decision for the TCP target so the test can reset the stream while the flow is being set up.
  let releasePolicy: (() => void) | undefined
  let policyReached: (() => void) | undefined

  beforeAll(async () => {
    ca = await newCA()
    udpEcho = createSocket('udp4')
    udpEcho.on('message', (m, rinfo) => { udpEcho.send(m, rinfo.port, rinfo.address) })
    await new Promise<void>(resolve => udpEcho.bind(0, '127.0.0.1', resolve))
    udpPort = udpEcho.address().port
    target = createServer((s) => {
      accepted++
      targetSockets.add(s)
      s.on('close', () => targetSockets.delete(s))
      s.on('error', () => {})
    })
    await new Promise<void>(resolve => target.listen(0, '127.0.0.1', resolve))
    targetPort = (target.address() as AddressInfo).port
    b = await startPeer(ca, 'node-b', {
      policy: {
        allow: async (_p, t) => {
          if (t.ip !== '127.0.0.1') return false
          if (t.port === udpPort) return true
          if (t.port !== targetPort) return false
          await new Promise<void>(resolve => { releasePolicy = resolve; policyReached?.() })
          return true
        }
      },
      extra: { tunnel: { udpIdleTimeoutMs: 1500 } }
    })
    a = await startPeer(ca, 'node-a')
    c = await startPeer(ca, 'node-c')
    for (const p of [a, c]) p.node.services.tunnel.setStaticPeer('node-b', { peerId: b.peerId.toString(), addrs: [b.addr] })
    await a.node.services.tunnel.dialer.connect('node-b', AbortSignal.timeout(10_000))
  })

  afterAll(async () => {
    releasePolicy?.()
    await a?.node.stop()
    await c?.node.stop()
    await b?.node.stop()
    for (const s of targetSockets) s.destroy()
    target?.close()
    udpEcho?.close()
  })

  it('ignores a datagram that arrives after the UDP idle timeout closed the target socket instead of crashing', async () => {
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown): void => { uncaught.push(err) }
    process.on('uncaughtException', onUncaught)
    try {
      const conn = a.node.getConnections(b.peerId)[0]!
      const s = await conn.newStream(TUNNEL_PROTOCOL)
      // The remote half-closes when its idle timer fires; our write side stays open, as it does when a datagram is in flight.
      const remoteIdle = new Promise<void>(resolve => { s.addEventListener('remoteCloseWrite', () => { resolve() }, { once: true }) })
      s.send(encodeRequest({ protocol: 'udp', nodeName: 'node-b', ip: '127.0.0.1', port: udpPort }))
      expect(decodeResponseBody(await readFrame(s, AbortSignal.timeout(5000)))).toEqual({ ok: true })
      await remoteIdle
      s.send(datagramFrame('late'))
      await new Promise(resolve => setTimeout(resolve, 300))
      expect(uncaught).toEqual([])
      await s.close().catch(() => {})
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })

  it('closes the target connection when the tunnel stream is reset while the target is being dialled', async () => {
    const conn = a.node.getConnections(b.peerId)[0]!
    const reached = new Promise<void>(resolve => { policyReached = resolve })
    const s = await conn.newStream(TUNNEL_PROTOCOL)
    s.send(encodeRequest({ protocol: 'tcp', nodeName: 'node-b', ip: '127.0.0.1', port: targetPort }))
    await reached
    s.abort(new Error('client gave up'))
    // Let the reset reach node-b before it finishes setting up the flow.
    await new Promise(resolve => setTimeout(resolve, 300))
    const before = accepted
    releasePolicy?.()
    await waitFor('the target connection to be accepted', () => accepted > before)
    await waitFor('the target connection to be closed', () => targetSockets.size === 0, 3000)
  })

  it('closes outbound UDP sessions when the tunnel service stops', async () => {
    const tunnel = c.node.services.tunnel
    const session = await tunnel.openUdp('node-b', { ip: '127.0.0.1', port: udpPort }, AbortSignal.timeout(10_000))
    let closed = false
    session.onClose(() => { closed = true })
    await tunnel.stop()
    // Well inside node-b's 1.5 s idle timeout, which would otherwise close the session too.
    await waitFor('the UDP session to close', () => closed, 700)
    expect(session.send(Buffer.from('after stop'))).toBe(false)
  })
})
