import { z } from 'zod'
import { PatchError, invalidPatch } from './errors.js'
import { jsonEqual } from '../../machinery/object-meta.js'
import { clone, isObject, put } from './json-value.js'
import type { JsonObject, JsonValue } from './json-value.js'

/**
 * RFC 6902 JSON patch (`application/json-patch+json`). Our own small implementation rather than
 * fast-json-patch so that every failure maps to one of our codes and nothing is applied in place.
 */

const operation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('remove'), path: z.string() }),
  z.object({ op: z.literal('replace'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('move'), path: z.string(), from: z.string() }),
  z.object({ op: z.literal('copy'), path: z.string(), from: z.string() }),
  z.object({ op: z.literal('test'), path: z.string(), value: z.unknown() })
])

export type JsonPatchOperation = z.infer<typeof operation>

/** kube-apiserver's cap on operations in one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000
/**
 * Bytes (as JSON) that `copy` operations may duplicate in one patch. Without a cap, each `copy` of the
 * root into itself doubles the document: ~40 operations in a tiny body exhaust memory.
 */
export const MAX_JSON_PATCH_COPY_BYTES = 8 * 1024 * 1024

const operations = z.array(operation).max(MAX_JSON_PATCH_OPERATIONS)

/** Validates a decoded request body as a JSON patch; throws PATCH_INVALID naming the first bad operation. */
export function parseJsonPatch (body: unknown): JsonPatchOperation[] {
  const r = operations.safeParse(body)
  if (!r.success) {
    const issue = r.error.issues[0]
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`
    throw invalidPatch(`invalid JSON patch${where}: ${issue?.message ?? 'not an array of operations'}`)
  }
  // `value` is required for add/replace/test but zod's unknown() accepts a missing member.
  const raw = body as object[]
  r.data.forEach((op, i) => {
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test'
    if (needsValue && !Object.hasOwn(raw[i] ?? {}, 'value')) {
      throw invalidPatch(`invalid JSON patch at ${i}: operation "${op.op}" needs a value`, op.path)
    }
  })
  return r.data
}

/** Splits a JSON Pointer (RFC 6901) into unescaped tokens. */
export function parsePointer (pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw invalidPatch(`JSON pointer ${JSON.stringify(pointer)} must start with "/"`, pointer)
  return pointer.slice(1).split('/').map(t => {
    if (/~[^01]|~$/.test(t)) throw invalidPatch(`JSON pointer ${JSON.stringify(pointer)} has a bad escape`, pointer)
    return t.replace(/~1/g, '/').replace(/~0/g, '~')
  })
}

const INDEX = /^(0|[1-9][0-9]*)$/

function arrayIndex (arr: JsonValue[], token: string, pointer: string, allowEnd: boolean): number {
  if (allowEnd && token === '-') return arr.length
  if (!INDEX.test(token)) throw invalidPatch(`${pointer}: ${JSON.stringify(token)} is not an array index`, pointer)
  const i = Number(token)
  if (i > arr.length || (!allowEnd && i === arr.length)) throw invalidPatch(`${pointer}: index ${i} is out of bounds`, pointer)
  return i
}

/** The working document lives in a box so that operations on the root ("") can replace it. */
/** The document being patched, and how many bytes `copy` has duplicated so far. */
interface Box { root: JsonValue, copiedBytes?: number }

function resolve (box: Box, tokens: readonly string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = box.root
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!INDEX.test(t)) return undefined
      cur = cur[Number(t)]
    } else if (isObject(cur)) {
      cur = Object.hasOwn(cur, t) ? cur[t] : undefined
    } else {
      return undefined
    }
    if (cur === undefined) return undefined
  }
  return cur
}

function parentOf (box: Box, tokens: readonly string[], pointer: string): { parent: JsonObject | JsonValue[], last: string } {
  const parent = resolve(box, tokens.slice(0, -1))
  const last = tokens[tokens.length - 1] as string
  if (!Array.isArray(parent) && !isObject(parent)) throw invalidPatch(`${pointer}: parent does not exist or is not an object or array`, pointer)
  return { parent, last }
}

function add (box: Box, pointer: string, value: JsonValue): void {
  const tokens = parsePointer(pointer)
  if (tokens.length === 0) { box.root = value; return }
  const { parent, last } = parentOf(box, tokens, pointer)
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, pointer, true), 0, value)
  else put(parent, last, value)
}

function remove (box: Box, pointer: string): JsonValue {
  const tokens = parsePointer(pointer)
  if (tokens.length === 0) throw invalidPatch('cannot remove the whole document', pointer)
  const { parent, last } = parentOf(box, tokens, pointer)
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, pointer, false), 1)[0] as JsonValue
  if (!Object.hasOwn(parent, last)) throw invalidPatch(`${pointer}: no such member to remove`, pointer)
  const v = parent[last] as JsonValue
  delete parent[last]
  return v
}

function get (box: Box, pointer: string): JsonValue {
  const v = resolve(box, parsePointer(pointer))
  if (v === undefined) throw invalidPatch(`${pointer}: path does not exist`, pointer)
  return v
}

function applyOne (box: Box, op: JsonPatchOperation): void {
  switch (op.op) {
    case 'add': add(box, op.path, clone(op.value as JsonValue)); break
    case 'remove': remove(box, op.path); break
    case 'replace': {
      get(box, op.path)
      const tokens = parsePointer(op.path)
      if (tokens.length === 0) { box.root = clone(op.value as JsonValue); break }
      const { parent, last } = parentOf(box, tokens, op.path)
      if (Array.isArray(parent)) parent[arrayIndex(parent, last, op.path, false)] = clone(op.value as JsonValue)
      else put(parent, last, clone(op.value as JsonValue))
      break
    }
    case 'move': {
      if (op.path !== op.from && op.path.startsWith(op.from + '/')) throw invalidPatch(`cannot move ${op.from} into its own child ${op.path}`, op.path)
      get(box, op.from)
      if (op.path === op.from) break
      add(box, op.path, remove(box, op.from))
      break
    }
    case 'copy': {
      const value = get(box, op.from)
      box.copiedBytes = (box.copiedBytes ?? 0) + JSON.stringify(value).length
      if (box.copiedBytes > MAX_JSON_PATCH_COPY_BYTES) throw invalidPatch(`copy operations would duplicate more than ${MAX_JSON_PATCH_COPY_BYTES} bytes`, op.path)
      add(box, op.path, clone(value))
      break
    }
    case 'test': {
      const actual = resolve(box, parsePointer(op.path))
      if (actual === undefined || !jsonEqual(actual, op.value)) {
        throw new PatchError('PATCH_TEST_FAILED', `test operation failed at ${op.path}`, { path: op.path })
      }
      break
    }
  }
}

/**
 * Applies an RFC 6902 patch to a copy of `doc`. Atomic: any failing operation throws (PATCH_INVALID,
 * or PATCH_TEST_FAILED for a failed `test`) and `doc` is never modified either way.
 */
export function applyJsonPatch<T = JsonValue> (doc: unknown, patch: unknown): T {
  const ops = parseJsonPatch(patch)
  const box: Box = { root: clone(doc as JsonValue) }
  ops.forEach((op, i) => {
    try {
      applyOne(box, op)
    } catch (err) {
      if (err instanceof PatchError) throw new PatchError(err.code, `operation ${i} (${op.op} ${op.path}): ${err.message}`, { path: err.path, cause: err })
      throw err
    }
  })
  return box.root as T
}
