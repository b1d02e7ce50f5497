import { readFile } from 'node:fs/promises'
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
