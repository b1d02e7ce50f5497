import { readFile } from 'node:fs/promises'
import { eventually } from '@edgemesh/common'
import { afterEach, describe, expect, it } from 'vitest'
import { parsePidStat, UsageCollector, type ContainerProcess } from '../../src/index.js'
import { ALLOC, BUSY, groupProcess, IDLE, type UsageProcess } from './usage-processes.js'

const procs: UsageProcess[] = []
afterEach(() => { for (const p of procs.splice(0)) p.kill() })

async function start (script: string): Promise<UsageProcess> {
  const p = await groupProcess(script)
  procs.push(p)
  return p
}

const container = (p: UsageProcess, name: string): ContainerProcess => ({ namespace: 'ns', pod: name, uid: `uid-${name}`, container: 'c', pid: p.pid })
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('usage collector on real processes', () => {
  it('parses the real stat of a detached child as its own group leader', async () => {
    const p = await start(IDLE)
    const s = parsePidStat(await readFile(`/proc/${p.pid}/stat`, 'utf8'))
    expect(s).toMatchObject({ pid: p.pid, pgrp: p.pid })
    expect(s!.rssPages).toBeGreaterThan(0)
  })

  it('yields nothing from the first sample, then node usage over the window', async () => {
    const c = new UsageCollector({ source: { containers: () => [] } })
    expect(await c.collect()).toBeUndefined()
    await sleep(300)
    const s = await c.collect()
    expect(s?.windowMs).toBeGreaterThanOrEqual(250)
    expect(s!.node.memoryBytes).toBeGreaterThan(0)
    expect(s!.node.cpuNanoCores).toBeGreaterThanOrEqual(0)
    expect(s!.containers).toEqual([])
  })

  it('shows a busy loop using far more CPU than an idle process', async () => {
    const busy = await start(BUSY)
    const idle = await start(IDLE)
    const c = new UsageCollector({ source: { containers: () => [container(busy, 'busy'), container(idle, 'idle')] } })
    // Let the idle one finish starting up (node's own start costs CPU) before the window opens.
    await sleep(700)
    await c.collect()
    await sleep(1000)
    const s = await c.collect()
    const by = new Map(s!.containers.map(u => [u.pod, u]))
    expect(by.get('busy')!.cpuNanoCores).toBeGreaterThan(0.3e9)
    expect(by.get('idle')!.cpuNanoCores).toBeLessThan(0.1e9)
    expect(s!.node.cpuNanoCores).toBeGreaterThan(0.3e9)
  })

  it('counts at least the memory a process allocated and touched', async () => {
    const p = await start(ALLOC(64))
    const c = new UsageCollector({ source: { containers: () => [container(p, 'alloc')] } })
    await c.collect()
    // Polled: the child needs a moment to start and touch its pages.
    await eventually(async () => ((await c.collect())?.containers[0]?.memoryBytes ?? 0) >= 64 * 1048576, 15_000, '64 MiB counted')
  })

  it('sums the memory of every process in the container\'s process group', async () => {
    const p = await start(`${ALLOC(40)} & ${ALLOC(40)} & wait`)
    const c = new UsageCollector({ source: { containers: () => [container(p, 'group')] } })
    await c.collect()
    await eventually(async () => ((await c.collect())?.containers[0]?.memoryBytes ?? 0) >= 80 * 1048576, 15_000, '2 × 40 MiB counted')
    const leader = parsePidStat(await readFile(`/proc/${p.pid}/stat`, 'utf8'))!
    expect(leader.rssPages * 4096).toBeLessThan(20 * 1048576)
  })

  it('leaves out a container in the first sample it appears in', async () => {
    const a = await start(IDLE)
    const list = [container(a, 'a')]
    const c = new UsageCollector({ source: { containers: () => list } })
    await c.collect()
    const b = await start(IDLE)
    list.push(container(b, 'b'))
    const s = await c.collect()
    expect(s!.containers.map(u => u.pod)).toEqual(['a'])
    expect((await c.collect())!.containers.map(u => u.pod).sort()).toEqual(['a', 'b'])
  })

  it('reads no more than maxProcEntries stat files, the containers first', async () => {
    const p = await start(`${ALLOC(40)} & wait`)
    await sleep(700)
    const c = new UsageCollector({ source: { containers: () => [container(p, 'group')] } }, { maxProcEntries: 1 })
    await c.collect()
    const s = await c.collect()
    expect(s!.truncated).toBe(true)
    // Only the leader was read, so the child's 40 MiB are missing (and the cap held).
    expect(s!.containers[0]!.memoryBytes).toBeLessThan(20 * 1048576)
  })
})
