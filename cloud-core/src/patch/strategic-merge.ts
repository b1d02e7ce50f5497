import type { GroupVersionKind } from '@edgemesh/common'
import type { PatchMeta, PatchSchema } from '@edgemesh/kube/machinery'
import { invalidPatch, clone, isObject, kindOf, put, type JsonObject, type JsonValue } from '@edgemesh/kube/server'

/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), following the
 * semantics of apimachinery's strategicpatch package as the API server applies it (nulls that match
 * nothing are dropped, `$deleteFromPrimitiveList` lists are applied). Where upstream keeps patch
 * directives inside newly added subtrees or rejects `$patch: merge`, we strip/accept them: see README.
 */

const DIRECTIVE = '$patch'
const RETAIN_KEYS = '$retainKeys'
const SET_ORDER = '$setElementOrder/'
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/'

interface Ctx { schema: PatchSchema, gvk: GroupVersionKind }

/**
 * Applies `patch` to a copy of `original`. Throws PATCH_INVALID (with the dotted field path) on a
 * malformed patch; never modifies its inputs.
 */
export function strategicMerge<T = JsonObject> (original: unknown, patch: unknown, schema: PatchSchema, gvk: GroupVersionKind): T {
  if (!isObject(patch)) throw invalidPatch('a strategic merge patch must be a JSON object')
  if (original !== undefined && original !== null && !isObject(original)) throw invalidPatch('strategic merge applies to JSON objects only')
  const ctx: Ctx = { schema, gvk }
  return mergeMap(isObject(original) ? clone(original) : {}, clone(patch), [], ctx) as T
}

const dotted = (path: readonly string[]): string => path.length === 0 ? '<root>' : path.join('.')

function metaOf (ctx: Ctx, path: readonly string[]): { mergeKey: string, strategy: string } {
  const meta: PatchMeta | undefined = ctx.schema.lookup(ctx.gvk, path)
  // retainKeys only matters to clients building patches; the applier acts on the explicit $retainKeys directive.
  const strategies = (meta?.strategy ?? '').split(',').map(s => s.trim()).filter(s => s !== '' && s !== 'retainKeys')
  if (strategies.length > 1) throw invalidPatch(`${dotted(path)}: unexpected patch strategy ${JSON.stringify(meta?.strategy)}`, dotted(path))
  return { mergeKey: meta?.mergeKey ?? '', strategy: strategies[0] ?? '' }
}

/** What a patch value turns into where there is nothing to merge with: directives and nulls removed. */
const DROP = Symbol('drop')
function materialize (v: JsonValue): JsonValue | typeof DROP {
  if (Array.isArray(v)) {
    const out: JsonValue[] = []
    for (const e of v) {
      // Items carrying $patch are list-level instructions, never data.
      if (isObject(e) && Object.hasOwn(e, DIRECTIVE)) continue
      const m = materialize(e)
      if (m !== DROP) out.push(m)
    }
    return out
  }
  if (isObject(v)) {
    if (v[DIRECTIVE] === 'delete') return DROP
    const out: JsonObject = {}
    for (const [k, x] of Object.entries(v)) {
      if (x === null || k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue
      const m = materialize(x)
      if (m !== DROP) put(out, k, m)
    }
    return out
  }
  return v
}

function setMaterialized (target: JsonObject, k: string, v: JsonValue): void {
  const m = materialize(v)
  if (m === DROP) delete target[k]
  else put(target, k, m)
}

function mergeMap (original: JsonObject, patch: JsonObject, path: readonly string[], ctx: Ctx): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const d = patch[DIRECTIVE]
    if (d === 'delete') return {}
    if (d === 'replace') {
      const m = materialize({ ...patch, [DIRECTIVE]: null })
      return m === DROP ? {} : m as JsonObject
    }
    if (d !== 'merge') throw invalidPatch(`${dotted(path)}: unknown patch directive ${JSON.stringify(d)}`, dotted(path))
    delete patch[DIRECTIVE]
  }

  applyRetainKeys(original, patch, path)
  applySetElementOrder(original, patch, path, ctx)

  for (const [rawKey, patchV] of Object.entries(patch)) {
    let k = rawKey
    let isDeleteList = false
    if (rawKey.startsWith(DELETE_PRIMITIVE)) {
      k = rawKey.slice(DELETE_PRIMITIVE.length)
      if (k === '') throw invalidPatch(`${dotted(path)}: malformed ${DELETE_PRIMITIVE} directive`, dotted(path))
      isDeleteList = true
    }
    const childPath = [...path, k]
    if (patchV === null) {
      if (!isDeleteList) delete original[k]
      continue
    }
    if (!Object.hasOwn(original, k)) {
      if (!isDeleteList) setMaterialized(original, k, patchV)
      continue
    }
    const origV = original[k] as JsonValue
    const ok = kindOf(origV)
    if (ok !== kindOf(patchV) || (ok !== 'object' && ok !== 'array')) {
      if (!isDeleteList) setMaterialized(original, k, patchV)
      continue
    }
    const meta = metaOf(ctx, childPath)
    if (ok === 'object') {
      if (meta.strategy === 'replace') setMaterialized(original, k, patchV)
      else put(original, k, mergeMap(origV as JsonObject, patchV as JsonObject, childPath, ctx))
    } else {
      put(original, k, mergeSliceHandler(origV as JsonValue[], patchV as JsonValue[], childPath, meta, isDeleteList, ctx))
    }
  }
  return original
}

function applyRetainKeys (original: JsonObject, patch: JsonObject, path: readonly string[]): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return
  const list = patch[RETAIN_KEYS]
  delete patch[RETAIN_KEYS]
  if (!Array.isArray(list)) throw invalidPatch(`${dotted(path)}: ${RETAIN_KEYS} must be a list`, dotted(path))
  const keep = new Set(list.map(v => String(v)))
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PRIMITIVE) || k.startsWith(SET_ORDER)) continue
    if (!keep.has(k)) throw invalidPatch(`${dotted(path)}: field ${JSON.stringify(k)} is in the patch but not in ${RETAIN_KEYS}`, dotted(path))
  }
  for (const k of Object.keys(original)) {
    if (!keep.has(k)) delete original[k]
  }
}

function mergeSliceHandler (original: JsonValue[], patch: JsonValue[], path: readonly string[], meta: { mergeKey: string, strategy: string }, isDeleteList: boolean, ctx: Ctx): JsonValue[] {
  if (meta.strategy === 'merge' || isDeleteList) return mergeSlice(original, patch, path, meta.mergeKey, isDeleteList, ctx)
  const m = materialize(patch)
  return m === DROP ? [] : m as JsonValue[]
}

type ElemKind = ReturnType<typeof kindOf>

function elementKind (path: readonly string[], ...lists: ReadonlyArray<readonly JsonValue[]>): ElemKind | undefined {
  let kind: ElemKind | undefined
  for (const list of lists) {
    for (const v of list) {
      const k = kindOf(v)
      if (k === 'array') throw invalidPatch(`${dotted(path)}: lists of lists cannot be merged`, dotted(path))
      if (kind !== undefined && k !== kind) throw invalidPatch(`${dotted(path)}: list element types are not identical`, dotted(path))
      kind = k
    }
  }
  return kind
}

/** The value an item is identified by in ordering: its merge key for maps, itself for scalars. */
function identity (item: JsonValue, mergeKey: string, kind: ElemKind): unknown {
  if (kind !== 'object') return item
  return isObject(item) ? item[mergeKey] : undefined
}

/**
 * First position of each identity in a list. Every lookup below goes through one of these: a linear
 * scan per item made merging n patch items into n stored ones quadratic (a node's 40k-item
 * `nodes/status` patch took 40 s and blocked the event loop).
 */
class Positions {
  private readonly at = new Map<unknown, number>()
  constructor (list: readonly JsonValue[], private readonly mergeKey: string, private readonly kind: ElemKind) {
    list.forEach((v, i) => { this.add(v, i) })
  }

  /** Records `item` at `index` unless its identity is already at an earlier position. */
  add (item: JsonValue, index: number): void {
    const id = identity(item, this.mergeKey, this.kind)
    if (!this.at.has(id)) this.at.set(id, index)
  }

  indexOf (item: JsonValue): number {
    return this.at.get(identity(item, this.mergeKey, this.kind)) ?? -1
  }
}

function requireMergeKey (path: readonly string[], mergeKey: string, ...lists: ReadonlyArray<readonly JsonValue[]>): void {
  for (const list of lists) {
    for (const v of list) {
      if (!isObject(v) || !Object.hasOwn(v, mergeKey)) throw invalidPatch(`${dotted(path)}: list item does not contain the merge key ${JSON.stringify(mergeKey)}`, dotted(path))
    }
  }
}

function mergeSlice (original: JsonValue[], patch: JsonValue[], path: readonly string[], mergeKey: string, isDeleteList: boolean, ctx: Ctx): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original
  const kind = elementKind(path, original, patch) as ElemKind
  let merged: JsonValue[]
  let patchItemsOrder: JsonValue[] = patch
  let serverOrder = original
  if (kind !== 'object') {
    if (isDeleteList) {
      const drop = new Set(patch)
      return original.filter(v => !drop.has(v))
    }
    const seen = new Set<JsonValue>()
    merged = []
    for (const v of [...original, ...patch]) if (!seen.has(v)) { seen.add(v); merged.push(v) }
  } else {
    if (isDeleteList) throw invalidPatch(`${dotted(path)}: ${DELETE_PRIMITIVE} applies to lists of scalars only`, dotted(path))
    if (mergeKey === '') throw invalidPatch(`${dotted(path)}: cannot merge lists without a merge key`, dotted(path))
    const special = applySpecialElements(original, patch, path, mergeKey)
    serverOrder = special.original
    patchItemsOrder = special.patch
    merged = [...special.original]
    const positions = new Positions(merged, mergeKey, kind)
    for (const item of special.patch) {
      requireMergeKey(path, mergeKey, [item])
      const idx = positions.indexOf(item)
      if (idx >= 0) merged[idx] = mergeMap(merged[idx] as JsonObject, item as JsonObject, path, ctx)
      else {
        const m = materialize(item)
        if (m !== DROP) { positions.add(m, merged.length); merged.push(m) }
      }
    }
  }
  const [inPatch, serverOnly] = partition(merged, patchItemsOrder, mergeKey, kind, path)
  return normalizeElementOrder(inPatch, serverOnly, patchItemsOrder, serverOrder, mergeKey, kind, path)
}

/** Handles `$patch` items of a merge list: deletions by key, `replace` of the whole list. */
function applySpecialElements (original: JsonValue[], patch: JsonValue[], path: readonly string[], mergeKey: string): { original: JsonValue[], patch: JsonValue[] } {
  const plain: JsonValue[] = []
  let replace = false
  const deleted = new Set<unknown>()
  for (const v of patch) {
    const item = v as JsonObject
    if (!Object.hasOwn(item, DIRECTIVE)) { plain.push(v); continue }
    const d = item[DIRECTIVE]
    if (d === 'delete') {
      if (!Object.hasOwn(item, mergeKey)) throw invalidPatch(`${dotted(path)}: $patch: delete item needs the merge key ${JSON.stringify(mergeKey)}`, dotted(path))
      deleted.add(item[mergeKey])
    } else if (d === 'replace') {
      replace = true
    } else if (d === 'merge') {
      // Explicitly asking for the default list behaviour; upstream rejects it, we accept it as a no-op.
    } else {
      throw invalidPatch(`${dotted(path)}: unknown patch directive ${JSON.stringify(d)}`, dotted(path))
    }
  }
  if (replace) {
    const m = materialize(plain)
    return { original: m === DROP ? [] : m as JsonValue[], patch: [] }
  }
  const orig = deleted.size === 0 ? original : original.filter(o => !(isObject(o) && deleted.has(o[mergeKey])))
  return { original: orig, patch: plain }
}

function partition (list: readonly JsonValue[], by: readonly JsonValue[], mergeKey: string, kind: ElemKind, path: readonly string[]): [JsonValue[], JsonValue[]] {
  if (kind === 'object') requireMergeKey(path, mergeKey, list)
  const inBy: JsonValue[] = []
  const rest: JsonValue[] = []
  const positions = new Positions(by, mergeKey, kind)
  for (const v of list) (positions.indexOf(v) >= 0 ? inBy : rest).push(v)
  return [inBy, rest]
}

/** Stable sort of `items` by their position in `order`; items absent from `order` go first, as upstream's comparator does. */
function sortByOrder (items: JsonValue[], order: readonly JsonValue[], mergeKey: string, kind: ElemKind): JsonValue[] {
  const positions = new Positions(order, mergeKey, kind)
  return items
    .map((v, i) => ({ v, i, at: positions.indexOf(v) }))
    .sort((a, b) => (a.at - b.at) || (a.i - b.i))
    .map(x => x.v)
}

/**
 * Orders a merged list: patch items by the patch (or $setElementOrder), server-only items by the
 * live list, then interleaves them so each server-only item stays before the first patch item that
 * follows it in the live list. Precedence: $setElementOrder > patch order > live order.
 */
function normalizeElementOrder (patchItems: JsonValue[], serverOnly: JsonValue[], patchOrder: readonly JsonValue[], serverOrder: readonly JsonValue[], mergeKey: string, kind: ElemKind, path: readonly string[]): JsonValue[] {
  let toDelete: JsonValue[] = []
  let left = serverOnly
  let right = patchItems
  if (kind === 'object') {
    requireMergeKey(path, mergeKey, patchItems, patchOrder, serverOnly, serverOrder)
    toDelete = right.filter(v => isObject(v) && v[DIRECTIVE] === 'delete')
    right = right.filter(v => !(isObject(v) && v[DIRECTIVE] === 'delete'))
  }
  right = [...sortByOrder(right, patchOrder, mergeKey, kind), ...toDelete]
  left = sortByOrder(left, serverOrder, mergeKey, kind)
  const out: JsonValue[] = []
  const server = new Positions(serverOrder, mergeKey, kind)
  let i = 0
  let j = 0
  while (i < left.length || j < right.length) {
    if (i >= left.length) { out.push(right[j++] as JsonValue); continue }
    if (j >= right.length) { out.push(left[i++] as JsonValue); continue }
    const li = server.indexOf(left[i] as JsonValue)
    const ri = server.indexOf(right[j] as JsonValue)
    if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++] as JsonValue)
    else out.push(right[j++] as JsonValue)
  }
  return out
}

function applySetElementOrder (original: JsonObject, patch: JsonObject, path: readonly string[], ctx: Ctx): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue
    const order = patch[key]
    delete patch[key]
    const field = key.slice(SET_ORDER.length)
    const childPath = [...path, field]
    if (field === '' || !Array.isArray(order)) throw invalidPatch(`${dotted(childPath)}: malformed ${SET_ORDER} directive`, dotted(childPath))
    const origV = Object.hasOwn(original, field) ? original[field] : undefined
    const patchV = Object.hasOwn(patch, field) ? patch[field] : undefined
    if (origV !== undefined && !Array.isArray(origV)) throw invalidPatch(`${dotted(childPath)}: ${SET_ORDER} on a field that is not a list`, dotted(childPath))
    if (patchV !== undefined && patchV !== null && !Array.isArray(patchV)) throw invalidPatch(`${dotted(childPath)}: ${SET_ORDER} on a field that is not a list`, dotted(childPath))
    const origList = origV as JsonValue[] | undefined
    const patchList = (patchV ?? undefined) as JsonValue[] | undefined
    const meta = metaOf(ctx, childPath)
    validateOrder(patchList ?? [], order, meta.mergeKey, childPath)

    let merged: JsonValue[]
    if (origList !== undefined && patchList === undefined) merged = origList
    else if (origList === undefined && patchList !== undefined) merged = materialize(patchList) as JsonValue[]
    else if (origList !== undefined && patchList !== undefined) merged = mergeSliceHandler(origList, patchList, childPath, meta, false, ctx)
    else continue
    delete patch[field]
    if (merged.length === 0) { put(original, field, merged); continue }
    const kind = elementKind(childPath, origList ?? [], patchList ?? [], merged) as ElemKind
    const [inOrder, serverOnly] = partition(merged, order, meta.mergeKey, kind, childPath)
    put(original, field, normalizeElementOrder(inOrder, serverOnly, order, origList ?? [], meta.mergeKey, kind, childPath))
  }
}

/** Patch items (deletions aside) must appear in $setElementOrder, in the same relative order. */
function validateOrder (patchList: readonly JsonValue[], order: readonly JsonValue[], mergeKey: string, path: readonly string[]): void {
  if (patchList.length === 0 || order.length === 0) return
  const items = mergeKey === '' ? patchList : patchList.filter(v => !(isObject(v) && v[DIRECTIVE] === 'delete'))
  const same = (a: JsonValue, b: JsonValue): boolean => {
    if (mergeKey === '') return a === b
    requireMergeKey(path, mergeKey, [a, b])
    return (a as JsonObject)[mergeKey] === (b as JsonObject)[mergeKey]
  }
  let p = 0
  let s = 0
  while (p < items.length && s < order.length) {
    const item = items[p] as JsonValue
    if (isObject(item) && Object.hasOwn(item, DIRECTIVE)) { p++; continue }
    if (same(item, order[s] as JsonValue)) p++
    s++
  }
  if (p < items.length) throw invalidPatch(`${dotted(path)}: the order of the patch list does not match ${SET_ORDER}${path[path.length - 1] ?? ''}`, dotted(path))
}
