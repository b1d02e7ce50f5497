import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfigFile, z } from '../src/index.js'

const schema = z.object({
  port: z.number().int().default(6443),
  store: z.object({ kind: z.enum(['sqlite', 'etcd']).default('sqlite') }).strict().default({})
}).strict()

describe('config loader', () => {
  it('applies defaults to a valid file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'))
    const f = join(dir, 'c.yaml')
    await writeFile(f, 'port: 1234\n')
    expect(await loadConfigFile(schema, f)).toEqual({ port: 1234, store: { kind: 'sqlite' } })
  })

  it('names an unknown nested key and the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'))
    const f = join(dir, 'c.yaml')
    await writeFile(f, 'store:\n  knd: etcd\n')
    await expect(loadConfigFile(schema, f)).rejects.toMatchObject({ code: 'CONFIG_INVALID', key: 'store.knd', file: f })
  })

  it('names a key with a wrong type', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'))
    const f = join(dir, 'c.yaml')
    await writeFile(f, 'port: "x"\n')
    await expect(loadConfigFile(schema, f)).rejects.toMatchObject({ code: 'CONFIG_INVALID', key: 'port' })
  })

  it('reports broken YAML as CONFIG_INVALID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'))
    const f = join(dir, 'c.yaml')
    await writeFile(f, 'port: [1,\n')
    await expect(loadConfigFile(schema, f)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
