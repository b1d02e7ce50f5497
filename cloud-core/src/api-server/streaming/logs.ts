import type { ServerResponse } from 'node:http'
import { POD_STREAM_CHANNEL as CH, type PodStream, type PodStreamRequest } from '@edgemesh/common'
import { badRequest } from '@edgemesh/kube/machinery'

function int (q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name)
  if (v === null || v === '') return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n)) throw badRequest(`${name}: Invalid value: "${v}": must be an integer`)
  return n
}

function bool (q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name)
  if (v === null || v === '') return undefined
  if (v === 'true' || v === '1') return true
  if (v === 'false' || v === '0') return false
  throw badRequest(`${name}: Invalid value: "${v}": must be a boolean`)
}

/** The node request for `GET pods/<p>/log` (kubectl: -f, --tail, --since, --since-time, --timestamps, --previous, --limit-bytes). */
export function logRequest (q: URLSearchParams): Omit<PodStreamRequest, 'namespace' | 'pod'> {
  const tailLines = int(q, 'tailLines')
  const sinceSeconds = int(q, 'sinceSeconds')
  const limitBytes = int(q, 'limitBytes')
  const sinceTime = q.get('sinceTime') ?? undefined
  if (tailLines !== undefined && tailLines < 0) throw badRequest(`tailLines: Invalid value: ${tailLines}: must be greater than or equal to 0`)
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw badRequest(`sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`)
  if (limitBytes !== undefined && limitBytes < 1) throw badRequest(`limitBytes: Invalid value: ${limitBytes}: must be greater than 0`)
  if (sinceTime !== undefined && Number.isNaN(Date.parse(sinceTime))) throw badRequest(`sinceTime: Invalid value: "${sinceTime}": must be an RFC 3339 time`)
  if (sinceSeconds !== undefined && sinceTime !== undefined) throw badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified')
  const out: Omit<PodStreamRequest, 'namespace' | 'pod'> = { kind: 'log' }
  const follow = bool(q, 'follow')
  const previous = bool(q, 'previous')
  const timestamps = bool(q, 'timestamps')
  if (follow !== undefined) out.follow = follow
  if (previous !== undefined) out.previous = previous
  if (timestamps !== undefined) out.timestamps = timestamps
  if (tailLines !== undefined) out.tailLines = tailLines
  if (sinceSeconds !== undefined) out.sinceSeconds = sinceSeconds
  if (sinceTime !== undefined) out.sinceTime = sinceTime
  if (limitBytes !== undefined) out.limitBytes = limitBytes
  return out
}

/**
 * Streams the node's log bytes as a 200 text/plain body until the node ends its side; Node's HTTP/1.1
 * chunks a body of unknown length by itself (no Transfer-Encoding header is set, which HTTP/2 forbids).
 * A client that goes away aborts the node stream.
 */
export async function serveLogs (res: ServerResponse, pod: PodStream): Promise<void> {
  const onClose = (): void => { if (!res.writableFinished) pod.abort('the client went away') }
  res.once('close', onClose)
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' })
  res.flushHeaders()
  try {
    for await (const f of pod) {
      if (f.channel !== CH.stdout || f.data.byteLength === 0) continue
      if (!res.write(f.data)) {
        await new Promise<void>(resolve => {
          const done = (): void => { res.off('drain', done); res.off('close', done); resolve() }
          res.on('drain', done)
          res.on('close', done)
        })
      }
      if (res.destroyed) return
    }
    res.end()
  } catch {
    // The node stream broke mid-body: the status line is gone, so ending early is all that is left.
    res.destroy()
  } finally {
    res.off('close', onClose)
  }
}
