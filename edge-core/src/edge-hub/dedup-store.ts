import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { hasCode } from '@edgemesh/common'
import { MsgIdWindow } from '@edgemesh/common/hub-protocol'

/**
 * The msg_ids already applied, so a resend whose ack was lost is not applied twice. Bounded; a durable
 * implementation (in the meta-manager's SQLite, committed with the object) keeps it across restarts.
 */
export interface DedupStore {
  has: (msgId: string) => Promise<boolean>
  add: (msgId: string) => Promise<void>
}

export class MemoryDedupStore implements DedupStore {
  private readonly window: MsgIdWindow
  constructor (capacity = 4096) { this.window = new MsgIdWindow(capacity) }
  async has (msgId: string): Promise<boolean> { return this.window.has(msgId) }
  async add (msgId: string): Promise<void> { this.window.add(msgId) }
}

/**
 * A dedup window that survives restarts: one JSON-encoded msg_id per line, appended on `add` (after the
 * handler committed), compacted to the newest `capacity` ids when the file holds twice that many.
 * A crash between the handler's commit and the append can re-apply one message; a store that commits the
 * id in the same transaction as the object (the meta-manager's SQLite) closes that gap.
 */
export class FileDedupStore implements DedupStore {
  private readonly window: MsgIdWindow
  private loaded?: Promise<void>
  private lines = 0
  private writing: Promise<void> = Promise.resolve()

  constructor (private readonly path: string, private readonly capacity = 4096) {
    this.window = new MsgIdWindow(capacity)
  }

  private async load (): Promise<void> {
    this.loaded ??= (async () => {
      let text = ''
      try { text = await readFile(this.path, 'utf8') } catch (err) { if (!hasCode(err, 'ENOENT')) throw err }
      for (const line of text.split('\n')) {
        if (line === '') continue
        try { this.window.add(JSON.parse(line) as string) } catch { /* a torn last line from a crash */ }
        this.lines++
      }
    })()
    await this.loaded
  }

  async has (msgId: string): Promise<boolean> {
    await this.load()
    return this.window.has(msgId)
  }

  async add (msgId: string): Promise<void> {
    await this.load()
    this.window.add(msgId)
    const write = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true })
      if (this.lines + 1 > 2 * this.capacity) {
        const tmp = `${this.path}.tmp`
        const ids = this.window.values()
        await writeFile(tmp, ids.map(id => JSON.stringify(id) + '\n').join(''), { mode: 0o600 })
        await rename(tmp, this.path)
        this.lines = ids.length
      } else {
        await appendFile(this.path, JSON.stringify(msgId) + '\n', { mode: 0o600 })
        this.lines++
      }
    })
    this.writing = write.catch(() => {})
    await write
  }
}
