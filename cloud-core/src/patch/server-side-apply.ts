import { apiVersionOf, type GroupVersionKind } from '@edgemesh/common'
import { jsonEqual, timestamp, type PatchSchema } from '@edgemesh/kube/machinery'
import { ApplyConflictError, invalidPatch, type FieldConflict, clone, isObject, put, type JsonObject, type JsonValue } from '@edgemesh/kube/server'
import { decodeFields, encodeFields, fieldsOf, isUnder, listKind, newSet, pathKey, pathString, removeAt, valueAt, type FieldPath, type FieldSet, type FieldsV1 } from './field-set.js'

/**
 * Server-side apply and field ownership (`metadata.managedFields`), modelled on the
 * structured-merge-diff behaviour kube-apiserver exposes: appliers own what they apply, changing a
 * field someone else owns is a conflict unless forced, and fields an applier stops applying are
 * removed unless another manager still owns them.
 */

export type ManagedOperation = 'Apply' | 'Update'

export interface ManagedFieldsEntry {
  manager: string
  operation: ManagedOperation
  apiVersion: string
  /** RFC 3339, second precision. */
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: FieldsV1
  subresource?: string
}

export interface OwnershipOptions {
  schema: PatchSchema
  gvk: GroupVersionKind
  now: Date
  /** Set for writes through a subresource ('status', 'scale'); such entries are tracked separately. */
  subresource?: string
}

export interface ApplyOptions extends OwnershipOptions {
  /** The fieldManager query parameter (kubectl sends 'kubectl'). */
  manager: string
  /** `force=true` (kubectl --force-conflicts): take over conflicting fields instead of failing. */
  force: boolean
  /**
   * Treat the fields of a live object without any managedFields as owned by `before-first-apply`
   * (kube-apiserver does). Off by default: while some write paths do not record managedFields,
   * that would make appliers conflict with values nobody actually claimed.
   * @default false
   */
  ownUntracked?: boolean
}

export interface ApplyResult {
  /** The new object, `metadata.managedFields` included. */
  object: JsonObject
  managedFields: ManagedFieldsEntry[]
}

interface Owner { entry: ManagedFieldsEntry, set: FieldSet }

/** The manager name kube-apiserver gives to fields that existed before the first apply. */
export const BEFORE_FIRST_APPLY = 'before-first-apply'

function hasManagedFields (obj: JsonObject): boolean {
  const mf = isObject(obj.metadata) ? obj.metadata.managedFields : undefined
  return Array.isArray(mf) && mf.length > 0
}

function sameOwner (e: ManagedFieldsEntry, manager: string, operation: ManagedOperation, subresource: string | undefined): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '')
}

/** Reads `metadata.managedFields`; entries we cannot understand are dropped rather than failing writes. */
export function readManagedFields (obj: unknown): Owner[] {
  const mf = isObject(obj) && isObject(obj.metadata) ? obj.metadata.managedFields : undefined
  if (!Array.isArray(mf)) return []
  const out: Owner[] = []
  for (const e of mf) {
    if (!isObject(e) || typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update')) continue
    try {
      const set = decodeFields(e.fieldsV1 ?? {})
      const entry: ManagedFieldsEntry = {
        manager: e.manager,
        operation: e.operation,
        apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
        time: typeof e.time === 'string' ? e.time : '',
        fieldsType: 'FieldsV1',
        fieldsV1: e.fieldsV1 as FieldsV1,
        ...(typeof e.subresource === 'string' && e.subresource !== '' ? { subresource: e.subresource } : {})
      }
      out.push({ entry, set })
    } catch {
      continue
    }
  }
  return out
}

function finish (owners: Owner[]): ManagedFieldsEntry[] {
  return owners.filter(o => o.set.size > 0).map(o => ({ ...o.entry, fieldsV1: encodeFields(o.set) }))
}

function withManagedFields (obj: JsonObject, entries: ManagedFieldsEntry[]): JsonObject {
  const meta = isObject(obj.metadata) ? obj.metadata : {}
  if (entries.length > 0) put(meta, 'managedFields', entries as unknown as JsonValue)
  else delete meta.managedFields
  put(obj, 'metadata', meta)
  return obj
}

/** The merge key field of a keyed item identifies the item; it goes only with the item itself. */
function isItemKeyField (p: FieldPath): boolean {
  const last = p[p.length - 1]
  const parent = p[p.length - 2]
  if (last === undefined || parent === undefined || !last.startsWith('f:') || !parent.startsWith('k:')) return false
  try {
    return Object.hasOwn(JSON.parse(parent.slice(2)) as object, last.slice(2))
  } catch {
    return false
  }
}

/** Apply configurations express "unset" by omission; nulls are dropped the same way. */
function stripNulls (v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(stripNulls)
  if (!isObject(v)) return v
  const out: JsonObject = {}
  for (const [k, x] of Object.entries(v)) if (x !== null) put(out, k, stripNulls(x))
  return out
}

/** Merges an apply configuration into the live object: maps and keyed/set lists merge, everything else is replaced. */
function mergeApplied (live: JsonValue | undefined, applied: JsonValue, schemaPath: readonly string[], opts: OwnershipOptions): JsonValue {
  if (isObject(live) && isObject(applied)) {
    const out = clone(live)
    for (const [k, v] of Object.entries(applied)) put(out, k, mergeApplied(Object.hasOwn(out, k) ? out[k] : undefined, v, [...schemaPath, k], opts))
    return out
  }
  if (Array.isArray(live) && Array.isArray(applied)) {
    const lk = listKind(opts, schemaPath, live, applied)
    if (lk.kind === 'keyed') {
      const out = clone(live)
      for (const item of applied as JsonObject[]) {
        const i = out.findIndex(x => isObject(x) && jsonEqual(x[lk.mergeKey], item[lk.mergeKey]))
        if (i >= 0) out[i] = mergeApplied(out[i], item, schemaPath, opts)
        else out.push(clone(item))
      }
      return out
    }
    if (lk.kind === 'set') {
      const out = clone(live)
      for (const v of applied) if (!out.some(x => jsonEqual(x, v))) out.push(v)
      return out
    }
  }
  return clone(applied)
}

/**
 * Server-side apply of `applied` (the manifest kubectl sends) by `manager` onto `live`
 * (undefined = create). Throws ApplyConflictError (PATCH_APPLY_CONFLICT) when a field owned by
 * another manager would change and `force` is false; PATCH_INVALID for a malformed configuration.
 * Inputs are not modified.
 */
export function apply (live: unknown, applied: unknown, opts: ApplyOptions): ApplyResult {
  if (!isObject(applied)) throw invalidPatch('an apply configuration must be a JSON object')
  if (live !== undefined && !isObject(live)) throw invalidPatch('server-side apply applies to JSON objects only')
  const config = stripNulls(applied) as JsonObject
  if (isObject(config.metadata)) delete config.metadata.managedFields
  const appliedSet = fieldsOf(config, opts, true)
  const owners = live === undefined ? [] : readManagedFields(live)
  if (opts.ownUntracked === true && live !== undefined && !hasManagedFields(live)) {
    // As upstream: an object written before anyone tracked ownership is owned by a placeholder
    // manager, so the first apply cannot silently overwrite values it never set.
    const set = fieldsOf(live, opts, false)
    if (set.size > 0) owners.push({ entry: { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: apiVersionOf(opts.gvk), time: timestamp(opts.now), fieldsType: 'FieldsV1', fieldsV1: {} }, set })
  }
  const entry: ManagedFieldsEntry = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: typeof config.apiVersion === 'string' ? config.apiVersion : apiVersionOf(opts.gvk),
    time: timestamp(opts.now),
    fieldsType: 'FieldsV1',
    fieldsV1: {},
    ...(opts.subresource !== undefined ? { subresource: opts.subresource } : {})
  }

  if (live === undefined) {
    const object = clone(config)
    const managedFields = finish([{ entry, set: appliedSet }])
    return { object: withManagedFields(object, managedFields), managedFields }
  }

  // Conflicts: a leaf we apply whose live value differs and that another manager owns.
  const conflicts: FieldConflict[] = []
  const conflicting = new Map<Owner, FieldPath[]>()
  for (const [key, p] of appliedSet) {
    // List items are identities, not values: only their fields can conflict.
    if (!(p[p.length - 1] ?? '').startsWith('f:')) continue
    const liveV = valueAt(live, p)
    const appliedV = valueAt(config, p)
    if (liveV === undefined || jsonEqual(liveV, appliedV)) continue
    // An empty map merges into whatever is there without changing it.
    if (isObject(appliedV) && Object.keys(appliedV).length === 0 && isObject(liveV)) continue
    const field = pathString(p)
    for (const o of owners) {
      if (o.entry.manager === opts.manager || !o.set.has(key)) continue
      if (!conflicts.some(c => c.manager === o.entry.manager && c.field === field)) conflicts.push({ manager: o.entry.manager, field })
      conflicting.set(o, [...(conflicting.get(o) ?? []), p])
    }
  }
  if (conflicts.length > 0 && !opts.force) throw new ApplyConflictError(conflicts)
  for (const [o, paths] of conflicting) for (const p of paths) o.set.delete(pathKey(p))

  const mine = owners.find(o => sameOwner(o.entry, opts.manager, 'Apply', opts.subresource))
  const previous = mine?.set ?? newSet()
  // What this manager applies now is no longer recorded as its earlier non-apply writes.
  for (const o of owners) {
    if (o !== mine && o.entry.manager === opts.manager) for (const k of appliedSet.keys()) o.set.delete(k)
  }

  const object = clone(live)
  const others = owners.filter(o => o !== mine)
  // Shortest first, so a dropped list item goes as a whole instead of field by field.
  const dropped = [...previous.values()]
    .filter(p => !appliedSet.has(pathKey(p)))
    .sort((a, b) => a.length - b.length)
  const removed: FieldPath[] = []
  for (const p of dropped) {
    if (removed.some(r => isUnder(p, r)) || isItemKeyField(p)) continue
    const stillOwned = others.some(o => [...o.set.values()].some(q => isUnder(q, p))) ||
      [...appliedSet.values()].some(q => isUnder(q, p))
    if (!stillOwned) {
      removeAt(object, p)
      removed.push(p)
    }
  }

  const merged = mergeApplied(object, config, [], opts) as JsonObject
  if (mine !== undefined) {
    mine.entry = { ...entry }
    mine.set = appliedSet
  } else {
    owners.push({ entry, set: appliedSet })
  }
  const managedFields = finish(owners)
  return { object: withManagedFields(merged, managedFields), managedFields }
}

/**
 * Field ownership after an ordinary create/update/patch by `manager` (e.g. kubectl-client-side-apply,
 * kubectl-patch, a controller): it gains every field whose value it set or changed, other managers
 * lose those fields, and fields that disappeared are dropped from every entry. A request that sets
 * `metadata.managedFields` itself replaces the recorded ownership first (kubectl does this when it
 * migrates client-side apply to server-side apply); `[{}]` clears it. Returns the new entries; the
 * caller stores them in `metadata.managedFields`.
 */
export function updateManagedFields (old: unknown, updated: unknown, manager: string, operation: ManagedOperation, opts: OwnershipOptions): ManagedFieldsEntry[] {
  if (!isObject(updated)) throw invalidPatch('managed fields are tracked for JSON objects only')
  const sent = isObject(updated.metadata) ? updated.metadata.managedFields : undefined
  const stored = isObject(old) && isObject(old.metadata) ? old.metadata.managedFields : undefined
  if (Array.isArray(sent) && sent.length === 1 && isObject(sent[0]) && Object.keys(sent[0]).length === 0) return []
  const useSent = Array.isArray(sent) && sent.length > 0 && !jsonEqual(sent, stored)
  const owners = readManagedFields(useSent ? updated : old)

  const newFields = fieldsOf(updated, opts, false)
  const oldFields = isObject(old) ? fieldsOf(old, opts, false) : newSet()
  const changed: FieldSet = newSet()
  for (const [k, p] of newFields) {
    // A list item changes hands only when it is added; edits inside it move just the edited fields.
    const isItem = !(p[p.length - 1] ?? '').startsWith('f:')
    if (!oldFields.has(k) || (!isItem && !jsonEqual(valueAt(old as JsonValue, p), valueAt(updated, p)))) changed.set(k, p)
  }
  const removed = [...oldFields.keys()].filter(k => !newFields.has(k))

  let mine = owners.find(o => sameOwner(o.entry, manager, operation, opts.subresource))
  if (mine === undefined && changed.size > 0) {
    mine = {
      entry: {
        manager,
        operation,
        apiVersion: typeof updated.apiVersion === 'string' ? updated.apiVersion : apiVersionOf(opts.gvk),
        time: timestamp(opts.now),
        fieldsType: 'FieldsV1',
        fieldsV1: {},
        ...(opts.subresource !== undefined ? { subresource: opts.subresource } : {})
      },
      set: newSet()
    }
    owners.push(mine)
  }
  for (const o of owners) {
    for (const k of removed) o.set.delete(k)
    if (o !== mine) for (const k of changed.keys()) o.set.delete(k)
  }
  if (mine !== undefined && changed.size > 0) {
    for (const [k, p] of changed) mine.set.set(k, p)
    mine.entry = { ...mine.entry, time: timestamp(opts.now) }
  }
  return finish(owners)
}
