import type { NodeSelectorRequirement, NodeSelectorTerm, Taint, Container } from 'kubernetes-types/core/v1.js'
import { toleratesTaint, untoleratedTaint, type Node, type Pod } from '@edgemesh/kube/machinery'
import { bytes, cpuMillis } from './quantity.js'

/** Why a node was filtered out; the text is what goes into FailedScheduling, grouped and counted. */
export type FilterReason = string

export const REASON_NOT_READY = 'node(s) were not ready'
export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable'
export const REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
export const REASON_CPU = 'Insufficient cpu'
export const REASON_MEMORY = 'Insufficient memory'
export const REASON_PODS = 'Too many pods'

export function isNodeReady (node: Node): boolean {
  return node.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True') === true
}

function matchExpression (req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? []
  switch (req.operator) {
    case 'In': return value !== undefined && values.includes(value)
    case 'NotIn': return value === undefined || !values.includes(value)
    case 'Exists': return value !== undefined
    case 'DoesNotExist': return value === undefined
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false
      const a = Number.parseInt(value, 10)
      const b = Number.parseInt(values[0] ?? '', 10)
      if (!Number.isInteger(a) || !Number.isInteger(b) || String(a) !== value.trim()) return false
      return req.operator === 'Gt' ? a > b : a < b
    }
    default: return false
  }
}

/** A term matches when all its expressions and fields match; an empty term matches nothing (as upstream). */
export function matchesNodeSelectorTerm (term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? []
  const fields = term.matchFields ?? []
  if (exprs.length === 0 && fields.length === 0) return false
  const labels = node.metadata.labels ?? {}
  for (const e of exprs) if (!matchExpression(e, Object.hasOwn(labels, e.key) ? labels[e.key] : undefined)) return false
  for (const f of fields) {
    if (f.key !== 'metadata.name') return false
    if (!matchExpression(f, node.metadata.name)) return false
  }
  return true
}

/** nodeSelector plus required node affinity (terms are ORed). */
export function matchesNodeAffinity (pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {}
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  if (terms === undefined) return true
  return terms.some(t => matchesNodeSelectorTerm(t, node))
}

export function taintReason (t: Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`
}

export interface Resources { cpuMillis: number, memoryBytes: number }

/** Sum of container requests, with the init-container max as upstream (effective request = max(sum, max init)). */
export function podRequests (pod: Pod): Resources {
  const sum = (cs: Container[] | undefined): Resources => (cs ?? []).reduce((acc, c) => ({
    cpuMillis: acc.cpuMillis + (c.resources?.requests?.cpu !== undefined ? cpuMillis(c.resources.requests.cpu) : 0),
    memoryBytes: acc.memoryBytes + (c.resources?.requests?.memory !== undefined ? bytes(c.resources.requests.memory) : 0)
  }), { cpuMillis: 0, memoryBytes: 0 })
  const main = sum(pod.spec?.containers)
  let initCpu = 0
  let initMem = 0
  for (const c of pod.spec?.initContainers ?? []) {
    const r = sum([c])
    initCpu = Math.max(initCpu, r.cpuMillis)
    initMem = Math.max(initMem, r.memoryBytes)
  }
  return { cpuMillis: Math.max(main.cpuMillis, initCpu), memoryBytes: Math.max(main.memoryBytes, initMem) }
}

export function nodeAllocatable (node: Node): Resources & { pods: number } {
  const a = node.status?.allocatable ?? node.status?.capacity ?? {}
  return {
    cpuMillis: a.cpu !== undefined ? cpuMillis(a.cpu) : Number.POSITIVE_INFINITY,
    memoryBytes: a.memory !== undefined ? bytes(a.memory) : Number.POSITIVE_INFINITY,
    pods: a.pods !== undefined ? Number(a.pods) : 110
  }
}

export interface FilterOptions {
  /** Skip the Ready check (DaemonSet placement tolerates not-ready nodes). @default true */
  requireReady?: boolean
  /** Skip the unschedulable check. @default true */
  respectUnschedulable?: boolean
  /** Requests of the pods already on the node; undefined skips the resource check. */
  used?: Resources & { pods: number }
}

/** All reasons `node` cannot run `pod` (empty = fits). */
export function filterNode (pod: Pod, node: Node, opts: FilterOptions = {}): FilterReason[] {
  const reasons: FilterReason[] = []
  if (opts.requireReady !== false && !isNodeReady(node)) reasons.push(REASON_NOT_READY)
  if (opts.respectUnschedulable !== false && node.spec?.unschedulable === true &&
      !(pod.spec?.tolerations ?? []).some(t => toleratesTaint(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) {
    reasons.push(REASON_UNSCHEDULABLE)
  }
  if (!matchesNodeAffinity(pod, node)) reasons.push(REASON_AFFINITY)
  const taint = untoleratedTaint(node.spec?.taints, pod.spec?.tolerations)
  if (taint !== undefined) reasons.push(taintReason(taint))
  if (opts.used !== undefined) {
    const alloc = nodeAllocatable(node)
    const req = podRequests(pod)
    if (req.cpuMillis > 0 && opts.used.cpuMillis + req.cpuMillis > alloc.cpuMillis) reasons.push(REASON_CPU)
    if (req.memoryBytes > 0 && opts.used.memoryBytes + req.memoryBytes > alloc.memoryBytes) reasons.push(REASON_MEMORY)
    if (opts.used.pods + 1 > alloc.pods) reasons.push(REASON_PODS)
  }
  return reasons
}

/** Upstream's non-zero defaults for scoring pods without requests, so empty pods still spread. */
const DEFAULT_CPU_MILLIS = 100
const DEFAULT_MEMORY_BYTES = 200 * 2 ** 20

export function scoringRequests (pod: Pod): Resources {
  const sum = { cpuMillis: 0, memoryBytes: 0 }
  for (const c of pod.spec?.containers ?? []) {
    sum.cpuMillis += c.resources?.requests?.cpu !== undefined ? cpuMillis(c.resources.requests.cpu) : DEFAULT_CPU_MILLIS
    sum.memoryBytes += c.resources?.requests?.memory !== undefined ? bytes(c.resources.requests.memory) : DEFAULT_MEMORY_BYTES
  }
  return sum
}

/** Least-allocated score in [0, 100]: the mean free fraction of cpu and memory after placing the pod. */
export function leastAllocatedScore (node: Node, usedForScoring: Resources, pod: Pod): number {
  const alloc = nodeAllocatable(node)
  const req = scoringRequests(pod)
  const frac = (used: number, cap: number): number => {
    if (cap <= 0 || used > cap) return 0
    return (cap - used) / cap
  }
  // A node that reports no allocatable is scored as a large one so emptier nodes still win.
  const cpuCap = Number.isFinite(alloc.cpuMillis) ? alloc.cpuMillis : 64_000
  const memCap = Number.isFinite(alloc.memoryBytes) ? alloc.memoryBytes : 256 * 2 ** 30
  return 50 * (frac(usedForScoring.cpuMillis + req.cpuMillis, cpuCap) + frac(usedForScoring.memoryBytes + req.memoryBytes, memCap))
}

/** "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match ...", reasons sorted like upstream. */
export function failedSchedulingMessage (total: number, reasons: Map<FilterReason, number>): string {
  const parts = [...reasons.entries()].map(([r, n]) => `${n} ${r}`).sort()
  return `0/${total} nodes are available${parts.length > 0 ? ': ' + parts.join(', ') : ''}.`
}
