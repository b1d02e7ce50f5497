import { describe, expect, it } from 'vitest'
import { canonicalJson, podTemplateHash, templatesEqual } from '../../src/controllers/pod-template-hash.js'

const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] }] } }

describe('pod-template-hash', () => {
  it('is stable across calls and key order', () => {
    const reordered = { spec: { containers: [{ ports: [{ containerPort: 80 }], image: 'nginx:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } }
    expect(podTemplateHash(t)).toBe(podTemplateHash(t))
    expect(podTemplateHash(reordered)).toBe(podTemplateHash(t))
  })
  it('uses only the vowel-free label-safe alphabet', () => {
    expect(podTemplateHash(t)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/)
  })
  it('changes when the template changes', () => {
    const t2 = { ...t, spec: { containers: [{ name: 'c', image: 'nginx:2', ports: [{ containerPort: 80 }] }] } }
    expect(podTemplateHash(t2)).not.toBe(podTemplateHash(t))
    expect(templatesEqual(t, t2)).toBe(false)
  })
  it('ignores an existing pod-template-hash label', () => {
    const labelled = { ...t, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } }
    expect(podTemplateHash(labelled)).toBe(podTemplateHash(t))
    expect(templatesEqual(labelled, t)).toBe(true)
  })
  it('changes with the collision count', () => {
    expect(podTemplateHash(t, 1)).not.toBe(podTemplateHash(t))
    expect(podTemplateHash(t, 1)).not.toBe(podTemplateHash(t, 2))
  })
  it('serializes canonically with sorted keys and without undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: undefined, c: 'x' }] })).toBe('{"a":[{"c":"x"}],"b":1}')
  })
})
