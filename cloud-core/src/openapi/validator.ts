import { QUANTITY_PATTERN, type GroupVersionKind } from '@edgemesh/common'
import { isPlainObject, type FieldCause, type SchemaValidationResult, type SchemaValidator } from '@edgemesh/kube/machinery'
import { componentRef, type JSONSchema } from './schema-types.js'
import type { SchemaIndex } from './schema-index.js'

export interface OpenApiValidatorInit {
  /**
   * Nesting beyond this depth is reported as a cause instead of walked (guards the stack
   * against hostile bodies; real objects stay far below).
   * @default 100
   */
  maxDepth?: number
  /**
   * Stop collecting after this many problems: a body with thousands of bogus fields should
   * not produce a thousand-line Status.
   * @default 100
   */
  maxProblems?: number
}

export interface OpenApiValidatorComponents {
  index: SchemaIndex
}

const OBJECT_META: JSONSchema = { $ref: componentRef('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta') }
const STRING: JSONSchema = { type: 'string' }
/** Fields every embedded resource (x-kubernetes-embedded-resource) may carry without declaring them. */
const EMBEDDED: Record<string, JSONSchema> = { apiVersion: STRING, kind: STRING, metadata: OBJECT_META }

interface Walk {
  prune: boolean
  unknownFields: string[]
  causes: FieldCause[]
  budget: number
}

function describe (value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (value === null) return 'null'
  return typeof value
}

function show (value: unknown): string {
  try {
    const s = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value)
    return s.length > 64 ? `${s.slice(0, 61)}...` : s
  } catch {
    return `"${describe(value)}"`
  }
}

/**
 * Validates request bodies against the OpenAPI schema of their kind: unknown fields (as dotted
 * paths, the way kube-apiserver's strict decoding names them), wrong types and missing required
 * fields. Never throws on the object: anything odd becomes a cause. `prune` removes unknown fields
 * instead, which is what kube-apiserver does with them under fieldValidation=Ignore/Warn.
 */
export class OpenApiValidator implements SchemaValidator {
  private readonly index: SchemaIndex
  private readonly maxDepth: number
  private readonly maxProblems: number
  private readonly patterns = new WeakMap<JSONSchema, RegExp | null>()

  constructor (components: OpenApiValidatorComponents, init: OpenApiValidatorInit = {}) {
    this.index = components.index
    this.maxDepth = init.maxDepth ?? 100
    this.maxProblems = init.maxProblems ?? 100
  }

  validate (gvk: GroupVersionKind, obj: unknown): SchemaValidationResult {
    return this.run(gvk, obj, false)
  }

  /** Deletes fields the schema does not know, in place; returns their paths. Type errors are left alone. */
  prune (gvk: GroupVersionKind, obj: unknown): string[] {
    return this.run(gvk, obj, true).unknownFields
  }

  private run (gvk: GroupVersionKind, obj: unknown, prune: boolean): SchemaValidationResult {
    const w: Walk = { prune, unknownFields: [], causes: [], budget: this.maxProblems }
    const root = this.index.schemaFor(gvk)
    if (root === undefined) return { unknownFields: [], causes: [] }
    if (!isPlainObject(obj)) {
      w.causes.push({ field: '', reason: 'FieldValueTypeInvalid', message: `Invalid value: "${describe(obj)}": body must be of type object` })
      return w
    }
    try {
      this.walk(root, obj, '', 0, w)
    } catch (err) {
      // Only reachable through exotic host objects (throwing getters); report rather than fail the request.
      w.causes.push({ field: '', reason: 'FieldValueInvalid', message: `could not be validated: ${(err as Error).message}` })
    }
    return { unknownFields: w.unknownFields, causes: w.causes }
  }

  private problem (w: Walk, cause: FieldCause): void {
    if (w.budget <= 0) return
    w.budget--
    w.causes.push(cause)
  }

  private typeError (w: Walk, path: string, value: unknown, type: string): void {
    this.problem(w, {
      field: path,
      reason: 'FieldValueTypeInvalid',
      message: `Invalid value: "${describe(value)}": ${path === '' ? 'body' : path} in body must be of type ${type}: ${show(value)}`
    })
  }

  private walk (schema: JSONSchema, value: unknown, path: string, depth: number, w: Walk): void {
    // JSON null means "unset" to kube-apiserver's decoder, for every field.
    if (value === null || value === undefined || w.budget <= 0) return
    if (depth > this.maxDepth) {
      this.problem(w, { field: path, reason: 'FieldValueInvalid', message: `nesting deeper than ${this.maxDepth} levels` })
      return
    }
    const s = this.index.resolve(schema)
    if (s['x-kubernetes-int-or-string'] === true) {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) this.typeError(w, path, value, 'integer or string')
      return
    }
    if (s.format === 'quantity') {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) this.typeError(w, path, value, 'string or number (quantity)')
      // A malformed quantity stored once would make every later scheduling pass throw on it.
      else if (typeof value === 'string' && !QUANTITY_PATTERN.test(value.trim())) {
        this.problem(w, { field: path, reason: 'FieldValueInvalid', message: `Invalid value: "${value}": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` })
      }
      return
    }
    switch (s.type) {
      case 'object':
        if (!isPlainObject(value)) { this.typeError(w, path, value, 'object'); return }
        this.walkObject(s, value, path, depth, w)
        return
      case 'array':
        if (!Array.isArray(value)) { this.typeError(w, path, value, 'array'); return }
        if (s.items !== undefined) {
          for (let i = 0; i < value.length && w.budget > 0; i++) this.walk(s.items, value[i], `${path}[${i}]`, depth + 1, w)
        }
        this.checkArrayLimits(s, value, path, w)
        return
      case 'string':
        if (typeof value !== 'string') { this.typeError(w, path, value, 'string'); return }
        this.checkString(s, value, path, w)
        break
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value)) { this.typeError(w, path, value, 'integer'); return }
        this.checkNumber(s, value, path, w)
        break
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) { this.typeError(w, path, value, 'number'); return }
        this.checkNumber(s, value, path, w)
        break
      case 'boolean':
        if (typeof value !== 'boolean') { this.typeError(w, path, value, 'boolean'); return }
        break
      default:
        // Untyped: free-form unless it declares properties (a sloppy CRD schema).
        if (s.properties !== undefined && isPlainObject(value)) this.walkObject(s, value, path, depth, w)
        return
    }
    if (Array.isArray(s.enum) && s.enum.length > 0 && !s.enum.some(e => e === value)) {
      this.problem(w, {
        field: path,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${show(value)}: supported values: ${s.enum.map(e => show(e)).join(', ')}`
      })
    }
  }

  private walkObject (s: JSONSchema, value: Record<string, unknown>, path: string, depth: number, w: Walk): void {
    const props = s.properties
    const addl = s.additionalProperties
    const embedded = s['x-kubernetes-embedded-resource'] === true
    const freeForm = s['x-kubernetes-preserve-unknown-fields'] === true || addl === true || (props === undefined && addl === undefined)
    for (const key of Object.keys(value)) {
      if (w.budget <= 0) return
      const child = path === '' ? key : `${path}.${key}`
      if (props !== undefined && Object.hasOwn(props, key)) {
        this.walk(props[key] ?? {}, value[key], child, depth + 1, w)
      } else if (embedded && Object.hasOwn(EMBEDDED, key)) {
        this.walk(EMBEDDED[key] ?? {}, value[key], child, depth + 1, w)
      } else if (typeof addl === 'object') {
        this.walk(addl, value[key], `${path}[${key}]`, depth + 1, w)
      } else if (!freeForm) {
        if (w.prune) {
          delete value[key]
          w.unknownFields.push(child)
        } else if (w.unknownFields.length < this.maxProblems) {
          w.unknownFields.push(child)
        }
      }
    }
    if (Array.isArray(s.required)) {
      for (const r of s.required) {
        if (typeof r === 'string' && value[r] === undefined && !Object.hasOwn(value, r)) {
          this.problem(w, { field: path === '' ? r : `${path}.${r}`, reason: 'FieldValueRequired', message: 'Required value' })
        }
      }
    }
  }

  private checkString (s: JSONSchema, value: string, path: string, w: Walk): void {
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) {
      this.problem(w, { field: path, reason: 'FieldValueTooLong', message: `Too long: may not be longer than ${s.maxLength}` })
    }
    if (typeof s.minLength === 'number' && value.length < s.minLength) {
      this.problem(w, { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should be at least ${s.minLength} chars long` })
    }
    if (typeof s.pattern === 'string') {
      let re = this.patterns.get(s)
      if (re === undefined) {
        try { re = new RegExp(s.pattern, 'u') } catch { re = null }
        this.patterns.set(s, re)
      }
      if (re !== null && !re.test(value)) {
        this.problem(w, { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should match '${s.pattern}'` })
      }
    }
  }

  private checkNumber (s: JSONSchema, value: number, path: string, w: Walk): void {
    if (typeof s.minimum === 'number' && value < s.minimum) {
      this.problem(w, { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${path} in body should be greater than or equal to ${s.minimum}` })
    }
    if (typeof s.maximum === 'number' && value > s.maximum) {
      this.problem(w, { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${path} in body should be less than or equal to ${s.maximum}` })
    }
  }

  private checkArrayLimits (s: JSONSchema, value: unknown[], path: string, w: Walk): void {
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) {
      this.problem(w, { field: path, reason: 'FieldValueTooMany', message: `Too many: ${value.length}: must have at most ${s.maxItems} items` })
    }
    if (typeof s.minItems === 'number' && value.length < s.minItems) {
      this.problem(w, { field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value.length}: ${path} in body should have at least ${s.minItems} items` })
    }
  }
}

/** Factory in the style of the other components. */
export function openApiValidator (init: OpenApiValidatorInit = {}): (components: OpenApiValidatorComponents) => OpenApiValidator {
  return (components) => new OpenApiValidator(components, init)
}
