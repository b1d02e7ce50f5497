import { describe, expect, it } from 'vitest'
import { parseMeminfo, parsePidStat, parseProcStat } from '../../src/index.js'

describe('/proc parsers', () => {
  it('counts busy ticks from the cpu line without idle, iowait or guest time', () => {
    const t = parseProcStat('cpu  100 5 50 1000 30 2 3 7 40 0\ncpu0 1 2 3 4\n')
    expect(t).toEqual({ busy: 100 + 5 + 50 + 2 + 3 + 7, total: 100 + 5 + 50 + 2 + 3 + 7 + 1000 + 30 })
  })

  it('refuses a /proc/stat without the aggregate cpu line', () => {
    expect(parseProcStat('cpu0 1 2 3 4\n')).toBeUndefined()
    expect(parseProcStat('cpu  1 x 3 4\n')).toBeUndefined()
  })

  it('takes the working set as MemTotal minus MemAvailable', () => {
    expect(parseMeminfo('MemTotal:       1000 kB\nMemFree:  10 kB\nMemAvailable:    400 kB\n')).toEqual({ totalBytes: 1000 * 1024, workingSetBytes: 600 * 1024 })
    expect(parseMeminfo('MemTotal:       1000 kB\n')).toBeUndefined()
  })

  it('reads a pid stat whose command name holds spaces and parentheses', () => {
    const fields = ['S', '1', '4242', '4242', '0', '-1', '4194304', '0', '0', '0', '0', '37', '5', '0', '0', '20', '0', '1', '0', '100', '3133440', '388', '0']
    const s = parsePidStat(`4243 (a (b) c) ${fields.join(' ')}`)
    expect(s).toEqual({ pid: 4243, pgrp: 4242, cpuTicks: 42, rssPages: 388 })
  })

  it('refuses a truncated pid stat', () => {
    expect(parsePidStat('12 (x) S 1 12')).toBeUndefined()
    expect(parsePidStat('garbage')).toBeUndefined()
  })
})
