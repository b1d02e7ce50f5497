import type { GroupVersionKind } from '@edgemesh/common'
import { jsonEqual, type PatchSchema } from '@edgemesh/kube/machinery'
import { invalidPatch, isObject, type JsonObject, type JsonValue } from '@edgemesh/kube/server'

/**
 * Field paths and sets in the managedFields `FieldsV1` vocabulary: `f:<name>` a member,
 * `k:{"name":"x"}` a list item found by its merge key, `v:<json>` an item of a set-like scalar list.
 * A set holds leaves (scalars, empty maps, atomic lists) and list items themselves; intermediate
 * maps are implied by their children, as upstream encodes them.
 */

export type PathElement = string
export type FieldPath = readonly PathElement[]

/** FieldsV1 JSON: nested objects keyed by path element, `.` marks a node that is itself owned. */
export type FieldsV1 = Record<string, unknown>

/** Set of paths keyed by their JSON encoding, so equal paths collapse. */
export type FieldSet = Map<string, FieldPath>

export const pathKey = (p: FieldPath): string => JSON.stringify(p)

export function newSet (paths: Iterable<FieldPath> = []): FieldSet {
  const s: FieldSet = new Map()
  for (const p of paths) s.set(pathKey(p), p)
  return s
}

export interface WalkContext { schema: PatchSchema, gvk: GroupVersionKind }

/** Paths never owned by anyone: identity and bookkeeping the server sets itself. */
const IGNORED_ROOT = new Set(['apiVersion', 'kind'])
const IGNORED_METADATA = new Set(['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'name', 'namespace'])

function isIgnored (schemaPath: readonly string[]): boolean {
  if (schemaPath.length === 1) return IGNORED_ROOT.has(schemaPath[0] as string)
  return schemaPath.length === 2 && schemaPath[0] === 'metadata' && IGNORED_METADATA.has(schemaPath[1] as string)
}

export type ListKind = { kind: 'keyed', mergeKey: string } | { kind: 'set' } | { kind: 'atomic' }

/** How a list at `schemaPath` is owned: keyed items, set items or as one atomic value. */
export function listKind (ctx: WalkContext, schemaPath: readonly string[], ...lists: ReadonlyArray<readonly JsonValue[]>): ListKind {
  const meta = ctx.schema.lookup(ctx.gvk, schemaPath)
  const strategies = (meta?.strategy ?? '').split(',').map(s => s.trim())
  const items = lists.flat()
  const mergeKey = meta?.mergeKey ?? ''
  // Duplicate keys happen where upstream keys by more fields than the patch merge key (ports by
  // port+protocol: DNS on 53/TCP and 53/UDP); such lists are owned and merged as one value.
  if (mergeKey !== '' && items.every(isObject) && lists.every(l => !hasDuplicateKeys(l, mergeKey))) return { kind: 'keyed', mergeKey }
  if (strategies.includes('merge') && items.every(v => v === null || typeof v !== 'object')) return { kind: 'set' }
  return { kind: 'atomic' }
}

function hasDuplicateKeys (list: readonly JsonValue[], mergeKey: string): boolean {
  const seen = new Set<string>()
  for (const item of list) {
    const kv = isObject(item) ? item[mergeKey] : undefined
    if (kv === undefined) continue
    const k = JSON.stringify(kv)
    if (seen.has(k)) return true
    seen.add(k)
  }
  return false
}

export const keyElement = (mergeKey: string, value: JsonValue): PathElement => `k:${JSON.stringify({ [mergeKey]: value })}`
export const valueElement = (value: JsonValue): PathElement => `v:${JSON.stringify(value)}`

/**
 * Every owned path of `obj`. `strict` (for apply configurations) rejects keyed items without their
 * key; otherwise (stored objects) such lists are owned atomically.
 */
export function fieldsOf (obj: JsonValue | undefined, ctx: WalkContext, strict: boolean): FieldSet {
  const out: FieldSet = new Map()
  if (!isObject(obj)) return out
  walkMembers(obj, [], [], ctx, strict, out)
  return out
}

function add (out: FieldSet, p: FieldPath): void { out.set(pathKey(p), p) }

function walkMembers (obj: JsonObject, schemaPath: readonly string[], path: FieldPath, ctx: WalkContext, strict: boolean, out: FieldSet): void {
  for (const [k, v] of Object.entries(obj)) {
    const sp = [...schemaPath, k]
    if (v === undefined || (path.length === schemaPath.length && isIgnored(sp))) continue
    walkValue(v, sp, [...path, `f:${k}`], ctx, strict, out)
  }
}

function walkValue (v: JsonValue, schemaPath: readonly string[], path: FieldPath, ctx: WalkContext, strict: boolean, out: FieldSet): void {
  if (isObject(v)) {
    if (Object.keys(v).length === 0) add(out, path)
    else walkMembers(v, schemaPath, path, ctx, strict, out)
    return
  }
  if (!Array.isArray(v) || v.length === 0) { add(out, path); return }
  const lk = listKind(ctx, schemaPath, v)
  if (lk.kind === 'keyed') {
    const elements: Array<[PathElement, JsonObject]> = []
    for (const item of v as JsonObject[]) {
      const kv = item[lk.mergeKey]
      if (kv === undefined) {
        if (strict) throw invalidPatch(`.${schemaPath.join('.')}: list item without its key "${lk.mergeKey}"`, schemaPath.join('.'))
        add(out, path)
        return
      }
      elements.push([keyElement(lk.mergeKey, kv), item])
    }
    for (const [el, item] of elements) {
      add(out, [...path, el])
      walkMembers(item, schemaPath, [...path, el], ctx, strict, out)
    }
    return
  }
  if (lk.kind === 'set') {
    for (const item of v) add(out, [...path, valueElement(item)])
    return
  }
  add(out, path)
}

function parseElement (el: PathElement): { type: 'f', name: string } | { type: 'k', key: JsonObject } | { type: 'v', value: JsonValue } {
  if (el.startsWith('f:')) return { type: 'f', name: el.slice(2) }
  try {
    if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as unknown
      if (isObject(key)) return { type: 'k', key }
    } else if (el.startsWith('v:')) {
      return { type: 'v', value: JSON.parse(el.slice(2)) as JsonValue }
    }
  } catch { /* reported below */ }
  throw invalidPatch(`bad field path element ${JSON.stringify(el)}`)
}

function findItem (list: JsonValue[], el: PathElement): number {
  const e = parseElement(el)
  if (e.type === 'f') return -1
  if (e.type === 'v') return list.findIndex(x => jsonEqual(x, e.value))
  return list.findIndex(x => isObject(x) && Object.entries(e.key).every(([k, kv]) => jsonEqual(x[k], kv)))
}

/** The value at `path` in `obj`, or undefined when it is not there. */
export function valueAt (obj: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let cur: JsonValue | undefined = obj
  for (const el of path) {
    if (el.startsWith('f:')) {
      const name = el.slice(2)
      cur = isObject(cur) && Object.hasOwn(cur, name) ? cur[name] : undefined
    } else {
      cur = Array.isArray(cur) ? cur[findItem(cur, el)] : undefined
    }
    if (cur === undefined) return undefined
  }
  return cur
}

/** Removes the member or list item at `path` from `obj` in place; a missing path is a no-op. */
export function removeAt (obj: JsonValue, path: FieldPath): void {
  const last = path[path.length - 1]
  if (last === undefined) return
  const parent = valueAt(obj, path.slice(0, -1))
  if (last.startsWith('f:')) {
    if (isObject(parent)) delete parent[last.slice(2)]
  } else if (Array.isArray(parent)) {
    const i = findItem(parent, last)
    if (i >= 0) parent.splice(i, 1)
  }
}

/** `p` equals `prefix` or lies below it. */
export function isUnder (p: FieldPath, prefix: FieldPath): boolean {
  return p.length >= prefix.length && prefix.every((el, i) => p[i] === el)
}

/** The upstream human form used in conflict messages: `.spec.containers[name="nginx"].image`. */
export function pathString (p: FieldPath): string {
  return p.map(el => {
    const e = parseElement(el)
    if (e.type === 'f') return `.${e.name}`
    if (e.type === 'v') return `[=${JSON.stringify(e.value)}]`
    return `[${Object.entries(e.key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`
  }).join('')
}

export function encodeFields (set: FieldSet): FieldsV1 {
  const root: Record<string, Record<string, unknown>> = {}
  const paths = [...set.values()]
  for (const p of paths) {
    let node: Record<string, unknown> = root
    for (const el of p) {
      node[el] ??= {}
      node = node[el] as Record<string, unknown>
    }
  }
  const owned = new Set(set.keys())
  return sortTree(root, [], owned)
}

function sortTree (node: Record<string, unknown>, path: PathElement[], owned: Set<string>): FieldsV1 {
  const out: FieldsV1 = {}
  const keys = Object.keys(node).sort()
  if (path.length > 0 && keys.length > 0 && owned.has(pathKey(path))) out['.'] = {}
  for (const k of keys) out[k] = sortTree(node[k] as Record<string, unknown>, [...path, k], owned)
  return out
}

/** Decodes FieldsV1 JSON; throws PATCH_INVALID on anything that is not a tree of path elements. */
export function decodeFields (fields: unknown): FieldSet {
  const out: FieldSet = new Map()
  if (!isObject(fields)) throw invalidPatch('fieldsV1 must be an object')
  const walk = (node: JsonObject, path: PathElement[]): void => {
    const children = Object.keys(node).filter(k => k !== '.')
    if (path.length > 0 && (children.length === 0 || Object.hasOwn(node, '.'))) add(out, path)
    for (const k of children) {
      parseElement(k)
      const child = node[k]
      if (!isObject(child)) throw invalidPatch(`fieldsV1 node ${JSON.stringify(k)} must be an object`)
      walk(child, [...path, k])
    }
  }
  walk(fields, [])
  return out
}
