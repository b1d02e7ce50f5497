/** The last version of one object a node acknowledged, and where it lives (so a later delete can be addressed). */
export interface Watermark {
  resourceVersion: string
  namespace: string | null
  kind: string
  name: string
}

/**
 * ObjectSync watermarks: `<node>.<uid>` → last acked resourceVersion (DESIGN.md section 3). Kept outside the
 * hub so that any cloudcore a node reconnects to knows what it already has; the integrator backs it with the store.
 */
export interface WatermarkStore {
  get: (node: string, uid: string) => Promise<Watermark | undefined>
  put: (node: string, uid: string, mark: Watermark) => Promise<void>
  delete: (node: string, uid: string) => Promise<void>
  /** Every watermark of one node, by uid. */
  list: (node: string) => Promise<Map<string, Watermark>>
}

export class MemoryWatermarkStore implements WatermarkStore {
  private readonly byNode = new Map<string, Map<string, Watermark>>()

  async get (node: string, uid: string): Promise<Watermark | undefined> { return this.byNode.get(node)?.get(uid) }

  async put (node: string, uid: string, mark: Watermark): Promise<void> {
    let m = this.byNode.get(node)
    if (m === undefined) { m = new Map(); this.byNode.set(node, m) }
    m.set(uid, { ...mark })
  }

  async delete (node: string, uid: string): Promise<void> {
    const m = this.byNode.get(node)
    m?.delete(uid)
    if (m?.size === 0) this.byNode.delete(node)
  }

  async list (node: string): Promise<Map<string, Watermark>> { return new Map(this.byNode.get(node) ?? []) }
}
