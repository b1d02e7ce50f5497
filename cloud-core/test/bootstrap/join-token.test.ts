import { createCA, type CertificateAuthority } from '@edgemesh/common'
import { beforeAll, describe, expect, it } from 'vitest'
import { JoinTokens } from '../../src/bootstrap/index.js'

const H = 3_600_000
let ca: CertificateAuthority
let other: CertificateAuthority
beforeAll(async () => { [ca, other] = await Promise.all([createCA(), createCA()]) })

function clockAt (ms: number): { now: () => number, set: (v: number) => void } {
  let t = ms
  return { now: () => t, set: v => { t = v } }
}

describe('join tokens', () => {
  it('starts with the hex sha256 of the CA certificate and a dot', async () => {
    const tokens = new JoinTokens(ca)
    const t = await tokens.issue()
    expect(t.slice(0, 65)).toBe(`${tokens.caHash}.`)
    expect(t.slice(65).split('.')).toHaveLength(3)
  })

  it('verifies a fresh token', async () => {
    const tokens = new JoinTokens(ca)
    await expect(tokens.verify(await tokens.issue())).resolves.toMatchObject({ epoch: expect.any(Number) })
  })

  it('refuses a token after 24 hours with BOOTSTRAP_TOKEN_EXPIRED', async () => {
    const clock = clockAt(1_000 * H)
    const tokens = new JoinTokens(ca, { clock })
    const t = await tokens.issue()
    clock.set(1_000 * H + 24 * H + 60_000)
    await expect(tokens.verify(t)).rejects.toMatchObject({ code: 'BOOTSTRAP_TOKEN_EXPIRED' })
  })

  // Before: how an expired token was refused depended on the time of day it was issued. A token whose
  // key epoch had left the window was called BOOTSTRAP_TOKEN_INVALID ("not well-formed"), so the
  // bootstrap server's expired-token test failed whenever it ran in the first hour of an epoch.
  it('calls every token older than 24 hours expired, whatever the hour it was issued', async () => {
    for (let issuedAt = 1_000 * 12 * H; issuedAt < 1_001 * 12 * H; issuedAt += H / 2) {
      const clock = clockAt(issuedAt)
      const tokens = new JoinTokens(ca, { clock })
      const t = await tokens.issue()
      for (const age of [24 * H + 60_000, 25 * H, 36 * H, 100 * H]) {
        clock.set(issuedAt + age)
        await expect(tokens.verify(t), `issued at +${(issuedAt % (12 * H)) / H} h, checked ${age / H} h later`).rejects.toMatchObject({ code: 'BOOTSTRAP_TOKEN_EXPIRED' })
      }
    }
  })

  it('refuses a token from a key epoch in the future with BOOTSTRAP_TOKEN_INVALID', async () => {
    const clock = clockAt(1_000 * 12 * H)
    const t = await new JoinTokens(ca, { clock: { now: () => 1_002 * 12 * H } }).issue()
    await expect(new JoinTokens(ca, { clock }).verify(t)).rejects.toMatchObject({ code: 'BOOTSTRAP_TOKEN_INVALID' })
  })

  it('keeps a token issued just before a key rotation valid until it expires', async () => {
    const clock = clockAt(1_000 * 12 * H - 1_000)
    const tokens = new JoinTokens(ca, { clock })
    const t = await tokens.issue()
    clock.set(1_000 * 12 * H - 1_000 + 23 * H)
    await expect(tokens.verify(t)).resolves.toBeDefined()
  })

  it('signs with a different key after a rotation', async () => {
    const clock = clockAt(1_000 * 12 * H)
    const tokens = new JoinTokens(ca, { clock })
    const a = await tokens.issue()
    clock.set(1_001 * 12 * H)
    const b = await tokens.issue()
    expect(a.split('.')[2]).not.toBe(b.split('.')[2])
    expect((await tokens.verify(b)).epoch).toBe((await tokens.verify(a)).epoch + 1)
  })

  it('refuses a token for another CA with BOOTSTRAP_TOKEN_CA_MISMATCH', async () => {
    const t = await new JoinTokens(other).issue()
    await expect(new JoinTokens(ca).verify(t)).rejects.toMatchObject({ code: 'BOOTSTRAP_TOKEN_CA_MISMATCH' })
  })

  it('refuses a token signed with another key under the right CA hash with BOOTSTRAP_TOKEN_INVALID', async () => {
    const mine = new JoinTokens(ca)
    const forged = `${mine.caHash}.${(await new JoinTokens(other).issue()).slice(65)}`
    await expect(mine.verify(forged)).rejects.toMatchObject({ code: 'BOOTSTRAP_TOKEN_INVALID' })
  })

  it('refuses garbage with BOOTSTRAP_TOKEN_INVALID', async () => {
    await expect(new JoinTokens(ca).verify('not-a-token')).rejects.toMatchObject({ code: 'BOOTSTRAP_TOKEN_INVALID' })
  })

  it('derives the same keys in two cloudcores holding the same CA', async () => {
    const clock = clockAt(500 * H)
    const t = await new JoinTokens(ca, { clock }).issue()
    await expect(new JoinTokens(ca, { clock }).verify(t)).resolves.toBeDefined()
  })
})
