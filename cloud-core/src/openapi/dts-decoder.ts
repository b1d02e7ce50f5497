import type { JSONSchema } from './schema-types.js'

/**
 * Decodes the declaration files of the `kubernetes-types` package (generated from the upstream
 * OpenAPI spec, one file per group/version, JSDoc = upstream descriptions) back into schemas.
 * The files come out of one generator, so the format is regular: `export interface X {` with one
 * `name?: Type;` per line (maps span three lines), `export type X = ...;` aliases, and named
 * imports from sibling modules. Anything we do not recognise becomes "any value" rather than an
 * error, so a package update can only loosen validation, never break startup.
 */

export interface DecodedField {
  name: string
  description?: string
  optional: boolean
  /** Type expression text as written: 'string', 'Array<Container>', '{ [name: string]: string; }'. */
  type: string
}

export type DecodedType =
  | { kind: 'interface', name: string, description?: string, fields: DecodedField[] }
  | { kind: 'alias', name: string, description?: string, type: string }

export interface DecodedModule {
  /** Module path inside the package: 'apps/v1', 'meta/v1', 'runtime'. */
  path: string
  /** Imported type name → module path it comes from. */
  imports: Map<string, string>
  types: Map<string, DecodedType>
}

const IMPORT_RE = /^import \{ (.+) \} from "(.+)";$/
const INTERFACE_RE = /^export interface (\w+) \{(\s*\})?$/
const ALIAS_RE = /^export type (\w+) = (.+);$/
const FIELD_RE = /^(?:readonly )?("[^"]+"|[\w$]+)(\?)?: (.*)$/

/** Resolves `../meta/v1` relative to module `apps/v1` → `meta/v1`. */
export function resolveModulePath (from: string, spec: string): string {
  const parts = from.split('/').slice(0, -1)
  for (const seg of spec.split('/')) {
    if (seg === '.' || seg === '') continue
    if (seg === '..') parts.pop()
    else parts.push(seg)
  }
  return parts.join('/')
}

function docText (lines: string[]): string {
  const text = lines
    .map(l => l.trim().replace(/^\/\*\*\s?/, '').replace(/\s?\*\/$/, '').replace(/^\*\s?/, '').replace(/^\*$/, ''))
    .join('\n')
    .trim()
  return text
}

export function decodeModule (path: string, text: string): DecodedModule {
  const lines = text.split('\n')
  const mod: DecodedModule = { path, imports: new Map(), types: new Map() }
  let doc: string | undefined
  let i = 0
  // Reads a JSDoc block starting at line i; returns its text and advances i past it.
  const readDoc = (): string => {
    const buf: string[] = []
    for (; i < lines.length; i++) {
      const l = lines[i] ?? ''
      buf.push(l)
      if (l.includes('*/')) { i++; break }
    }
    return docText(buf)
  }
  while (i < lines.length) {
    const line = (lines[i] ?? '').trim()
    if (line.startsWith('/**')) { doc = readDoc(); continue }
    const imp = IMPORT_RE.exec(line)
    if (imp !== null) {
      const target = resolveModulePath(path, imp[2] ?? '')
      for (const n of (imp[1] ?? '').split(',')) mod.imports.set(n.trim(), target)
      i++; doc = undefined; continue
    }
    const alias = ALIAS_RE.exec(line)
    if (alias !== null) {
      const name = alias[1] ?? ''
      mod.types.set(name, { kind: 'alias', name, description: doc, type: alias[2] ?? '' })
      i++; doc = undefined; continue
    }
    const iface = INTERFACE_RE.exec(line)
    if (iface !== null) {
      const name = iface[1] ?? ''
      const description = doc
      doc = undefined
      i++
      const fields: DecodedField[] = []
      if (iface[2] === undefined) {
        let fdoc: string | undefined
        while (i < lines.length && lines[i] !== '}') {
          const l = (lines[i] ?? '').trim()
          if (l.startsWith('/**')) { fdoc = readDoc(); continue }
          const f = FIELD_RE.exec(l)
          if (f !== null) {
            let type = (f[3] ?? '').trim()
            if (type === '{') {
              // A map type spans lines until the closing `};`.
              const parts = ['{']
              for (i++; i < lines.length; i++) {
                const t = (lines[i] ?? '').trim()
                if (t === '};') { parts.push('}'); break }
                parts.push(t)
              }
              type = parts.join(' ')
            } else {
              type = type.replace(/;$/, '')
            }
            fields.push({ name: (f[1] ?? '').replace(/^"|"$/g, ''), description: fdoc, optional: f[2] === '?', type })
            fdoc = undefined
          }
          i++
        }
      }
      mod.types.set(name, { kind: 'interface', name, description, fields })
      i++
      continue
    }
    if (line !== '') doc = undefined
    i++
  }
  return mod
}

/** How a named type is turned into a reference; returns undefined when the name is unknown. */
export type RefResolver = (typeName: string) => JSONSchema | undefined

/** Splits on `sep` at nesting depth 0 (outside <>, {}, ()). */
function splitTop (text: string, sep: string): string[] {
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let k = 0; k < text.length; k++) {
    const c = text[k]
    if (c === '<' || c === '{' || c === '(' || c === '[') depth++
    else if (c === '>' || c === '}' || c === ')' || c === ']') depth--
    else if (c === sep && depth === 0) { out.push(text.slice(start, k)); start = k + 1 }
  }
  out.push(text.slice(start))
  return out.map(s => s.trim())
}

const ANY: JSONSchema = { 'x-kubernetes-preserve-unknown-fields': true }

/** Converts a type expression into a schema; named types go through `ref`. */
export function typeExpressionSchema (expr: string, ref: RefResolver): JSONSchema {
  const t = expr.trim()
  const union = splitTop(t, '|')
  if (union.length > 1) {
    const set = new Set(union)
    // Upstream IntOrString is the only number|string union in the generated types.
    if (set.size === 2 && set.has('number') && set.has('string')) {
      return { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true }
    }
    // The JSONSchemaPropsOr* unions: accept anything rather than guess.
    return { ...ANY }
  }
  if (t === 'string') return { type: 'string' }
  // TypeScript has one number type; Kubernetes API conventions forbid floats in built-in types,
  // so every number is an integer except the few listed in schema-index.ts (FLOAT_FIELDS).
  if (t === 'number') return { type: 'integer' }
  if (t === 'boolean') return { type: 'boolean' }
  if (/^"[^"]*"$/.test(t)) return { type: 'string' }
  const arr = /^Array<(.+)>$/.exec(t)
  if (arr !== null) return { type: 'array', items: typeExpressionSchema(arr[1] ?? '', ref) }
  if (t.endsWith('[]')) return { type: 'array', items: typeExpressionSchema(t.slice(0, -2), ref) }
  const map = /^\{\s*\[\w+: string\]: (.+?);?\s*\}$/.exec(t)
  if (map !== null) return { type: 'object', additionalProperties: typeExpressionSchema(map[1] ?? '', ref) }
  if (/^\w+$/.test(t)) return ref(t) ?? { ...ANY }
  return { ...ANY }
}
