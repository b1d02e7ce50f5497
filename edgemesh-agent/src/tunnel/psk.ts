import { randomBytes } from 'node:crypto'
import { xsalsa20 } from '@noble/ciphers/salsa.js'
import { AbstractMultiaddrConnection, byteStream } from '@libp2p/utils'
import { TunnelError } from './errors.js'
import type { AbortOptions, ConnectionProtector, Logger, MultiaddrConnection } from '@libp2p/interface'
import type { SendResult } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'

// A private-network (pnet) connection protector, wire-compatible with libp2p's `@libp2p/pnet`: each
// side sends a random 24-byte nonce, then every byte is XORed with an XSalsa20 keystream keyed by
// the pre-shared key (outbound with the local nonce, inbound with the remote one).
//
// Why not @libp2p/pnet itself: its `xsalsa20` dependency keeps every cipher in ONE WebAssembly
// memory capped at 1,000 pages (~62.5 MiB). Growing it for a large chunk detaches the other ciphers'
// views, each of their next updates grows it again, and at the cap an uncaught RangeError kills the
// process (measured: a 64 MiB transfer never finished; after 32 MiB the next flow hung). Here each
// direction of each connection owns its state: a key, a nonce and a byte position, nothing shared.

/** Length of the nonce each side sends first. */
export const PSK_NONCE_LENGTH = 24
/** Length of the decoded pre-shared key. */
export const PSK_KEY_LENGTH = 32
const BLOCK = 64
const KEY_HEADER = '/key/swarm/psk/1.0.0/'

/**
 * Decodes a libp2p v1 PSK key file (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits, the format
 * `generateKey` from @libp2p/pnet writes). Throws MESH_PSK_INVALID naming what is wrong.
 */
export function decodePsk (file: Uint8Array): Uint8Array {
  const lines = new TextDecoder().decode(file).split(/\r\n|\r|\n/)
  const [header, codec, hex] = lines
  if (header !== KEY_HEADER) throw new TunnelError('MESH_PSK_INVALID', `pre-shared key file must start with ${KEY_HEADER}`)
  if (codec !== '/base16/') throw new TunnelError('MESH_PSK_INVALID', `pre-shared key encoding ${JSON.stringify(codec)} is not supported (only /base16/)`)
  if (hex === undefined || !/^[0-9a-fA-F]{64}$/.test(hex)) throw new TunnelError('MESH_PSK_INVALID', `pre-shared key must be ${PSK_KEY_LENGTH} bytes as 64 hex digits`)
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/**
 * An XSalsa20 keystream applied to a byte stream in pieces of any size: keeps the byte position and
 * restarts the one-shot cipher at the right 64-byte block counter for each piece.
 */
export class XSalsa20Stream {
  private position = 0
  private readonly partial = new Uint8Array(BLOCK)

  constructor (private readonly key: Uint8Array, private readonly nonce: Uint8Array) {
    if (key.length !== PSK_KEY_LENGTH) throw new TunnelError('MESH_PSK_INVALID', `XSalsa20 key must be ${PSK_KEY_LENGTH} bytes`)
    if (nonce.length !== PSK_NONCE_LENGTH) throw new TunnelError('MESH_PSK_INVALID', `XSalsa20 nonce must be ${PSK_NONCE_LENGTH} bytes`)
  }

  /** XORs `data` with the next `data.length` keystream bytes into a new array. */
  update (data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.length)
    let done = 0
    const offset = this.position % BLOCK
    if (offset !== 0) {
      // Finish the block the previous piece stopped inside: its keystream, from its start.
      this.partial.fill(0)
      const ks = xsalsa20(this.key, this.nonce, this.partial, undefined, Math.floor(this.position / BLOCK))
      const n = Math.min(BLOCK - offset, data.length)
      for (let i = 0; i < n; i++) out[i] = data[i]! ^ ks[offset + i]!
      done = n
    }
    if (done < data.length) {
      const rest = out.subarray(done)
      rest.set(data.subarray(done))
      xsalsa20(this.key, this.nonce, rest, rest, (this.position + done) / BLOCK)
    }
    this.position += data.length
    return out
  }
}

interface PskConnectionInit {
  inner: MultiaddrConnection
  psk: Uint8Array
  localNonce: Uint8Array
  remoteNonce: Uint8Array
  log: Logger
}

/** The protected connection: decrypts what the inner connection delivers, encrypts what it sends. */
class PskConnection extends AbstractMultiaddrConnection {
  private readonly inner: MultiaddrConnection
  private readonly inbound: XSalsa20Stream
  private readonly outbound: XSalsa20Stream

  constructor (init: PskConnectionInit) {
    super({ log: init.log, remoteAddr: init.inner.remoteAddr, direction: init.inner.direction })
    this.inner = init.inner
    this.inbound = new XSalsa20Stream(init.psk, init.remoteNonce)
    this.outbound = new XSalsa20Stream(init.psk, init.localNonce)
    this.inner.addEventListener('message', evt => {
      const data = evt.data
      if (data instanceof Uint8Array) this.onData(this.inbound.update(data))
      else for (const chunk of data) this.onData(this.inbound.update(chunk))
    })
    this.inner.addEventListener('drain', () => { this.onMuxerDrain() })
    this.inner.addEventListener('close', evt => {
      if (evt.error == null) this.onTransportClosed()
      else if (evt.local) this.abort(evt.error)
      else this.onRemoteReset()
    })
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    await this.inner.close(options)
  }

  sendData (data: Uint8ArrayList): SendResult {
    return { sentBytes: data.byteLength, canSendMore: this.inner.send(this.outbound.update(data.subarray())) }
  }

  sendReset (err: Error): void { this.inner.abort(err) }
  sendPause (): void { this.inner.pause() }
  sendResume (): void { this.inner.resume() }
}

export interface PskProtectorInit {
  /** The key file bytes (libp2p pnet v1 format). */
  psk: Uint8Array
  /** Nonce exchange deadline when the caller gives no signal. @default 1000 */
  timeoutMs?: number
}

class PskProtector implements ConnectionProtector {
  readonly [Symbol.toStringTag] = '@edgemesh/psk'
  private readonly key: Uint8Array
  private readonly timeoutMs: number

  constructor (init: PskProtectorInit) {
    this.key = decodePsk(init.psk)
    this.timeoutMs = init.timeoutMs ?? 1000
  }

  async protect (connection: MultiaddrConnection, options?: AbortOptions): Promise<MultiaddrConnection> {
    const log = connection.log.newScope('psk')
    const signal = options?.signal ?? AbortSignal.timeout(this.timeoutMs)
    const localNonce = Uint8Array.from(randomBytes(PSK_NONCE_LENGTH))
    const bytes = byteStream(connection)
    const [remote] = await Promise.all([
      bytes.read({ bytes: PSK_NONCE_LENGTH, signal }),
      bytes.write(localNonce, { signal })
    ])
    log('exchanged nonces')
    return new PskConnection({ inner: bytes.unwrap(), psk: this.key, localNonce, remoteNonce: remote.subarray(), log })
  }
}

/** A libp2p `connectionProtector` factory for a pre-shared key, interoperable with `@libp2p/pnet`. */
export function pskProtector (init: PskProtectorInit): () => ConnectionProtector {
  const protector = new PskProtector(init) // decode once; a bad key fails at node creation
  return () => protector
}
