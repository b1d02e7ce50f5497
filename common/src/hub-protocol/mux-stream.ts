import { AsyncQueue } from '../async-queue.js'
import { PodStreamError, type PodStream, type PodStreamFrame, type PodStreamKind } from '../pod-streams.js'
import { dataFrameCost, type StreamFrame } from './stream-frames.js'

/** Why a stream was torn down (a metric label: a small fixed set). */
export type StreamAbortCause = 'link' | 'timeout' | 'credit' | 'protocol' | 'peer' | 'local'

/** What a stream needs from the link multiplexer that carries it. */
export interface StreamLink {
  /** Largest DATA payload per frame; bigger sends are split. */
  readonly maxFrameDataBytes: number
  /** Credit granted back once the consumer has taken this much. */
  readonly grantThreshold: number
  /** Queues one frame on the socket; false once the link is gone. */
  write: (frame: StreamFrame) => boolean
  /** Can DATA go on the socket now (its queue below the high-water mark)? */
  writable: () => boolean
  /** Calls `wake` once when the socket queue drains (or the link closes). */
  whenWritable: (wake: () => void) => void
  /** The stream is finished or torn down: forget it. */
  release: (s: MuxStream, cause?: StreamAbortCause) => void
  /** Buffered-bytes accounting across the link's streams. */
  buffered: (delta: number) => void
}

/**
 * One pod stream over the edge link. Credit: the peer may send DATA costing up to what this end granted
 * (`allowance`); this end sends only while it holds credit from the peer (`credit`), and grants more as
 * its consumer takes frames, so what a receiver buffers never exceeds its window.
 */
export class MuxStream implements PodStream {
  private readonly ac = new AbortController()
  private readonly inbox = new AsyncQueue<PodStreamFrame>()
  /** Bytes of DATA (cost) this end may still send. */
  private credit = 0
  /** Bytes of DATA (cost) the peer may still send us. */
  private allowance = 0
  /** Taken by the consumer since the last grant. */
  private ungranted = 0
  private queued = 0
  private endCalled = false
  private localEnded = false
  private remoteEnded = false
  private released = false
  private sendChain: Promise<void> = Promise.resolve()
  private wake?: () => void

  constructor (readonly id: number, readonly kind: PodStreamKind, private readonly link: StreamLink) {}

  get signal (): AbortSignal { return this.ac.signal }
  /** Unconsumed DATA bytes (cost) held for the consumer. */
  get bufferedBytes (): number { return this.queued }
  get isReleased (): boolean { return this.released }

  /** Lets the peer send `bytes` more (the initial window, and each grant). */
  grant (bytes: number): void {
    if (this.released || this.remoteEnded || bytes <= 0) return
    this.allowance += bytes
    this.link.write({ type: 'credit', id: this.id, bytes })
  }

  async send (channel: number, data: Uint8Array): Promise<void> {
    if (!Number.isInteger(channel) || channel < 0 || channel > 255) throw new PodStreamError('POD_STREAM_INVALID', `channel ${channel} is not 0..255`)
    if (this.ac.signal.aborted) throw this.abortedError()
    if (this.endCalled) throw new PodStreamError('POD_STREAM_INVALID', 'send after end')
    // One send at a time, so the chunks of concurrent sends never interleave.
    const run = this.sendChain.then(async () => { await this.sendNow(channel, data) })
    this.sendChain = run.catch(() => {})
    await run
  }

  async end (): Promise<void> {
    if (this.endCalled) { await this.sendChain; return }
    this.endCalled = true
    const run = this.sendChain.then(() => {
      if (this.ac.signal.aborted || this.localEnded) return
      this.localEnded = true
      this.link.write({ type: 'end', id: this.id })
      this.maybeFinish()
    })
    this.sendChain = run.catch(() => {})
    await run
  }

  abort (reason = 'aborted'): void {
    this.teardown('local', reason, !this.released)
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<PodStreamFrame> {
    for (;;) {
      const frame = await this.inbox.next()
      if (frame === undefined) return
      this.taken(frame)
      yield frame
    }
  }

  // --- from the link ---

  onData (channel: number, data: Uint8Array): void {
    const cost = dataFrameCost(data.byteLength)
    if (this.remoteEnded) { this.teardown('protocol', 'DATA after END', true); return }
    if (cost > this.allowance) {
      this.teardown('credit', `peer sent ${cost} bytes with ${this.allowance} bytes of credit left`, true)
      return
    }
    this.allowance -= cost
    this.queued += cost
    this.link.buffered(cost)
    this.inbox.push({ channel, data })
  }

  onEnd (): void {
    if (this.remoteEnded) { this.teardown('protocol', 'END twice', true); return }
    this.remoteEnded = true
    this.inbox.end()
    this.maybeFinish()
  }

  onCredit (bytes: number): void {
    this.credit = Math.min(Number.MAX_SAFE_INTEGER, this.credit + bytes)
    this.notify()
  }

  /**
   * Tears the stream down: `notifyPeer` sends ABORT (not when the peer aborted or the link is gone).
   * Iteration and sends fail with POD_STREAM_ABORTED from now on.
   */
  teardown (cause: StreamAbortCause, reason: string, notifyPeer: boolean): void {
    if (this.ac.signal.aborted) return
    if (notifyPeer && !this.released) this.link.write({ type: 'abort', id: this.id, reason })
    this.ac.abort(new PodStreamError('POD_STREAM_ABORTED', `pod stream aborted (${cause}): ${reason}`))
    this.inbox.fail(this.abortedError())
    this.dropQueued()
    this.notify()
    this.release(cause)
  }

  // --- internals ---

  private abortedError (): PodStreamError {
    const r: unknown = this.ac.signal.reason
    return r instanceof PodStreamError ? r : new PodStreamError('POD_STREAM_ABORTED', 'pod stream aborted')
  }

  private async sendNow (channel: number, data: Uint8Array): Promise<void> {
    let off = 0
    do {
      if (this.ac.signal.aborted) throw this.abortedError()
      const need = data.byteLength === 0 ? 1 : 2
      const hasCredit = this.credit >= need
      // Check and write in one synchronous step: streams woken together by a drained socket must each see
      // the queue the previous one left, or they all write at once and overshoot the high-water mark.
      if (hasCredit && this.link.writable()) {
        // Never more than the credit allows: a window smaller than a frame still makes progress.
        const n = Math.min(data.byteLength - off, this.link.maxFrameDataBytes, this.credit - 1)
        this.credit -= dataFrameCost(n)
        if (!this.link.write({ type: 'data', id: this.id, channel, data: data.subarray(off, off + n) })) throw this.abortedError()
        off += n
        continue
      }
      await new Promise<void>(resolve => {
        this.wake = resolve
        if (hasCredit) this.link.whenWritable(() => this.notify())
      })
    } while (off < data.byteLength)
  }

  private notify (): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }

  private taken (frame: PodStreamFrame): void {
    const cost = dataFrameCost(frame.data.byteLength)
    this.queued -= cost
    this.link.buffered(-cost)
    this.ungranted += cost
    if (this.ungranted >= this.link.grantThreshold) {
      const n = this.ungranted
      this.ungranted = 0
      this.grant(n)
    }
  }

  private dropQueued (): void {
    if (this.queued === 0) return
    this.link.buffered(-this.queued)
    this.queued = 0
  }

  private maybeFinish (): void {
    if (this.localEnded && this.remoteEnded) this.release()
  }

  private release (cause?: StreamAbortCause): void {
    if (this.released) return
    this.released = true
    this.link.release(this, cause)
  }
}
