import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE } from '../../src/openapi/index.js'

describe('openapi error catalogue', () => {
  it('documents every code in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(doc, code).toContain(`| ${code} |`)
  })
})
