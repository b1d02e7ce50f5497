import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ApiError, API_REASONS, ERROR_CATALOGUE } from '../../src/machinery/errors.js'

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')

describe('api-server error catalogue', () => {
  it('documents every code in docs/errors.md', () => {
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(docs, code).toContain(code)
  })

  it('maps every Status reason to its HTTP code in toStatus()', () => {
    for (const [reason, { http, code }] of Object.entries(API_REASONS)) {
      const err = new ApiError(reason as keyof typeof API_REASONS, 'm')
      expect(err.code).toBe(code)
      expect(err.toStatus()).toMatchObject({ kind: 'Status', status: 'Failure', reason, code: http })
    }
  })
})
