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
