/** A small Prometheus text-format registry: counters and gauges with label sets, no global state. */
export type Labels = Record<string, string>

interface Series { help: string, type: 'counter' | 'gauge', values: Map<string, { labels: Labels, value: number }> }

export class MetricsRegistry {
  private readonly series = new Map<string, Series>()
  private readonly collectors: Array<() => void> = []

  counter (name: string, help: string): (labels?: Labels, by?: number) => void {
    const s = this.define(name, help, 'counter')
    return (labels = {}, by = 1) => { const e = this.entry(s, labels); e.value += by }
  }

  gauge (name: string, help: string): (value: number, labels?: Labels) => void {
    const s = this.define(name, help, 'gauge')
    return (value, labels = {}) => { this.entry(s, labels).value = value }
  }

  /** Runs `fn` before every render, to sample gauges lazily. Returns the function that unregisters it. */
  onCollect (fn: () => void): () => void {
    this.collectors.push(fn)
    return () => {
      const i = this.collectors.indexOf(fn)
      if (i >= 0) this.collectors.splice(i, 1)
    }
  }

  value (name: string, labels: Labels = {}): number {
    return this.series.get(name)?.values.get(key(labels))?.value ?? 0
  }

  render (): string {
    for (const c of this.collectors) c()
    const lines: string[] = []
    for (const [name, s] of this.series) {
      lines.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`)
      if (s.values.size === 0 && s.type === 'counter') lines.push(`${name} 0`)
      for (const { labels, value } of s.values.values()) lines.push(`${name}${fmt(labels)} ${value}`)
    }
    return lines.join('\n') + '\n'
  }

  private define (name: string, help: string, type: Series['type']): Series {
    let s = this.series.get(name)
    if (s === undefined) { s = { help, type, values: new Map() }; this.series.set(name, s) }
    return s
  }

  private entry (s: Series, labels: Labels): { labels: Labels, value: number } {
    const k = key(labels)
    let e = s.values.get(k)
    if (e === undefined) { e = { labels, value: 0 }; s.values.set(k, e) }
    return e
  }
}

function key (labels: Labels): string {
  return Object.keys(labels).sort().map(k => `${k}=${labels[k] ?? ''}`).join(',')
}

function fmt (labels: Labels): string {
  const ks = Object.keys(labels).sort()
  if (ks.length === 0) return ''
  return '{' + ks.map(k => `${k}="${(labels[k] ?? '').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',') + '}'
}
