import { TypedEventEmitter } from '@libp2p/interface'
import type { Stream } from '@libp2p/interface'

export interface DatagramStreamEvents {
  datagram: CustomEvent<Uint8Array>
  close: CustomEvent<Error | undefined>
}

/** UDP datagrams are at most 65 507 bytes, so a u16 length prefix always fits. */
export const MAX_DATAGRAM_BYTES = 65_535

/**
 * Carries datagrams over one libp2p stream, each prefixed with a u16 BE length. Sending never queues:
 * when the stream needs draining the datagram is dropped, as a congested UDP path would do, so a fast
 * sender cannot make us buffer without bound.
 */
export class DatagramStream extends TypedEventEmitter<DatagramStreamEvents> {
  readonly stream: Stream
  private buf: Buffer = Buffer.alloc(0)
  private closed = false
  dropped = 0
  bytesIn = 0
  bytesOut = 0

  constructor (stream: Stream) {
    super()
    this.stream = stream
    stream.addEventListener('message', (evt) => {
      const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      this.bytesIn += data.byteLength
      this.buf = this.buf.byteLength === 0 ? Buffer.from(data) : Buffer.concat([this.buf, data])
      while (this.buf.byteLength >= 2) {
        const len = this.buf.readUInt16BE(0)
        if (this.buf.byteLength < 2 + len) break
        const dgram = this.buf.subarray(2, 2 + len)
        this.buf = this.buf.subarray(2 + len)
        this.safeDispatchEvent('datagram', { detail: dgram })
      }
    })
    stream.addEventListener('remoteCloseWrite', () => { this.close() })
    stream.addEventListener('close', (evt) => { this.finish(evt.error) })
  }

  /** Sends one datagram; returns false when it was dropped (congestion, oversize, or closed). */
  send (datagram: Uint8Array): boolean {
    if (this.closed || datagram.byteLength > MAX_DATAGRAM_BYTES || this.stream.writableNeedsDrain || this.stream.writeStatus !== 'writable') {
      this.dropped++
      return false
    }
    const head = Buffer.allocUnsafe(2)
    head.writeUInt16BE(datagram.byteLength, 0)
    this.bytesOut += datagram.byteLength + 2
    this.stream.send(Buffer.concat([head, datagram]))
    return true
  }

  /** Half-closes our side; the session ends when the remote closes too. */
  close (): void {
    if (this.stream.writeStatus === 'writable') {
      this.stream.close().catch((err: Error) => { this.stream.abort(err) })
    }
  }

  abort (err: Error): void {
    this.stream.abort(err)
    this.finish(err)
  }

  private finish (err?: Error): void {
    if (this.closed) return
    this.closed = true
    this.safeDispatchEvent('close', { detail: err })
  }
}
