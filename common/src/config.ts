import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { parse as parseYaml, YAMLParseError } from 'yaml'
import { z } from 'zod'
import { ConfigError } from './errors.js'

export { z }

/**
 * Parses and validates a config object against a zod schema. Build schemas with `.strict()` objects
 * so that unknown keys are errors. The first issue becomes a ConfigError naming the dotted key
 * (and the file, when given).
 */
export function parseConfig<S extends z.ZodTypeAny> (schema: S, raw: unknown, file?: string): z.infer<S> {
  const result = schema.safeParse(raw ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (issue === undefined) throw new ConfigError(`invalid configuration${where(file)}`, { file })
  let key = issue.path.join('.')
  let what = issue.message
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0] ?? ''
    key = key === '' ? unknown : `${key}.${unknown}`
    what = 'unknown key'
  }
  throw new ConfigError(`${what}: "${key === '' ? '<root>' : key}"${where(file)}`, { key, file })
}

/** Reads a YAML (or JSON) file and validates it; missing file, bad YAML and schema errors are ConfigErrors. */
export async function loadConfigFile<S extends z.ZodTypeAny> (schema: S, file: string): Promise<z.infer<S>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file${where(file)}: ${(err as Error).message}`, { file, cause: err })
  }
  let raw: unknown
  try {
    raw = parseYaml(text, { strict: true, uniqueKeys: true })
  } catch (err) {
    const line = err instanceof YAMLParseError ? ` (line ${err.linePos?.[0]?.line ?? '?'})` : ''
    throw new ConfigError(`invalid YAML${where(file)}${line}: ${(err as Error).message}`, { file, cause: err })
  }
  return parseConfig(schema, raw, file)
}

function where (file?: string): string {
  return file === undefined ? '' : ` in ${file}`
}

/**
 * Reads a config file as raw input (a mapping, or `{}` for an empty file), for binaries that layer
 * flags over it before validating once. Missing file or bad YAML is a ConfigError.
 */
export async function loadRawConfig (file: string): Promise<Record<string, unknown>> {
  const raw = await loadConfigFile(z.unknown(), file)
  if (raw === null || raw === undefined) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`the config must be a mapping: "<root>"${where(file)}`, { key: '', file })
  return raw as Record<string, unknown>
}

/**
 * Sets `path` (dotted) in raw config input, creating the sections on the way. A section that is
 * not a mapping is left alone, for the schema to reject with its own key.
 */
export function setRawConfig (raw: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.')
  let cur = raw
  for (const k of keys.slice(0, -1)) {
    const v = cur[k]
    if (v === undefined) { const created: Record<string, unknown> = {}; cur[k] = created; cur = created; continue }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return
    cur = v as Record<string, unknown>
  }
  cur[keys[keys.length - 1]!] = value
}

/**
 * Parses a daemon's command line: `--<name> <value>` string flags from `names`, plus `-h`/`--help`
 * (answered as 'help'). Strict: an unknown flag or a positional argument is a ConfigError carrying
 * the usage text.
 */
export function parseStringFlags<N extends string> (argv: string[], names: readonly N[], usage: string): Partial<Record<N, string>> | 'help' {
  const options: Record<string, { type: 'string' } | { type: 'boolean', short: string }> = { help: { type: 'boolean', short: 'h' } }
  for (const n of names) options[n] = { type: 'string' }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${usage}`)
  }
  if (values.help === true) return 'help'
  const out: Partial<Record<N, string>> = {}
  for (const n of names) if (typeof values[n] === 'string') out[n] = values[n] as string
  return out
}

/** A numeric flag's value for the schema: a number, or NaN (which the schema rejects naming the key). */
export function numericFlag (v: string): number {
  return v.trim() === '' ? NaN : Number(v)
}
