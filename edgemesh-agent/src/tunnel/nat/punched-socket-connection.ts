import { once } from 'node:events'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { NatError } from './errors.js'
import type { AbstractMultiaddrConnectionInit } from '@libp2p/utils'
import type { AbortOptions } from '@libp2p/interface'
import type { Socket } from 'node:net'

export interface PunchedSocketConnectionInit extends AbstractMultiaddrConnectionInit {
  socket: Socket
}

/**
 * A connected `net.Socket` (punched, or dialled from our fixed punch port) as a libp2p
 * MultiaddrConnection, so the host's upgrader can run Noise + yamux over it. @libp2p/tcp has the
 * same wrapper but does not export it. No inactivity timeout unless one is passed: idle mesh links
 * are kept alive by TCP keepalive and libp2p's connection monitor instead.
 */
export class PunchedSocketConnection extends AbstractMultiaddrConnection {
  readonly socket: Socket

  constructor (init: PunchedSocketConnectionInit) {
    super(init)
    const socket = this.socket = init.socket
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 10_000)
    socket.on('data', buf => { this.onData(buf) })
    socket.on('error', err => { this.abort(err) })
    if (init.inactivityTimeout !== undefined && init.inactivityTimeout > 0) {
      socket.setTimeout(init.inactivityTimeout)
      socket.once('timeout', () => { this.abort(new NatError('NAT_SOCKET_TIMEOUT', `punched socket idle for ${init.inactivityTimeout} ms`)) })
    }
    // A FIN from the remote: Node answers with its own FIN (allowHalfOpen is off) and then 'close'.
    socket.once('end', () => { this.onTransportClosed() })
    socket.once('close', hadError => {
      if (hadError) this.abort(new NatError('NAT_SOCKET_ERROR', 'TCP transmission error'))
      else this.onTransportClosed()
    })
    socket.on('drain', () => { this.safeDispatchEvent('drain') })
  }

  sendData (data: Parameters<AbstractMultiaddrConnection['sendData']>[0]): { sentBytes: number, canSendMore: boolean } {
    let sentBytes = 0
    let canSendMore = true
    // Noise hands over [length, ciphertext] pairs: corking sends them as one writev instead of a
    // syscall and a TCP segment per 2-byte length prefix (see coalescing-tcp.ts for the measurement).
    this.socket.cork()
    try {
      for (const buf of data) {
        sentBytes += buf.byteLength
        canSendMore = this.socket.write(buf)
        if (!canSendMore) break
      }
    } finally {
      this.socket.uncork()
    }
    return { sentBytes, canSendMore }
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    if (this.socket.destroyed) return
    this.socket.destroySoon()
    await once(this.socket, 'close', { signal: options?.signal })
  }

  sendReset (): void {
    // resetAndDestroy() cannot follow a started graceful shutdown (uv_shutdown), so fall back to destroy().
    if (this.socket.writableEnded) this.socket.destroy()
    else this.socket.resetAndDestroy()
  }

  sendPause (): void { this.socket.pause() }

  sendResume (): void { this.socket.resume() }
}
