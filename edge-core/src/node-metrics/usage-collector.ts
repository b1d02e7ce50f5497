import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AbortError, silentLogger, type Logger } from '@edgemesh/common'
import { parseMeminfo, parsePidStat, parseProcStat, type CpuTimes, type PidStat } from './proc.js'

/** One running container: `pid` is its main process, spawned detached, so it leads its own process group. */
export interface ContainerProcess {
  namespace: string
  pod: string
  uid: string
  container: string
  pid: number
}

/** Who runs what on this node (edged). */
export interface UsageSource {
  containers: () => ContainerProcess[] | Promise<ContainerProcess[]>
}

export interface UsageCollectorInit {
  /** @default '/proc' */
  procRoot?: string
  /** Most /proc/<pid>/stat files read per collection; the containers' own leaders are read first. @default 4096 */
  maxProcEntries?: number
  /** USER_HZ, the unit of /proc CPU times (100 on every mainstream Linux architecture). @default 100 */
  clockTicks?: number
  /** Bytes per page, the unit of RSS in /proc/<pid>/stat. @default 4096 */
  pageSize?: number
}

export interface UsageCollectorComponents {
  source: UsageSource
  /** @default silent */
  logger?: Logger
  /** Monotonic milliseconds, for windows. @default performance.now */
  monotonic?: () => number
  /** @default () => new Date() */
  now?: () => Date
}

export interface Usage {
  cpuNanoCores: number
  memoryBytes: number
}

export interface ContainerUsage extends Usage {
  namespace: string
  pod: string
  uid: string
  container: string
}

/** The usage over the window between two collections. */
export interface UsageSample {
  /** When the later of the two samples was taken. */
  timestamp: Date
  windowMs: number
  node: Usage
  /** Containers seen in both samples (same pid); a container seen once has no rate yet. */
  containers: ContainerUsage[]
  /** The /proc scan stopped at maxProcEntries: processes beyond it were not counted. */
  truncated: boolean
}

interface Previous {
  at: number
  node: CpuTimes
  containers: Map<string, number>
}

const READ_BATCH = 64

const containerKey = (c: ContainerProcess): string => `${c.uid}/${c.container}/${c.pid}`

/**
 * Samples node and container usage from /proc, kubelet-style but without cgroups: a container is
 * its main process's process group (edged spawns it detached), so its CPU is the summed utime+stime
 * and its memory the summed RSS of every process in that group. /proc is scanned once per collection,
 * whatever the number of containers, and at most `maxProcEntries` stat files are read.
 *
 * CPU is a rate, so like metrics-server the first collection yields nothing (`undefined`) and a
 * container first seen in a collection is left out of it: no made-up zero. A process that leaves the
 * group (setsid) or exits between samples takes its ticks with it; a group whose total shrinks that
 * way reports 0 for the window rather than a negative rate.
 */
export class UsageCollector {
  private readonly init: Required<UsageCollectorInit>
  private readonly log: Logger
  private readonly monotonic: () => number
  private readonly now: () => Date
  private prev?: Previous

  constructor (private readonly components: UsageCollectorComponents, init: UsageCollectorInit = {}) {
    this.init = { procRoot: '/proc', maxProcEntries: 4096, clockTicks: 100, pageSize: 4096, ...init }
    this.log = (components.logger ?? silentLogger()).child({ component: 'usage-collector' })
    this.monotonic = components.monotonic ?? (() => performance.now())
    this.now = components.now ?? (() => new Date())
  }

  /** Takes a sample; resolves to the usage since the previous one (undefined on the first call). */
  async collect (signal?: AbortSignal): Promise<UsageSample | undefined> {
    const containers = await this.components.source.containers()
    if (signal?.aborted === true) throw new AbortError()
    const root = this.init.procRoot
    const [statText, memText] = await Promise.all([readFile(join(root, 'stat'), 'utf8'), readFile(join(root, 'meminfo'), 'utf8')])
    const at = this.monotonic()
    const timestamp = this.now()
    const cpu = parseProcStat(statText)
    const mem = parseMeminfo(memText)
    if (cpu === undefined || mem === undefined) throw new TypeError(`unparseable ${root}/stat or ${root}/meminfo`)
    const { groups, truncated } = await this.scan(containers, signal)
    if (truncated) this.log.warn({ maxProcEntries: this.init.maxProcEntries }, 'more processes than maxProcEntries: container usage may be undercounted')

    const prev = this.prev
    const ticks = new Map<string, number>()
    const out: ContainerUsage[] = []
    const windowMs = prev === undefined ? 0 : at - prev.at
    const perTick = 1e9 / this.init.clockTicks
    for (const c of containers) {
      const g = groups.get(c.pid)
      if (g === undefined) continue
      const key = containerKey(c)
      ticks.set(key, g.cpuTicks)
      const before = prev?.containers.get(key)
      if (before === undefined || windowMs <= 0) continue
      out.push({
        namespace: c.namespace, pod: c.pod, uid: c.uid, container: c.container,
        cpuNanoCores: Math.max(0, g.cpuTicks - before) * perTick / (windowMs / 1000),
        memoryBytes: g.rssPages * this.init.pageSize
      })
    }
    this.prev = { at, node: cpu, containers: ticks }
    if (prev === undefined || windowMs <= 0) return undefined
    return {
      timestamp,
      windowMs,
      node: { cpuNanoCores: Math.max(0, cpu.busy - prev.node.busy) * perTick / (windowMs / 1000), memoryBytes: mem.workingSetBytes },
      containers: out,
      truncated
    }
  }

  /** Sums each container's process group from one bounded pass over /proc, keyed by the leader's pid. */
  private async scan (containers: ContainerProcess[], signal?: AbortSignal): Promise<{ groups: Map<number, { cpuTicks: number, rssPages: number }>, truncated: boolean }> {
    const groups = new Map<number, { cpuTicks: number, rssPages: number }>()
    if (containers.length === 0) return { groups, truncated: false }
    const leaders = [...new Set(containers.map(c => c.pid))]
    const leaderSet = new Set(leaders)
    const others = (await readdir(this.init.procRoot)).filter(n => /^\d+$/.test(n)).map(Number).filter(p => !leaderSet.has(p))
    const order = [...leaders, ...others]
    const limit = this.init.maxProcEntries
    const stats: PidStat[] = []
    for (let i = 0; i < Math.min(order.length, limit); i += READ_BATCH) {
      if (signal?.aborted === true) throw new AbortError()
      const batch = order.slice(i, Math.min(i + READ_BATCH, limit))
      const read = await Promise.all(batch.map(async pid => await this.readPid(pid)))
      for (const s of read) if (s !== undefined) stats.push(s)
    }
    // A leader that is not its group's leader (not spawned detached) is counted alone: its group is
    // someone else's (edgecore's own, say).
    const grouped = new Set<number>()
    for (const s of stats) {
      if (!leaderSet.has(s.pid)) continue
      groups.set(s.pid, { cpuTicks: s.cpuTicks, rssPages: s.rssPages })
      if (s.pgrp === s.pid) grouped.add(s.pid)
    }
    for (const s of stats) {
      if (leaderSet.has(s.pid) || !grouped.has(s.pgrp)) continue
      const g = groups.get(s.pgrp)!
      g.cpuTicks += s.cpuTicks
      g.rssPages += s.rssPages
    }
    return { groups, truncated: order.length > limit }
  }

  private async readPid (pid: number): Promise<PidStat | undefined> {
    try {
      return parsePidStat(await readFile(join(this.init.procRoot, String(pid), 'stat'), 'utf8'))
    } catch {
      // Exited between readdir and read, or not ours to read: not a container process either way.
      return undefined
    }
  }
}
