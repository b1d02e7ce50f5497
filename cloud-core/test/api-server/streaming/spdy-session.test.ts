import { connect, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { constants as Z, createDeflate, createInflate } from 'node:zlib'
import { createHash } from 'node:crypto'
import type { Logger } from '@edgemesh/common'
import { afterEach, describe, expect, it } from 'vitest'
import { SPDY3_DICTIONARY } from '../../../src/api-server/streaming/spdy-dictionary.js'
import { encodeHeaderBlock, SpdySession, type SpdySessionInit } from '../../../src/api-server/streaming/spdy-session.js'

// A SPDY/3.1 client written for these tests (the other end is the session under test), over real
// loopback sockets.

interface Frame { control: boolean, type: number, flags: number, streamId: number, payload: Buffer }

class TestClient {
  private readonly deflate = createDeflate({ dictionary: SPDY3_DICTIONARY })
  private readonly inflate = createInflate({ dictionary: SPDY3_DICTIONARY })
  private buf = Buffer.alloc(0)
  readonly frames: Frame[] = []
  private waiters: Array<() => void> = []
  closed = false

  constructor (readonly sock: Socket) {
    sock.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c])
      while (this.buf.length >= 8) {
        const len = this.buf.readUIntBE(5, 3)
        if (this.buf.length < 8 + len) break
        const f = this.buf.subarray(0, 8 + len)
        this.buf = this.buf.subarray(8 + len)
        const control = (f[0]! & 0x80) !== 0
        this.frames.push({ control, type: control ? f.readUInt16BE(2) : 0, flags: f[4]!, streamId: control ? (len >= 4 ? f.readUInt32BE(8) & 0x7fffffff : 0) : f.readUInt32BE(0) & 0x7fffffff, payload: f.subarray(8) })
      }
      this.wake()
    })
    sock.on('close', () => { this.closed = true; this.wake() })
    sock.on('error', () => {})
  }

  private wake (): void { for (const w of this.waiters.splice(0)) w() }

  async until (pred: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames ${JSON.stringify(this.frames.map(f => [f.control, f.type, f.streamId]))}`)
      await new Promise<void>(resolve => { this.waiters.push(resolve); setTimeout(resolve, 50) })
    }
  }

  async compress (block: Buffer): Promise<Buffer> {
    const chunks: Buffer[] = []
    const on = (c: Buffer): void => { chunks.push(c) }
    this.deflate.on('data', on)
    await new Promise<void>(resolve => { this.deflate.write(block); this.deflate.flush(Z.Z_SYNC_FLUSH, () => { resolve() }) })
    this.deflate.off('data', on)
    return Buffer.concat(chunks)
  }

  control (type: number, flags: number, payload: Buffer): void {
    const h = Buffer.alloc(8)
    h.writeUInt16BE(0x8003, 0)
    h.writeUInt16BE(type, 2)
    h.writeUInt32BE((flags << 24 | payload.length) >>> 0, 4)
    this.sock.write(Buffer.concat([h, payload]))
  }

  async synStream (id: number, headers: Record<string, string>, flags = 0, rawBlock?: Buffer): Promise<void> {
    const block = await this.compress(rawBlock ?? encodeHeaderBlock(new Map(Object.entries(headers))))
    const p = Buffer.alloc(10)
    p.writeUInt32BE(id, 0)
    this.control(1, flags, Buffer.concat([p, block]))
  }

  data (id: number, data: Buffer, fin = false): void {
    const h = Buffer.alloc(8)
    h.writeUInt32BE(id, 0)
    h.writeUInt32BE(((fin ? 1 : 0) << 24 | data.length) >>> 0, 4)
    this.sock.write(Buffer.concat([h, data]))
  }
}

describe('SPDY/3.1 server session', () => {
  let server: Server | undefined
  const sockets: Socket[] = []
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    await new Promise<void>(resolve => { if (server === undefined) resolve(); else server.close(() => { resolve() }) })
  })

  const setup = async (init: SpdySessionInit = {}): Promise<{ client: TestClient, session: Promise<SpdySession>, warnings: Array<{ code?: string }> }> => {
    const warnings: Array<{ code?: string }> = []
    const logger = { warn: (o: { code?: string }) => { warnings.push(o) }, debug: () => {}, info: () => {}, error: () => {}, child () { return this } } as unknown as Logger
    const session = Promise.withResolvers<SpdySession>()
    server = createServer(sock => { session.resolve(new SpdySession(sock, { logger }, init)) })
    await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve))
    const sock = connect((server.address() as AddressInfo).port, '127.0.0.1')
    sockets.push(sock)
    await new Promise<void>(resolve => sock.once('connect', resolve))
    return { client: new TestClient(sock), session: session.promise, warnings }
  }

  it('uses the SPDY/3 header dictionary of the spec, byte for byte', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423)
    expect(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex')).toBe('51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02')
  })

  it('hands over a client stream with its headers, replies, relays data both ways and echoes pings', async () => {
    const { client, session } = await setup()
    await client.synStream(1, { streamtype: 'data', port: '80' })
    const s = (await (await session).incoming.next())!
    expect(s.headers.get('streamtype')).toBe('data')
    expect(s.headers.get('port')).toBe('80')
    await s.reply()
    client.data(1, Buffer.from('hello'), true)
    const got: Buffer[] = []
    for await (const c of s) got.push(Buffer.from(c))
    expect(Buffer.concat(got).toString()).toBe('hello')
    await s.write(Buffer.from('back'))
    await s.end()
    const ping = Buffer.alloc(4)
    ping.writeUInt32BE(7)
    client.control(6, 0, ping)
    await client.until(() => client.frames.some(f => f.control && f.type === 6))
    expect(client.frames.find(f => f.control && f.type === 2)?.streamId).toBe(1)
    const data = client.frames.filter(f => !f.control && f.streamId === 1)
    expect(Buffer.concat(data.map(f => f.payload)).toString()).toBe('back')
    expect(data.at(-1)!.flags & 1).toBe(1)
    expect((await session).openStreams).toBe(0)
  })

  it('closes the session on a frame over maxFrameBytes and logs STREAM_SPDY_FRAME_TOO_LARGE', async () => {
    const { client, session, warnings } = await setup({ maxFrameBytes: 1024 })
    await session
    client.data(1, Buffer.alloc(2048))
    await client.until(() => client.closed)
    expect(warnings.map(w => w.code)).toEqual(['STREAM_SPDY_FRAME_TOO_LARGE'])
  })

  it('closes the session on a header block that inflates past maxHeaderBytes (STREAM_SPDY_HEADERS_TOO_LARGE)', async () => {
    const { client, session, warnings } = await setup({ maxHeaderBytes: 4096 })
    await session
    // Compresses to a few hundred bytes, inflates to 64 KiB: the bound is on the output.
    await client.synStream(1, { streamtype: 'data', big: 'a'.repeat(64 * 1024) })
    await client.until(() => client.closed)
    expect(warnings.map(w => w.code)).toEqual(['STREAM_SPDY_HEADERS_TOO_LARGE'])
  })

  it('closes the session when a client opens more than maxStreams streams (STREAM_SPDY_TOO_MANY_STREAMS)', async () => {
    const { client, session, warnings } = await setup({ maxStreams: 2 })
    await session
    for (const id of [1, 3, 5]) await client.synStream(id, { streamtype: 'data' })
    await client.until(() => client.closed)
    expect(warnings.map(w => w.code)).toEqual(['STREAM_SPDY_TOO_MANY_STREAMS'])
  })

  it('closes the session on a reused stream id, a wrong version or a corrupt header block (STREAM_SPDY_PROTOCOL)', async () => {
    for (const bad of ['reuse', 'version', 'corrupt'] as const) {
      const { client, session, warnings } = await setup()
      await session
      if (bad === 'reuse') {
        await client.synStream(3, { streamtype: 'data' })
        await client.synStream(1, { streamtype: 'data' })
      } else if (bad === 'version') {
        client.sock.write(Buffer.from([0x80, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]))
      } else {
        const p = Buffer.alloc(10)
        p.writeUInt32BE(1, 0)
        client.control(1, 0, Buffer.concat([p, Buffer.from('definitely not zlib')]))
      }
      await client.until(() => client.closed)
      expect(warnings.map(w => w.code), bad).toEqual(['STREAM_SPDY_PROTOCOL'])
      await new Promise<void>(resolve => { server!.close(() => { resolve() }) })
      server = undefined
    }
  })
})
