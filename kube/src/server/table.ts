import type { KubeList, KubeObject } from '@edgemesh/common'
import type { ResourceDefinition, TableColumn } from '../machinery/types.js'

const NAME_COLUMN: TableColumn = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 }
const AGE_COLUMN: TableColumn = { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 }

export type IncludeObject = 'None' | 'Metadata' | 'Object'

/** Age the way kubectl prints it: 5s, 3m20s, 3h, 2d4h, 3y20d... */
export function humanDuration (ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 60 * 2) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) { const s = seconds % 60; return s === 0 ? `${minutes}m` : `${minutes}m${s}s` }
  if (minutes < 60 * 3) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) { const m = minutes % 60; return m === 0 ? `${hours}h` : `${hours}h${m}m` }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) { const h = hours % 24; return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h` }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  if (hours < 24 * 365 * 8) { const y = Math.floor(hours / 24 / 365); const d = Math.floor(hours / 24) % 365; return d === 0 ? `${y}y` : `${y}y${d}d` }
  return `${Math.floor(hours / 24 / 365)}y`
}

function columnsOf (def: ResourceDefinition): { columns: TableColumn[], order: number[] } {
  const own = (def.columns ?? []).map((c, i) => ({ c: { format: '', description: '', priority: 0, ...c }, i }))
  const always = own.filter(x => (x.c.priority ?? 0) === 0)
  const wide = own.filter(x => (x.c.priority ?? 0) > 0)
  // -1 = name, -2 = age; others index into def.cells()
  return { columns: [NAME_COLUMN, ...always.map(x => x.c), AGE_COLUMN, ...wide.map(x => x.c)], order: [-1, ...always.map(x => x.i), -2, ...wide.map(x => x.i)] }
}

function row (def: ResourceDefinition, order: number[], obj: KubeObject, now: Date, include: IncludeObject, tableVersion: string): Record<string, unknown> {
  let own: unknown[] = []
  try {
    own = def.cells?.(obj, now) ?? []
  } catch {
    own = []
  }
  const created = obj.metadata.creationTimestamp !== undefined ? Date.parse(obj.metadata.creationTimestamp) : NaN
  const cells = order.map(i => {
    if (i === -1) return obj.metadata.name ?? ''
    if (i === -2) return Number.isNaN(created) ? '<unknown>' : humanDuration(now.getTime() - created)
    return own[i] ?? ''
  })
  const r: Record<string, unknown> = { cells }
  if (include === 'Object') r.object = obj
  else if (include === 'Metadata') r.object = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${tableVersion}`, metadata: obj.metadata }
  return r
}

/** A meta.k8s.io Table for one object or a list. */
export function toTable (def: ResourceDefinition, objs: KubeObject[], listMeta: KubeList['metadata'], opts: { now: Date, include?: IncludeObject, version?: string, noHeaders?: boolean }): Record<string, unknown> {
  const version = opts.version ?? 'v1'
  const { columns, order } = columnsOf(def)
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
    columnDefinitions: opts.noHeaders === true ? [] : columns,
    rows: objs.map(o => row(def, order, o, opts.now, opts.include ?? 'Metadata', version))
  }
}
