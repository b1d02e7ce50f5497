import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE } from '../../src/storage/index.js'

// The codes are thrown by the backends: SQLite here, etcd in cloud-core (read as text, not imported).
const root = fileURLToPath(new URL('../../../', import.meta.url))
const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8')
const sources = ['kube/src/storage', 'cloud-core/src/store']
  .flatMap(d => readdirSync(join(root, d)).filter(f => f.endsWith('.ts') && f !== 'errors.ts').map(f => readFileSync(join(root, d, f), 'utf8')))
  .join('\n')

describe('store error catalogue', () => {
  it.each(Object.keys(ERROR_CATALOGUE))('documents %s in docs/errors.md', code => {
    expect(docs).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'))
  })

  it.each(Object.keys(ERROR_CATALOGUE))('throws %s somewhere in a store backend', code => {
    expect(sources).toContain(`'${code}'`)
  })
})
