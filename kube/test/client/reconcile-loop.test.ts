import { describe, expect, it } from 'vitest'
import { eventually as waitFor, silentLogger } from '@edgemesh/common'
import { ReconcileLoop } from '../../src/client/reconcile-loop.js'
import { InformerFactory } from '../../src/client/informer.js'
import type { ObjectClient } from '../../src/machinery/types.js'

class RecordingLoop extends ReconcileLoop {
  readonly seen: string[] = []
  enqueue (key: string): void { this.queue.add(key) }
  protected async reconcile (key: string): Promise<void> { this.seen.push(key) }
}

describe('ReconcileLoop', () => {
  it('reconciles keys after stop() followed by start()', async () => {
    // No informers are registered, so the client is never called.
    const informers = new InformerFactory({ client: {} as unknown as ObjectClient, logger: silentLogger() })
    const loop = new RecordingLoop(informers, silentLogger(), { name: 'recording', workers: 1 })
    await loop.start()
    loop.enqueue('a')
    await waitFor(() => loop.seen.includes('a'), 5_000, 'first reconcile')
    await loop.stop()
    await loop.start()
    loop.enqueue('b')
    await waitFor(() => loop.seen.includes('b'), 5_000, 'reconcile after restart')
    expect(loop.seen).toEqual(['a', 'b'])
    await loop.stop()
  })
})
