// Parsers for the /proc files the usage collector reads (proc(5)). Pure: text in, numbers out, so
// they are tested on the real files of real processes and on fixed text alike.

/** The aggregate `cpu` line of /proc/stat, in clock ticks (USER_HZ). */
export interface CpuTimes {
  /** Ticks spent doing anything but idling or waiting for I/O. */
  busy: number
  total: number
}

/** Node CPU from /proc/stat: busy = user+nice+system+irq+softirq+steal (guest time is already in user). */
export function parseProcStat (text: string): CpuTimes | undefined {
  const line = text.split('\n', 1)[0]
  if (line === undefined || !line.startsWith('cpu ')) return undefined
  const f = line.slice(4).trim().split(/\s+/).map(Number)
  if (f.length < 4 || f.some(n => !Number.isFinite(n))) return undefined
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
  const busy = user + nice + system + irq + softirq + steal
  return { busy, total: busy + idle + iowait }
}

/**
 * Node memory working set from /proc/meminfo: MemTotal − MemAvailable (bytes), the memory the kernel
 * could not hand out without reclaiming from someone. Undefined when either field is missing.
 */
export function parseMeminfo (text: string): { totalBytes: number, workingSetBytes: number } | undefined {
  let total: number | undefined
  let available: number | undefined
  for (const line of text.split('\n')) {
    const m = /^(MemTotal|MemAvailable):\s+(\d+)\s*kB/.exec(line)
    if (m === null) continue
    if (m[1] === 'MemTotal') total = Number(m[2]) * 1024
    else available = Number(m[2]) * 1024
    if (total !== undefined && available !== undefined) break
  }
  if (total === undefined || available === undefined) return undefined
  return { totalBytes: total, workingSetBytes: Math.max(0, total - available) }
}

/** What the collector needs from /proc/<pid>/stat. */
export interface PidStat {
  pid: number
  /** Process group id (field 5). */
  pgrp: number
  /** utime + stime in clock ticks (fields 14, 15). */
  cpuTicks: number
  /** Resident set size in pages (field 24). */
  rssPages: number
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so the fields are counted from the last `)`.
 */
export function parsePidStat (text: string): PidStat | undefined {
  const close = text.lastIndexOf(')')
  if (close < 0) return undefined
  const pid = Number(text.slice(0, text.indexOf(' ')))
  // After ") ": field 3 (state) is index 0, so field n is index n - 3.
  const f = text.slice(close + 2).trim().split(' ')
  const num = (field: number): number => Number(f[field - 3])
  const stat = { pid, pgrp: num(5), cpuTicks: num(14) + num(15), rssPages: num(24) }
  if (!Object.values(stat).every(n => Number.isSafeInteger(n) && n >= 0)) return undefined
  return stat
}
