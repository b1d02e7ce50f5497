import { describe, expect, it } from 'vitest'
import { hasCode } from '@edgemesh/common'
import { bytes, cpuMillis, parseQuantity } from '../../src/scheduler/quantity.js'

describe('quantity parsing', () => {
  it('reads millicores', () => { expect(cpuMillis('250m')).toBe(250) })
  it('reads whole and fractional cores', () => {
    expect(cpuMillis('2')).toBe(2000)
    expect(cpuMillis('1.5')).toBe(1500)
    expect(cpuMillis(0.1)).toBe(100)
  })
  it('rounds sub-millicore requests up to one millicore', () => { expect(cpuMillis('100u')).toBe(1) })
  it('reads binary suffixes', () => {
    expect(bytes('1Ki')).toBe(1024)
    expect(bytes('128Mi')).toBe(128 * 2 ** 20)
    expect(bytes('1.5Gi')).toBe(1.5 * 2 ** 30)
  })
  it('reads decimal suffixes', () => {
    expect(bytes('1k')).toBe(1000)
    expect(bytes('129M')).toBe(129e6)
    expect(bytes('2G')).toBe(2e9)
  })
  it('reads e-notation', () => {
    expect(parseQuantity('1e3')).toBe(1000)
    expect(parseQuantity('12E6')).toBe(12e6)
    expect(parseQuantity('5e-3')).toBeCloseTo(0.005)
  })
  it('reads plain byte counts', () => { expect(bytes('128974848')).toBe(128974848) })
  it('rejects malformed quantities with CONTROLLER_QUANTITY_INVALID', () => {
    for (const bad of ['', 'abc', '1.2.3', '5Xi', '--1', '1 Gi']) {
      let err: unknown
      try { parseQuantity(bad) } catch (e) { err = e }
      expect(hasCode(err, 'CONTROLLER_QUANTITY_INVALID'), bad).toBe(true)
    }
  })
})
