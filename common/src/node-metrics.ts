import { z } from 'zod'

/**
 * The usage report an edge node sends up the edge link for `kubectl top`: the node's own NodeMetrics
 * and the PodMetrics of the pods it runs, as metrics.k8s.io/v1beta1 shapes, with usage in Kubernetes
 * quantity strings (cpu in nanocores `123n`, memory in `Ki`). Resource `null/nodemetrics/<node>`,
 * operation `update`. CPU is a rate over `window` (the time between the node's two latest samples),
 * so a node reports only once it has two samples, and a container only once it was seen twice
 * (metrics-server's rule: no rate from a single point).
 */

/** The kind in the report's hub resource string (`null/nodemetrics/<node>`). */
export const NODE_METRICS_KIND = 'nodemetrics'
export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1'
/** Caps a report must stay within; the cloud refuses a larger one. */
export const NODE_METRICS_LIMITS = { pods: 500, containersPerPod: 64 } as const

/** `null/nodemetrics/<node>`: the hub resource string of a node's usage report. */
export function nodeMetricsResource (node: string): string {
  return `null/${NODE_METRICS_KIND}/${node}`
}

/** Nanocores as a quantity (`250000000n`), exact at any size. */
export function cpuQuantity (nanocores: number): string {
  return `${Math.max(0, Math.round(nanocores))}n`
}

/** Bytes as a quantity in Ki (`12345Ki`), rounded down as metrics-server does. */
export function memoryQuantity (bytes: number): string {
  return `${Math.max(0, Math.floor(bytes / 1024))}Ki`
}

/** A window in Go's duration form for seconds (`15.002s`), as metav1.Duration prints one. */
export function windowDuration (ms: number): string {
  return `${Number((Math.max(0, ms) / 1000).toFixed(3))}s`
}

// A quantity as the metrics API prints them: digits with an optional fraction and a suffix.
const quantity = z.string().max(40).regex(/^[0-9]+(\.[0-9]+)?(n|u|m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$/)
const dns1123 = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
const time = z.string().max(40).refine(s => !Number.isNaN(Date.parse(s)), 'not a timestamp')
const window = z.string().max(40).regex(/^[0-9]+(\.[0-9]+)?s$/)
const usage = z.object({ cpu: quantity, memory: quantity }).strict()

const nodeMetrics = z.object({
  apiVersion: z.literal(METRICS_API_VERSION),
  kind: z.literal('NodeMetrics'),
  metadata: z.object({ name: dns1123 }).strict(),
  timestamp: time,
  window,
  usage
}).strict()

const podMetrics = z.object({
  apiVersion: z.literal(METRICS_API_VERSION),
  kind: z.literal('PodMetrics'),
  metadata: z.object({ name: dns1123, namespace: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), uid: z.string().max(128).optional() }).strict(),
  timestamp: time,
  window,
  containers: z.array(z.object({ name: z.string().min(1).max(253), usage }).strict()).max(NODE_METRICS_LIMITS.containersPerPod)
}).strict()

/** The report's content, checked on the cloud (edge input is untrusted). */
export const nodeMetricsReportSchema = z.object({
  node: nodeMetrics,
  pods: z.array(podMetrics).max(NODE_METRICS_LIMITS.pods)
}).strict()

export type NodeMetricsReport = z.infer<typeof nodeMetricsReportSchema>
export type NodeMetrics = NodeMetricsReport['node']
export type PodMetrics = NodeMetricsReport['pods'][number]
