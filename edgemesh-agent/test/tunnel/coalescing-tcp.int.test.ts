import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { Uint8ArrayList } from 'uint8arraylist'
import type { MultiaddrConnection } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { coalesceWrites } from '../../src/tunnel/coalescing-tcp.js'

interface Fake { socket: Socket, sendData: (d: Uint8ArrayList) => { sentBytes: number, canSendMore: boolean } }

/** A connected client socket plus a promise of every byte the server side receives until the client ends. */
async function socketPair (): Promise<{ server: Server, client: Socket, received: Promise<Buffer> }> {
  let resolveReceived!: (b: Buffer) => void
  const received = new Promise<Buffer>(resolve => { resolveReceived = resolve })
  const server = createServer((s) => {
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('end', () => { resolveReceived(Buffer.concat(chunks)); s.end() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const client = await new Promise<Socket>((resolve, reject) => {
    const c = connect((server.address() as AddressInfo).port, '127.0.0.1', () => { resolve(c) })
    c.once('error', reject)
  })
  return { server, client, received }
}

/** Counts the writes the socket hands to its handle: one `_writev` per corked batch, one `_write` per lone buffer. */
function countWrites (s: Socket): { writes: () => number } {
  let n = 0
  const sock = s as unknown as { _write: (...a: unknown[]) => void, _writev: (...a: unknown[]) => void }
  const w = sock._write.bind(s)
  const wv = sock._writev.bind(s)
  sock._write = (...a) => { n++; w(...a) }
  sock._writev = (...a) => { n++; wv(...a) }
  return { writes: () => n }
}

describe('coalesceWrites', () => {
  let server: Server | undefined
  afterEach(async () => { await new Promise(resolve => server?.close(resolve) ?? resolve(undefined)) })

  it('hands all buffers of one send to the socket as a single write, in order', async () => {
    const p = await socketPair()
    server = p.server
    const conn: Fake = { socket: p.client, sendData: () => { throw new Error('original must not run') } }
    coalesceWrites(conn as unknown as MultiaddrConnection)
    const counter = countWrites(p.client)
    const parts = [Buffer.from([0, 5]), Buffer.from('hello'), Buffer.from([0, 3]), Buffer.from('abc')]
    const r = conn.sendData(new Uint8ArrayList(...parts))
    expect(r.sentBytes).toBe(12)
    expect(counter.writes()).toBe(1)
    p.client.end()
    expect((await p.received).equals(Buffer.concat(parts))).toBe(true)
  })

  it('writes the whole send past the high-water mark, reports canSendMore false, then drains', async () => {
    const p = await socketPair()
    server = p.server
    const conn: Fake = { socket: p.client, sendData: () => ({ sentBytes: 0, canSendMore: true }) }
    coalesceWrites(conn as unknown as MultiaddrConnection)
    const big = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024, i))
    const drained = new Promise(resolve => p.client.once('drain', resolve))
    const r = conn.sendData(new Uint8ArrayList(...big))
    expect(r).toEqual({ sentBytes: 8 * 64 * 1024, canSendMore: false })
    await drained
    p.client.end()
    expect((await p.received).equals(Buffer.concat(big))).toBe(true)
  })

  it('leaves a connection that is not backed by a TCP socket untouched', () => {
    const original = (): { sentBytes: number, canSendMore: boolean } => ({ sentBytes: 1, canSendMore: true })
    const conn = { socket: undefined, sendData: original }
    coalesceWrites(conn as unknown as MultiaddrConnection)
    expect(conn.sendData).toBe(original)
  })
})
