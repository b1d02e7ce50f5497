import { z } from 'zod'
import { AsyncQueue } from './async-queue.js'
import { CodedError } from './errors.js'

/**
 * The contract between the cloud's pod subresources (`kubectl logs/exec/attach/port-forward`) and the
 * node that runs the pod. The cloud opens one pod stream per request (per forwarded TCP connection for
 * port-forward) over a transport: the edge link for edge nodes, `podStreamPair()` in one process.
 *
 * A pod stream carries frames in both directions, each `{channel, data}`, with the channel numbers of
 * Kubernetes' `v5.channel.k8s.io`:
 * - log: the node sends the log bytes on `stdout`, then ends its side. No input.
 * - exec / attach: the cloud sends `stdin`, `resize` (JSON `{"Width":w,"Height":h}`) and `close` with
 *   data `[0]` for stdin EOF; the node sends `stdout`, `stderr`, then one `status` frame (a metav1.Status
 *   JSON: Success, or Failure with reason NonZeroExitCode and the exit code in details.causes[0].message),
 *   then ends its side.
 * - portforward: the cloud sends the client's bytes on `stdin` and `close` `[0]` when the client half-closes;
 *   the node sends the target's bytes on `stdout`, an error text on `status` if the target cannot be
 *   reached, and ends its side when the target closes.
 * A node that cannot serve a request refuses it before any frame (PodStreamRefusal: an HTTP status code
 * and message the cloud answers with), e.g. 404 for an unknown container or 400 for `previous` with no
 * previous instance.
 */
export const POD_STREAM_CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const

export const POD_STREAM_KINDS = ['log', 'exec', 'attach', 'portforward'] as const
export type PodStreamKind = typeof POD_STREAM_KINDS[number]

const dns1123 = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)

/** What the cloud asks a node to open. Validated on the receiving side (edge input is untrusted either way). */
export const podStreamRequestSchema = z.object({
  kind: z.enum(POD_STREAM_KINDS),
  namespace: dns1123,
  pod: dns1123,
  /** The pod's uid as the cloud sees it; the node refuses (409) when its pod of that name differs. */
  uid: z.string().max(128).optional(),
  /** @default the pod's only container (refused with 400 when it has several and none is named) */
  container: z.string().min(1).max(253).optional(),
  // exec / attach
  command: z.array(z.string().max(65_536)).max(1024).optional(),
  stdin: z.boolean().optional(),
  stdout: z.boolean().optional(),
  stderr: z.boolean().optional(),
  tty: z.boolean().optional(),
  // log
  follow: z.boolean().optional(),
  previous: z.boolean().optional(),
  tailLines: z.number().int().min(0).optional(),
  sinceSeconds: z.number().int().min(1).optional(),
  /** RFC 3339 */
  sinceTime: z.string().max(64).optional(),
  timestamps: z.boolean().optional(),
  limitBytes: z.number().int().min(1).optional(),
  // portforward
  port: z.number().int().min(1).max(65535).optional()
}).strict()

export type PodStreamRequest = z.infer<typeof podStreamRequestSchema>

export interface PodStreamFrame {
  channel: number
  data: Uint8Array
}

/** One end of a pod stream. */
export interface PodStream extends AsyncIterable<PodStreamFrame> {
  /** Sends one frame; resolves when the transport can take more (backpressure). Rejects once the stream is aborted. */
  send: (channel: number, data: Uint8Array) => Promise<void>
  /** Ends this side; the peer's iteration finishes after the frames already sent. Idempotent. */
  end: () => Promise<void>
  /** Tears the stream down in both directions (the peer's iteration fails with POD_STREAM_ABORTED). Idempotent. */
  abort: (reason?: string) => void
  /** Aborted when the stream is torn down by either end or by the transport (link lost). */
  readonly signal: AbortSignal
}

/** The node side: serves one request. Throw PodStreamRefusal before calling `accept` to refuse it. */
export interface PodStreamHandler {
  handle: (req: PodStreamRequest, accept: () => PodStream, signal: AbortSignal) => Promise<void>
}

/** The cloud side: opens a stream to the node that runs the pod. */
export interface PodStreamOpener {
  /** Rejects with PodStreamRefusal when the node refuses, PodStreamError(POD_STREAM_UNAVAILABLE) when the node is not connected. */
  open: (nodeName: string, req: PodStreamRequest, signal?: AbortSignal) => Promise<PodStream>
}

/** Codes in common's ERROR_CATALOGUE (errors.ts). */
export type PodStreamErrorCode = 'POD_STREAM_REFUSED' | 'POD_STREAM_UNAVAILABLE' | 'POD_STREAM_ABORTED' | 'POD_STREAM_INVALID'

export class PodStreamError extends CodedError<PodStreamErrorCode> {}

/** A node's refusal, with the HTTP status the cloud answers the client with. */
export class PodStreamRefusal extends PodStreamError {
  constructor (readonly httpStatus: number, message: string) {
    super('POD_STREAM_REFUSED', message)
  }
}

/** Both ends of an in-process pod stream (tests, and nodes served by the cloud process itself). Each side buffers up to `maxBufferedFrames` of the other's frames before `send` waits. */
export function podStreamPair (maxBufferedFrames = 64): [PodStream, PodStream] {
  const ac = new AbortController()
  const a = new PairEnd(ac, maxBufferedFrames)
  const b = new PairEnd(ac, maxBufferedFrames)
  a.peer = b
  b.peer = a
  return [a, b]
}

class PairEnd implements PodStream {
  peer!: PairEnd
  readonly inbox = new AsyncQueue<PodStreamFrame>()
  private ended = false
  private drained?: PromiseWithResolvers<void>

  constructor (private readonly ac: AbortController, private readonly max: number) {
    ac.signal.addEventListener('abort', () => {
      this.inbox.fail(new PodStreamError('POD_STREAM_ABORTED', `pod stream aborted: ${String(ac.signal.reason)}`))
      this.drained?.resolve()
    }, { once: true })
  }

  get signal (): AbortSignal { return this.ac.signal }

  async send (channel: number, data: Uint8Array): Promise<void> {
    if (this.ac.signal.aborted) throw new PodStreamError('POD_STREAM_ABORTED', 'pod stream aborted')
    if (this.ended) throw new PodStreamError('POD_STREAM_INVALID', 'send after end')
    this.peer.inbox.push({ channel, data })
    while (this.peer.inbox.size >= this.max && !this.ac.signal.aborted) {
      this.peer.drained = Promise.withResolvers<void>()
      await this.peer.drained.promise
    }
  }

  async end (): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.peer.inbox.end()
  }

  abort (reason = 'aborted'): void {
    this.ac.abort(reason)
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<PodStreamFrame> {
    for (;;) {
      const frame = await this.inbox.next()
      this.drained?.resolve()
      if (frame === undefined) return
      yield frame
    }
  }
}
