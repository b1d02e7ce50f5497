/** The last `capacity` msg_ids seen, oldest evicted first: a bounded dedup window. */
export class MsgIdWindow {
  private readonly ids = new Set<string>()
  constructor (private readonly capacity = 4096) {}

  has (id: string): boolean { return this.ids.has(id) }

  add (id: string): void {
    if (this.ids.has(id)) return
    this.ids.add(id)
    while (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value
      if (oldest === undefined) break
      this.ids.delete(oldest)
    }
  }

  get size (): number { return this.ids.size }
  values (): string[] { return [...this.ids] }
}
