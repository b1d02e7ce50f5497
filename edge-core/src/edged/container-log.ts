import { createReadStream } from 'node:fs'
import { mkdir, open, rename, stat, watch, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'

/** RFC 3339 with nanoseconds, as CRI log lines and `kubectl logs --timestamps` show it. */
export function logTimestamp (d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z')
}

export interface ContainerLogInit {
  /** Rotate when the file passes this size. @default 10 MiB */
  maxBytes?: number
  /** Rotated files kept beside the live one. @default 1 */
  maxFiles?: number
}

/**
 * A container's log file in the CRI format kubelet uses (`<time> <stdout|stderr> <F|P> <text>`), one
 * file per container instance, rotated by size (`<file>.1` is the previous part). The process's output
 * is timestamped when it arrives; lines longer than 16 KiB are split into partial (P) records.
 */
export class ContainerLogWriter {
  private fh?: FileHandle
  /** Bytes in the live file, counting what is queued for it. */
  private size = 0
  private queue: string[] = []
  private flushing?: Promise<void>
  private readonly partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' }
  private readonly maxBytes: number
  private readonly maxFiles: number

  constructor (readonly file: string, init: ContainerLogInit = {}) {
    this.maxBytes = init.maxBytes ?? 10 * 1024 * 1024
    this.maxFiles = init.maxFiles ?? 1
  }

  async open (): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    this.fh = await open(this.file, 'a')
    this.size = (await this.fh.stat()).size
  }

  write (stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.partial[stream] + chunk.toString('utf8')
    const lines = text.split('\n')
    this.partial[stream] = lines.pop() ?? ''
    const now = logTimestamp(new Date())
    for (const line of lines) this.record(now, stream, 'F', line)
    while (this.partial[stream].length > 16 * 1024) {
      this.record(now, stream, 'P', this.partial[stream].slice(0, 16 * 1024))
      this.partial[stream] = this.partial[stream].slice(16 * 1024)
    }
  }

  private record (ts: string, stream: string, tag: string, text: string): void {
    this.queue.push(`${ts} ${stream} ${tag} ${text}\n`)
    this.flushing ??= this.flush().finally(() => { this.flushing = undefined })
  }

  /** Writes queued records in batches, one at a time, rotating between batches when the file is full. */
  private async flush (): Promise<void> {
    while (this.queue.length > 0 && this.fh !== undefined) {
      // Up to what still fits in the live file (at least one record), so rotation keeps files near maxBytes.
      let bytes = 0
      let n = 0
      while (n < this.queue.length) {
        const b = Buffer.byteLength(this.queue[n]!)
        if (n > 0 && this.size + bytes + b > this.maxBytes) break
        bytes += b
        n++
      }
      const batch = this.queue.slice(0, n).join('')
      this.queue = this.queue.slice(n)
      await this.fh.write(batch)
      this.size += bytes
      if (this.size >= this.maxBytes) await this.rotate()
    }
  }

  private async rotate (): Promise<void> {
    await this.fh?.close()
    for (let i = this.maxFiles; i >= 1; i--) {
      await rename(i === 1 ? this.file : `${this.file}.${i - 1}`, `${this.file}.${i}`).catch(() => { /* that part did not exist yet */ })
    }
    this.fh = await open(this.file, 'a')
    this.size = 0
  }

  /** Flushes partial lines and closes the file. */
  async close (): Promise<void> {
    const now = logTimestamp(new Date())
    for (const s of ['stdout', 'stderr'] as const) if (this.partial[s] !== '') { this.record(now, s, 'F', this.partial[s]); this.partial[s] = '' }
    while (this.flushing !== undefined) await this.flushing
    await this.fh?.close()
    this.fh = undefined
  }
}

export interface LogReadOptions {
  tailLines?: number
  /** Only records at or after this instant. */
  since?: Date
  timestamps?: boolean
  limitBytes?: number
  /** Keep reading as the file grows until `signal` aborts or `until` resolves (the container ended). */
  follow?: boolean
  signal?: AbortSignal
  until?: Promise<unknown>
}

interface Rec { ts: string, text: string, partial: boolean }

function parse (line: string): Rec | undefined {
  const a = line.indexOf(' ')
  const b = line.indexOf(' ', a + 1)
  const c = line.indexOf(' ', b + 1)
  if (a < 0 || b < 0 || c < 0) return undefined
  return { ts: line.slice(0, a), partial: line.slice(b + 1, c) === 'P', text: line.slice(c + 1) }
}

async function readRecords (file: string): Promise<Rec[]> {
  const out: Rec[] = []
  const input = createReadStream(file, { encoding: 'utf8' })
  input.on('error', () => {})
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      const r = parse(line)
      if (r !== undefined) out.push(r)
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return out
}

/**
 * Reads a container's log as `kubectl logs` wants it (text, optionally timestamped), from the rotated
 * part and the live file; with `follow`, then tails the live file. Each emitted chunk goes to `emit`,
 * which may wait (backpressure).
 */
export async function readContainerLog (file: string, opts: LogReadOptions, emit: (chunk: Buffer) => Promise<void>): Promise<void> {
  let budget = opts.limitBytes ?? Infinity
  const format = (r: Rec): string => `${opts.timestamps === true ? `${r.ts} ` : ''}${r.text}${r.partial ? '' : '\n'}`
  const send = async (text: string): Promise<boolean> => {
    if (budget <= 0) return false
    let buf = Buffer.from(text)
    if (buf.length > budget) buf = buf.subarray(0, budget)
    budget -= buf.length
    await emit(buf)
    return budget > 0
  }
  let recs = [...await readRecords(`${file}.1`), ...await readRecords(file)]
  if (opts.since !== undefined) {
    const since = opts.since.getTime()
    recs = recs.filter(r => Date.parse(r.ts) >= since)
  }
  if (opts.tailLines !== undefined) recs = opts.tailLines === 0 ? [] : recs.slice(-opts.tailLines)
  const chunk: string[] = []
  for (const r of recs) chunk.push(format(r))
  if (chunk.length > 0 && !await send(chunk.join(''))) return
  if (opts.follow !== true) return
  let offset = await stat(file).then(s => s.size, () => 0)
  const ac = new AbortController()
  const signal = opts.signal !== undefined ? AbortSignal.any([opts.signal, ac.signal]) : ac.signal
  void opts.until?.then(() => { setTimeout(() => { ac.abort() }, 200) })
  let rest = ''
  const drain = async (): Promise<boolean> => {
    const size = await stat(file).then(s => s.size, () => 0)
    if (size < offset) offset = 0 // rotated
    if (size === offset) return true
    const text = await new Promise<string>((resolve, reject) => {
      const parts: Buffer[] = []
      createReadStream(file, { start: offset, end: size - 1 }).on('data', d => parts.push(d as Buffer)).on('end', () => { resolve(Buffer.concat(parts).toString('utf8')) }).on('error', reject)
    })
    offset = size
    const lines = (rest + text).split('\n')
    rest = lines.pop() ?? ''
    const out = lines.map(parse).filter((r): r is Rec => r !== undefined).map(format).join('')
    return out === '' || await send(out)
  }
  try {
    const watcher = watch(dirname(file), { signal })
    if (!await drain()) return
    // fs.watch can miss events on some filesystems: poll as well.
    const poll = setInterval(() => { void tick() }, 500)
    let busy = false
    let stopped = false
    const tick = async (): Promise<void> => {
      if (busy || stopped) return
      busy = true
      try { if (!await drain()) { stopped = true; ac.abort() } } finally { busy = false }
    }
    try {
      for await (const _ev of watcher) await tick()
    } finally {
      clearInterval(poll)
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err
  }
  await drain().catch(() => {})
}
