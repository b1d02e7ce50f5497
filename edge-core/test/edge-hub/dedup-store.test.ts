import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FileDedupStore, MemoryDedupStore } from '../../src/index.js'

const dirs: string[] = []
async function tmp (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dedup-'))
  dirs.push(d)
  return join(d, 'applied-msg-ids')
}
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }) })

describe('dedup stores', () => {
  it('remembers an added msg_id', async () => {
    const s = new MemoryDedupStore()
    await s.add('m1')
    expect(await s.has('m1')).toBe(true)
    expect(await s.has('m2')).toBe(false)
  })

  it('forgets the oldest msg_id beyond its capacity', async () => {
    const s = new MemoryDedupStore(2)
    for (const id of ['a', 'b', 'c']) await s.add(id)
    expect([await s.has('a'), await s.has('c')]).toEqual([false, true])
  })

  it('keeps msg_ids across a restart in its file', async () => {
    const path = await tmp()
    await new FileDedupStore(path).add('m1')
    expect(await new FileDedupStore(path).has('m1')).toBe(true)
  })

  it('compacts its file to the newest ids and still knows them after a restart', async () => {
    const path = await tmp()
    const s = new FileDedupStore(path, 3)
    for (let i = 0; i < 10; i++) await s.add(`m${i}`)
    const lines = (await readFile(path, 'utf8')).trim().split('\n')
    expect(lines.length).toBeLessThanOrEqual(6)
    const again = new FileDedupStore(path, 3)
    expect([await again.has('m9'), await again.has('m0')]).toEqual([true, false])
  })
})
