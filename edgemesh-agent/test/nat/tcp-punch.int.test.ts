import { connect, createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { tcpPunch } from '../../src/tunnel/nat/tcp-punch.js'
import type { AddressInfo, Server, Socket } from 'node:net'

async function listen (): Promise<{ server: Server, port: number }> {
  const server = createServer(s => { s.on('error', () => {}) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

async function freePort (): Promise<number> {
  const { server, port } = await listen()
  await new Promise(resolve => server.close(resolve))
  return port
}

describe('tcpPunch', () => {
  it('reuses the fixed local port of a still-open server link for a second outgoing connection', async () => {
    const [srv, peer] = [await listen(), await listen()]
    const localPort = await freePort()
    const link = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: srv.port, localPort, localAddress: '127.0.0.1' }, () => { resolve(s) })
      s.once('error', reject)
    })
    try {
      const { socket, attempts } = await tcpPunch({ remote: { ip: '127.0.0.1', port: peer.port }, localPort, localAddress: '127.0.0.1', maxAttempts: 1 })
      expect(attempts).toBe(1)
      expect(socket.localPort).toBe(localPort)
      expect(link.localPort).toBe(localPort)
      socket.destroy()
    } finally {
      link.destroy()
      srv.server.close()
      peer.server.close()
    }
  })

  it('fails with PUNCH_FAILED when every attempt is refused', async () => {
    const closed = await freePort()
    const err = await tcpPunch({ remote: { ip: '127.0.0.1', port: closed }, localPort: await freePort(), localAddress: '127.0.0.1', maxAttempts: 3, jitterMs: 5 }).catch((e: unknown) => e)
    expect(hasCode(err, 'PUNCH_FAILED')).toBe(true)
  })

  it('fails with PUNCH_TIMEOUT when the deadline passes before an attempt can start', async () => {
    const err = await tcpPunch({ remote: { ip: '127.0.0.1', port: 9 }, localPort: await freePort(), startInMs: 60, deadlineMs: 20 }).catch((e: unknown) => e)
    expect(hasCode(err, 'PUNCH_TIMEOUT')).toBe(true)
  })

  it('stops waiting when aborted', async () => {
    const ac = new AbortController()
    setTimeout(() => { ac.abort() }, 20)
    const err = await tcpPunch({ remote: { ip: '127.0.0.1', port: 9 }, localPort: await freePort(), startInMs: 5_000 }, ac.signal).catch((e: unknown) => e)
    expect(hasCode(err, 'ABORTED')).toBe(true)
  })
})
