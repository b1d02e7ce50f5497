import type { KubeObject, WatchEvent } from '@edgemesh/common'
import { badRequest } from '../../machinery/errors.js'
import { COMMON_HEADERS, JSON_TYPE, type ResponseFormat } from '../http-util.js'
import { fieldMatcher, labelMatcher } from '../../machinery/selectors.js'
import { toTable, type IncludeObject } from '../table.js'
import type { ResourceDefinition } from '../../machinery/types.js'
import type { RequestContext } from './context.js'

/** Waits for the socket to take more, or for `signal` (client gone, server stopping or watch timeout). */
async function drain (res: RequestContext['res'], signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => {
    const done = (): void => { res.off('drain', done); signal.removeEventListener('abort', done); resolve() }
    res.on('drain', done)
    signal.addEventListener('abort', done, { once: true })
  })
}

/**
 * Streams watch events: chunked, one JSON object per line, written as they come. Request errors
 * (bad selector, bad resourceVersion) are checked before the 200 goes out so they still become a
 * Status; later failures become ERROR events or just end the stream.
 */
export async function serveWatch (ctx: RequestContext, def: ResourceDefinition, namespace: string | undefined, format: ResponseFormat, include: IncludeObject): Promise<void> {
  const q = ctx.query
  const labelSelector = q.get('labelSelector') ?? undefined
  const fieldSelector = q.get('fieldSelector') ?? undefined
  labelMatcher(labelSelector)
  fieldMatcher(fieldSelector, def)
  const resourceVersion = q.get('resourceVersion') ?? ''
  if (resourceVersion !== '' && !/^\d+$/.test(resourceVersion)) throw badRequest(`invalid resourceVersion "${resourceVersion}"`)
  const timeoutRaw = q.get('timeoutSeconds')
  let timeout = ctx.maxWatchSeconds
  if (timeoutRaw !== null) {
    const t = Number(timeoutRaw)
    if (!Number.isInteger(t) || t < 0) throw badRequest(`invalid timeoutSeconds "${timeoutRaw}"`)
    if (t > 0) timeout = Math.min(t, ctx.maxWatchSeconds)
  }
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeout * 1000)])
  ctx.res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': JSON_TYPE, 'Transfer-Encoding': 'chunked' })
  ctx.res.flushHeaders()
  ctx.metrics.watchStarted()
  let headerSent = false
  const encode = (ev: WatchEvent): string => {
    if (format.kind !== 'table' || ev.type === 'BOOKMARK' || ev.type === 'ERROR') return ctx.storage.watchEventJson(ev)
    const obj = ev.object
    const table = toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion }, { now: new Date(), include, version: format.version, noHeaders: headerSent })
    headerSent = true
    return JSON.stringify({ type: ev.type, object: table })
  }
  try {
    for await (const ev of ctx.storage.watch(def, namespace, { labelSelector, fieldSelector, resourceVersion, allowWatchBookmarks: q.get('allowWatchBookmarks') === 'true', signal, shared: true })) {
      if (signal.aborted || ctx.res.destroyed) break
      if (!ctx.res.write(encode(ev as WatchEvent<KubeObject>) + '\n')) await drain(ctx.res, signal)
    }
  } catch (err) {
    ctx.log.warn({ err }, 'watch ended with an error')
  } finally {
    ctx.metrics.watchEnded()
    if (!ctx.res.destroyed) ctx.res.end()
  }
}
