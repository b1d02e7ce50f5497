import { z, type KubeList, type KubeObject } from '@edgemesh/common'
import { ApiError, badRequest } from '../../machinery/errors.js'
import { bodyFormat, decodeBody, negotiate, readBody, sendJson, warningHeaders, type ResponseFormat } from '../http-util.js'
import { isPlainObject } from '../../machinery/object-meta.js'
import { applyBinding, toScale } from '../subresources.js'
import type { FieldValidation, WriteOptions } from '../backend.js'
import type { ResourceRoute } from '../router.js'
import { toTable, type IncludeObject } from '../table.js'
import type { DeleteOpts, PatchType, ResourceDefinition } from '../../machinery/types.js'
import type { RequestContext } from './context.js'
import { SUBRESOURCE_INFO } from './discovery.js'
import { serveWatch } from './watch.js'
import { STREAMING_SUBRESOURCES } from '../streaming.js'

const DeleteOptionsSchema = z.object({
  kind: z.string().optional(),
  apiVersion: z.string().optional(),
  propagationPolicy: z.enum(['Foreground', 'Background', 'Orphan']).optional(),
  gracePeriodSeconds: z.number().int().min(0).optional(),
  orphanDependents: z.boolean().optional(),
  dryRun: z.array(z.literal('All')).optional(),
  preconditions: z.object({ uid: z.string().optional(), resourceVersion: z.string().optional() }).strict().optional()
}).strict()

const notServed = (): ApiError => new ApiError('NotFound', 'the server could not find the requested resource')

/** kube-apiserver's default when the parameter is absent is Warn; kubectl always sends Strict explicitly. */
function fieldValidationOf (q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation')
  if (v === null || v === '') return 'Warn'
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v
  throw badRequest(`fieldValidation must be one of Strict, Warn, Ignore; got "${v}"`)
}

function dryRunOf (q: URLSearchParams): boolean {
  const all = q.getAll('dryRun')
  if (all.length === 0) return false
  if (all.every(v => v === 'All')) return true
  throw badRequest(`dryRun must be "All"; got ${JSON.stringify(all)}`)
}

function includeOf (q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject')
  if (v === null || v === '') return 'Metadata'
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v
  throw badRequest(`includeObject must be one of None, Metadata, Object; got "${v}"`)
}

function intParam (q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name)
  if (v === null || v === '') return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`${name} must be a non-negative integer; got "${v}"`)
  return n
}

function respondObject (ctx: RequestContext, status: number, def: ResourceDefinition, obj: KubeObject, format: ResponseFormat, include: IncludeObject, headers: Record<string, string | string[]> = {}): void {
  if (format.kind === 'table' && obj.kind === def.kind) {
    sendJson(ctx.res, status, toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion }, { now: new Date(), include, version: format.version }), headers)
    return
  }
  sendJson(ctx.res, status, obj, headers)
}

/** Serves one resource request (all verbs, subresources, watch). */
export async function handleResource (ctx: RequestContext, r: ResourceRoute): Promise<void> {
  const def = ctx.registry.lookup(r.group, r.version, r.resource)
  ctx.labels.resource = def === undefined ? 'unknown' : r.subresource === undefined ? r.resource : `${r.resource}/${r.subresource}`
  ctx.labels.verb = r.verb
  if (def === undefined) throw notServed()
  if (!def.namespaced && r.namespace !== undefined) throw notServed()
  if (def.verbs !== undefined && !def.verbs.includes(r.verb)) throw new ApiError('MethodNotAllowed', `${r.verb} is not supported on ${r.resource}`)
  if (r.subresource !== undefined) {
    const verbs = SUBRESOURCE_INFO[r.subresource]?.verbs
    if (def.subresources?.includes(r.subresource) !== true || verbs === undefined) throw notServed()
    if (!verbs.includes(r.verb)) throw new ApiError('MethodNotAllowed', `${r.verb} is not supported on ${r.resource}/${r.subresource}`)
  }
  // Reached only when the server has no streaming handler (the edge's meta-server serves no logs or shells).
  if (r.subresource !== undefined && STREAMING_SUBRESOURCES[r.subresource] !== undefined) {
    throw new ApiError('NotFound', r.subresource === 'log' ? 'pod logs are not available from this server' : `pods/${r.subresource} is not available from this server`)
  }
  const needsNs = def.namespaced && r.namespace === undefined && r.verb !== 'list' && r.verb !== 'watch'
  const q = ctx.query
  const format = negotiate(ctx.req.headers.accept, { table: true })
  const include = includeOf(q)

  let body: unknown
  let patchType: PatchType | undefined
  if (r.verb === 'create' || r.verb === 'update' || r.verb === 'patch' || r.verb === 'delete' || r.verb === 'deletecollection') {
    const hasBody = ctx.req.headers['content-length'] !== undefined && ctx.req.headers['content-length'] !== '0' || ctx.req.headers['transfer-encoding'] !== undefined
    const fmt = hasBody || r.verb === 'patch' ? bodyFormat(ctx.req.headers['content-type'], ctx.req.method ?? 'GET') : { format: 'json' as const }
    patchType = fmt.patchType
    // No abort signal: a client that goes away ends the body stream itself, and asking for
    // ctx.signal would create a controller per write request.
    body = decodeBody(await readBody(ctx.req, ctx.bodyLimit), fmt.format)
    if ((r.verb === 'create' || r.verb === 'update') && !isPlainObject(body)) throw badRequest('the request body must be a JSON or YAML object')
    if (r.verb === 'patch' && body === undefined) throw badRequest('the patch body is empty')
  }
  const bodyName = isPlainObject(body) && isPlainObject(body.metadata) && typeof body.metadata.name === 'string' ? body.metadata.name : undefined
  const nameForAuthz = r.name ?? (r.verb === 'create' ? bodyName : undefined)
  await ctx.authz.authorize(ctx.user, { verb: r.verb, group: r.group, resource: r.resource, subresource: r.subresource, namespace: r.namespace, name: nameForAuthz })
  if (needsNs) throw notServed()

  const warnings: string[] = []
  const wopts = (): WriteOptions => ({ user: ctx.user, dryRun: dryRunOf(q), fieldManager: q.get('fieldManager') ?? undefined, fieldValidation: fieldValidationOf(q), warnings })
  const ns = r.namespace
  const name = r.name
  const st = ctx.storage

  switch (r.verb) {
    case 'get': {
      const obj = await st.get(def, ns, name!)
      if (r.subresource === 'scale') { sendJson(ctx.res, 200, toScale(obj)); return }
      respondObject(ctx, 200, def, obj, format, include)
      return
    }
    case 'list': {
      const list = await st.list(def, ns, {
        labelSelector: q.get('labelSelector') ?? undefined,
        fieldSelector: q.get('fieldSelector') ?? undefined,
        limit: intParam(q, 'limit'),
        continue: q.get('continue') ?? undefined,
        resourceVersion: q.get('resourceVersion') ?? undefined
      })
      if (format.kind === 'table') {
        sendJson(ctx.res, 200, toTable(def, list.items, list.metadata, { now: new Date(), include, version: format.version }))
        return
      }
      sendJson(ctx.res, 200, list)
      return
    }
    case 'watch':
      await serveWatch(ctx, def, ns, format, include)
      return
    case 'create': {
      const opts = wopts()
      if (r.subresource === 'binding') {
        const obj = await bind(ctx, def, ns, name!, body, opts)
        sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201, details: { name: obj.metadata.name, kind: def.resource } }, warningHeaders(warnings))
        return
      }
      if (name !== undefined) throw new ApiError('MethodNotAllowed', `POST is not supported on a named ${def.resource} object`)
      const obj = await st.create(def, ns, body, { ...opts, bodyOwned: true })
      respondObject(ctx, 201, def, obj, format, include, warningHeaders(warnings))
      return
    }
    case 'update': {
      const opts = wopts()
      if (r.subresource === 'scale') { sendJson(ctx.res, 200, await st.updateScale(def, ns, name!, body, opts), warningHeaders(warnings)); return }
      const obj = await st.update(def, ns, name!, body, { ...opts, bodyOwned: true, subresource: r.subresource === 'status' ? 'status' : undefined })
      respondObject(ctx, 200, def, obj, format, include, warningHeaders(warnings))
      return
    }
    case 'patch': {
      const opts = wopts()
      const force = q.get('force')
      if (force !== null && patchType !== 'apply') throw badRequest('force may only be set for apply patches')
      if (patchType === 'apply' && (opts.fieldManager === undefined || opts.fieldManager === '')) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
      if (r.subresource === 'scale') { sendJson(ctx.res, 200, await st.patchScale(def, ns, name!, patchType!, body, opts), warningHeaders(warnings)); return }
      const res = await st.patch(def, ns, name!, patchType!, body, { ...opts, force: force === 'true', subresource: r.subresource === 'status' ? 'status' : undefined })
      respondObject(ctx, res.created ? 201 : 200, def, res.object, format, include, warningHeaders(warnings))
      return
    }
    case 'delete': {
      const opts = deleteOptions(q, body)
      const res = await st.delete(def, ns, name!, { ...opts, user: ctx.user, dryRun: opts.dryRun })
      if (res.deleted) {
        sendJson(ctx.res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: def.group, kind: def.resource, uid: res.object.metadata.uid } })
        return
      }
      sendJson(ctx.res, 200, res.object)
      return
    }
    case 'deletecollection': {
      const opts = deleteOptions(q, body)
      const list = await st.list(def, ns, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined })
      const items: KubeObject[] = []
      for (const item of list.items) {
        try {
          items.push((await st.delete(def, item.metadata.namespace, item.metadata.name!, { ...opts, user: ctx.user, dryRun: opts.dryRun })).object)
        } catch (err) {
          if ((err as { code?: string }).code !== 'API_NOT_FOUND') throw err
        }
      }
      const out: KubeList = { apiVersion: list.apiVersion, kind: list.kind, metadata: {}, items }
      sendJson(ctx.res, 200, out)
    }
  }
}

function deleteOptions (q: URLSearchParams, body: unknown): DeleteOpts & { dryRun: boolean } {
  // Most deletes carry no body; skip the schema for them.
  const parsed = body === undefined || body === null ? { success: true as const, data: {} as z.infer<typeof DeleteOptionsSchema> } : DeleteOptionsSchema.safeParse(body)
  if (!parsed.success) throw badRequest(`invalid DeleteOptions: ${parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
  const o = parsed.data
  const qp = q.get('propagationPolicy')
  if (qp !== null && qp !== 'Foreground' && qp !== 'Background' && qp !== 'Orphan') throw badRequest(`invalid propagationPolicy "${qp}"`)
  const qg = intParam(q, 'gracePeriodSeconds')
  let propagationPolicy = o.propagationPolicy ?? (qp ?? undefined)
  if (propagationPolicy === undefined && (o.orphanDependents === true || q.get('orphanDependents') === 'true')) propagationPolicy = 'Orphan'
  return {
    propagationPolicy,
    gracePeriodSeconds: o.gracePeriodSeconds ?? qg,
    preconditions: o.preconditions,
    dryRun: dryRunOf(q) || (o.dryRun?.length ?? 0) > 0
  }
}

/**
 * pods/binding: sets spec.nodeName once (applyBinding checks and builds the bound pod), then records
 * the PodScheduled condition through the status path, since the main endpoint ignores status.
 */
async function bind (ctx: RequestContext, def: ResourceDefinition, ns: string | undefined, name: string, body: unknown, opts: WriteOptions): Promise<KubeObject> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const pod = await ctx.storage.get(def, ns, name)
    const bound = applyBinding(pod, body)
    try {
      const updated = await ctx.storage.update(def, ns, name, bound, { ...opts, fieldValidation: 'Ignore' })
      if (opts.dryRun === true) return updated
      return await ctx.storage.update(def, ns, name, { ...updated, status: bound.status, metadata: { ...updated.metadata, resourceVersion: '' } }, { ...opts, fieldValidation: 'Ignore', subresource: 'status' })
    } catch (err) {
      if ((err as { code?: string }).code !== 'API_CONFLICT') throw err
    }
  }
  throw new ApiError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": too many concurrent updates`)
}
