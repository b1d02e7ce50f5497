import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseYaml } from 'yaml'
import { ApiError, badRequest } from '../machinery/errors.js'
import type { PatchType } from '../machinery/types.js'

/** kube-apiserver's request body limit. */
export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024

export const JSON_TYPE = 'application/json'
export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'

export interface MediaRange { type: string, params: Record<string, string> }

/** Parses an Accept or Content-Type header into media ranges with their parameters (lower-cased type). */
export function parseMediaTypes (header: string | undefined): MediaRange[] {
  if (header === undefined || header.trim() === '') return []
  return header.split(',').map(part => {
    const [type, ...rest] = part.split(';')
    const params: Record<string, string> = {}
    for (const p of rest) {
      const i = p.indexOf('=')
      if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim()
    }
    return { type: (type ?? '').trim().toLowerCase(), params }
  }).filter(m => m.type !== '')
}

export type ResponseFormat = { kind: 'json' } | { kind: 'table', version: 'v1' | 'v1beta1' } | { kind: 'aggregated' }

const isJsonish = (t: string): boolean => t === 'application/json' || t === '*/*' || t === 'application/*'

/** Picks what to send from the Accept header, in the client's order. Throws 406 when nothing fits. */
export function negotiate (accept: string | undefined, opts: { table?: boolean, aggregated?: boolean } = {}): ResponseFormat {
  const ranges = parseMediaTypes(accept)
  if (ranges.length === 0) return { kind: 'json' }
  for (const r of ranges) {
    if (r.type !== 'application/json' && !(r.type === '*/*' && r.params.as === undefined)) continue
    const as = r.params.as
    if (as === undefined) return { kind: 'json' }
    if (opts.table === true && as === 'Table' && r.params.g === 'meta.k8s.io' && (r.params.v === 'v1' || r.params.v === 'v1beta1')) return { kind: 'table', version: r.params.v }
    if (opts.aggregated === true && as === 'APIGroupDiscoveryList' && r.params.g === 'apidiscovery.k8s.io' && r.params.v === 'v2') return { kind: 'aggregated' }
  }
  if (ranges.some(r => isJsonish(r.type) && r.params.as === undefined) || ranges.some(r => r.type === 'application/vnd.kubernetes.protobuf' || r.type === 'application/yaml')) {
    // Protobuf/YAML-only clients get JSON anyway: kubectl and client-go fall back to it.
    return { kind: 'json' }
  }
  throw new ApiError('NotAcceptable', `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io`)
}

export type BodyFormat = 'json' | 'yaml'

/** Maps a request Content-Type to how to decode it and, for PATCH, which patch type it is. */
export function bodyFormat (contentType: string | undefined, method: string): { format: BodyFormat, patchType?: PatchType } {
  const type = parseMediaTypes(contentType)[0]?.type ?? ''
  if (method === 'PATCH') {
    switch (type) {
      case 'application/json-patch+json': return { format: 'json', patchType: 'json' }
      case 'application/merge-patch+json': return { format: 'json', patchType: 'merge' }
      case 'application/strategic-merge-patch+json': return { format: 'json', patchType: 'strategic' }
      case 'application/apply-patch+yaml': return { format: 'yaml', patchType: 'apply' }
      default: throw new ApiError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`)
    }
  }
  if (type === '' || type === 'application/json') return { format: 'json' }
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return { format: 'yaml' }
  throw new ApiError('UnsupportedMediaType', `the body of the request was in an unknown format (${type}) - accepted media types include: application/json, application/yaml`)
}

/**
 * Reads the whole body, failing with 413 past `limit` bytes (the rest of the upload is not buffered).
 * Plain 'data'/'end' listeners rather than for-await: the async iterator and its end-of-stream
 * bookkeeping cost more than reading a small body on the write path.
 */
export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit)
  if (req.readableEnded) return Buffer.alloc(0)
  return await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const fail = (err: unknown): void => {
      done()
      // As the for-await reader did: an abandoned upload is not worth keeping the stream for.
      req.destroy()
      reject(err)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) { fail(tooLarge(limit)); return }
      chunks.push(chunk)
    }
    const onEnd = (): void => { done(); resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)) }
    const onError = (err: Error): void => { done(); reject(err) }
    const onClose = (): void => { done(); reject(badRequest('request aborted')) }
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onError)
    req.once('close', onClose)
  })
}

const tooLarge = (limit: number): ApiError => new ApiError('RequestEntityTooLarge', `the request body exceeds the limit of ${limit} bytes`)

/** Decodes a JSON or YAML body (one document). Empty bodies decode to undefined. */
export function decodeBody (buf: Buffer, format: BodyFormat): unknown {
  const text = buf.toString('utf8')
  if (text.trim() === '') return undefined
  try {
    if (format === 'json') return JSON.parse(text)
    return parseYaml(text, { maxAliasCount: 100, strict: true, uniqueKeys: true })
  } catch (err) {
    throw badRequest(`the request body could not be decoded as ${format === 'json' ? 'JSON' : 'YAML'}: ${((err as Error).message ?? '').split('\n')[0] ?? ''}`)
  }
}

export const COMMON_HEADERS = { 'Cache-Control': 'no-cache, private' }

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendStatus (res: ServerResponse, err: ApiError, headers: Record<string, string | string[]> = {}): void {
  sendJson(res, err.httpStatus, err.toStatus(), headers)
}

/** `Warning: 299 - "msg"` values, one per warning, quotes escaped. */
export function warningHeaders (warnings: string[]): Record<string, string[]> {
  if (warnings.length === 0) return {}
  return { Warning: warnings.map(w => `299 - "${w.replace(/[\\"]/g, m => `\\${m}`).replace(/[\r\n]/g, ' ')}"`) }
}
