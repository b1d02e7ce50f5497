/** One object as the hub sends it: identity, version, address and body. */
export interface DownstreamObject {
  uid: string
  resourceVersion: string
  namespace: string | null
  kind: string
  name: string
  /** The object itself (the message content); absent for deletes. */
  object?: unknown
}

export interface DownstreamChange {
  type: 'upsert' | 'delete'
  object: DownstreamObject
}

export interface QueueEntry {
  change: DownstreamChange
  msgId?: string
  /** The operation the current msgId was sent with (a resend repeats it). */
  operation?: 'insert' | 'update' | 'delete'
  /** When the current msgId was last put on the wire. */
  sentAt?: number
  /** When the current msgId was first put on the wire (ack latency). */
  firstSentAt?: number
}

export interface AckedChange {
  change: DownstreamChange
  firstSentAt: number
  /** True when a newer change of the same object is still pending. */
  superseded: boolean
}

/**
 * The downstream queue of one node, keyed by object UID: a newer change of an object replaces the pending
 * one (only the latest version is ever sent) and moves to the back, a delete is never dropped. Entries leave
 * only when the message carrying their latest change is acked.
 */
export class NodeQueue {
  private readonly entries = new Map<string, QueueEntry>()
  private readonly sent = new Map<string, { uid: string, change: DownstreamChange, firstSentAt: number }>()

  get depth (): number { return this.entries.size }

  get inflight (): number {
    let n = 0
    for (const e of this.entries.values()) if (e.msgId !== undefined) n++
    return n
  }

  /** The pending change of an object, if any. */
  pending (uid: string): DownstreamChange | undefined { return this.entries.get(uid)?.change }

  push (change: DownstreamChange): void {
    const uid = change.object.uid
    const cur = this.entries.get(uid)
    if (cur !== undefined && cur.change.type === change.type && cur.change.object.resourceVersion === change.object.resourceVersion) return
    this.entries.delete(uid)
    this.entries.set(uid, { change })
  }

  /** Entries not on the wire yet, in order, at most `limit`. */
  unsent (limit: number): Array<[string, QueueEntry]> {
    const out: Array<[string, QueueEntry]> = []
    for (const [uid, e] of this.entries) {
      if (out.length >= limit) break
      if (e.msgId === undefined) out.push([uid, e])
    }
    return out
  }

  markSent (uid: string, msgId: string, now: number, operation?: 'insert' | 'update' | 'delete'): void {
    const e = this.entries.get(uid)
    if (e === undefined) return
    if (e.msgId !== msgId) {
      e.msgId = msgId
      e.operation = operation
      e.firstSentAt = now
      this.sent.set(msgId, { uid, change: e.change, firstSentAt: now })
    }
    e.sentAt = now
  }

  /** Sent entries whose ack is overdue. */
  overdue (now: number, resendMs: number): Array<[string, QueueEntry]> {
    const out: Array<[string, QueueEntry]> = []
    for (const [uid, e] of this.entries) if (e.msgId !== undefined && (e.sentAt ?? 0) + resendMs <= now) out.push([uid, e])
    return out
  }

  /** A new session: everything on the wire is resent at once, with the same msg_ids (the edge dedups). */
  resetSent (): void {
    for (const e of this.entries.values()) if (e.msgId !== undefined) e.sentAt = Number.NEGATIVE_INFINITY
  }

  ack (msgId: string): AckedChange | undefined {
    const s = this.sent.get(msgId)
    if (s === undefined) return undefined
    this.sent.delete(msgId)
    const e = this.entries.get(s.uid)
    const superseded = e === undefined || e.msgId !== msgId
    if (!superseded) this.entries.delete(s.uid)
    return { change: s.change, firstSentAt: s.firstSentAt, superseded }
  }

  /** Forgets msg_ids of superseded messages that will never be acked (bounded memory). */
  prune (max: number): void {
    if (this.sent.size <= max) return
    const live = new Set<string>()
    for (const e of this.entries.values()) if (e.msgId !== undefined) live.add(e.msgId)
    for (const id of this.sent.keys()) {
      if (this.sent.size <= max) break
      if (!live.has(id)) this.sent.delete(id)
    }
  }
}
