import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE } from '../../src/storage/index.js'

const srcDir = fileURLToPath(new URL('../../src/store/', import.meta.url))
const docs = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8')
const sources = readdirSync(srcDir).filter(f => f.endsWith('.ts') && f !== 'errors.ts').map(f => readFileSync(srcDir + f, 'utf8')).join('\n')

describe('store error catalogue', () => {
  it.each(Object.keys(ERROR_CATALOGUE))('documents %s in docs/errors.md', code => {
    expect(docs).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'))
  })

  it.each(Object.keys(ERROR_CATALOGUE))('throws %s somewhere in the store', code => {
    expect(sources).toContain(`'${code}'`)
  })
})
