import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadOrCreatePeerKey } from '../../src/identity/peer-key.js'

describe('loadOrCreatePeerKey', () => {
  const dirs: string[] = []
  const tmp = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'peer-key-')); dirs.push(d); return d }
  afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }) })

  it('creates a random Ed25519 key stored with mode 0600', async () => {
    const dir = await tmp()
    const k = await loadOrCreatePeerKey(dir)
    expect(k.created).toBe(true)
    expect(k.privateKey.type).toBe('Ed25519')
    expect((await stat(k.path)).mode & 0o777).toBe(0o600)
  })

  it('returns the same peer id after a restart', async () => {
    const dir = await tmp()
    const first = await loadOrCreatePeerKey(dir)
    const second = await loadOrCreatePeerKey(dir)
    expect(second.created).toBe(false)
    expect(second.peerId.equals(first.peerId)).toBe(true)
  })

  it('gives two nodes different keys even with the same data layout', async () => {
    const a = await loadOrCreatePeerKey(await tmp())
    const b = await loadOrCreatePeerKey(await tmp())
    expect(a.peerId.equals(b.peerId)).toBe(false)
  })

  it('refuses a world-readable key file with KEY_FILE_INSECURE', async () => {
    const dir = await tmp()
    const k = await loadOrCreatePeerKey(dir)
    await chmod(k.path, 0o644)
    await expect(loadOrCreatePeerKey(dir)).rejects.toMatchObject({ code: 'KEY_FILE_INSECURE' })
  })

  it('refuses a garbage key file with KEY_FILE_INVALID', async () => {
    const dir = await tmp()
    await writeFile(join(dir, 'peer.key'), 'not a key', { mode: 0o600 })
    await expect(loadOrCreatePeerKey(dir)).rejects.toMatchObject({ code: 'KEY_FILE_INVALID' })
  })
})
