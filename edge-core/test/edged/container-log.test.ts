import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ContainerLogWriter, logTimestamp, readContainerLog, type LogReadOptions } from '../../src/edged/container-log.js'

let dir: string | undefined
afterEach(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

async function read (file: string, opts: LogReadOptions = {}): Promise<string> {
  const parts: Buffer[] = []
  await readContainerLog(file, opts, async c => { parts.push(c) })
  return Buffer.concat(parts).toString()
}

describe('container logs', () => {
  it('writes CRI records per line (partial lines joined), and reads them back as kubectl logs shows them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'clog-'))
    const file = join(dir, '0.log')
    const w = new ContainerLogWriter(file)
    await w.open()
    w.write('stdout', Buffer.from('one\ntw'))
    w.write('stderr', Buffer.from('err\n'))
    w.write('stdout', Buffer.from('o\nthree'))
    await w.close()
    const raw = (await readFile(file, 'utf8')).trim().split('\n')
    expect(raw).toHaveLength(4)
    expect(raw[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F one$/)
    expect(raw[1]).toMatch(/ stderr F err$/)
    expect(await read(file)).toBe('one\nerr\ntwo\nthree\n')
    expect(await read(file, { tailLines: 2 })).toBe('two\nthree\n')
    expect(await read(file, { tailLines: 0 })).toBe('')
    expect(await read(file, { limitBytes: 6 })).toBe('one\ner')
    expect((await read(file, { timestamps: true })).split('\n')[0]).toMatch(/^\d{4}-.*Z one$/)
    expect(await read(file, { since: new Date(Date.now() + 60_000) })).toBe('')
  })

  it('rotates by size and still reads the rotated part first', async () => {
    dir = await mkdtemp(join(tmpdir(), 'clog-'))
    const file = join(dir, '0.log')
    const w = new ContainerLogWriter(file, { maxBytes: 4096, maxFiles: 1 })
    await w.open()
    for (let i = 0; i < 200; i++) w.write('stdout', Buffer.from(`line ${i} ${'x'.repeat(40)}\n`))
    await w.close()
    const text = await read(file)
    const lines = text.trim().split('\n')
    // The oldest part was dropped; what is kept is in order and ends with the last line.
    expect(lines.at(-1)).toMatch(/^line 199 /)
    const nums = lines.map(l => Number(l.split(' ')[1]))
    expect(nums).toEqual([...nums].sort((a, b) => a - b))
    expect(nums.length).toBeLessThan(200)
    expect(nums.length).toBeGreaterThan(50)
  })

  it('follows the live file until the instance ends', async () => {
    dir = await mkdtemp(join(tmpdir(), 'clog-'))
    const file = join(dir, '0.log')
    const w = new ContainerLogWriter(file)
    await w.open()
    w.write('stdout', Buffer.from('first\n'))
    await new Promise(resolve => setTimeout(resolve, 50))
    let ended!: () => void
    const until = new Promise<void>(resolve => { ended = resolve })
    const got: string[] = []
    const reading = readContainerLog(file, { follow: true, until }, async c => { got.push(c.toString()) })
    await new Promise(resolve => setTimeout(resolve, 100))
    await appendFile(file, `${logTimestamp(new Date())} stdout F second\n`)
    await new Promise(resolve => setTimeout(resolve, 700))
    expect(got.join('')).toBe('first\nsecond\n')
    ended()
    await reading
    await w.close()
  })
})
