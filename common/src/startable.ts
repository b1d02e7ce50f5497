/** Lifecycle of every long-running part. Both methods are idempotent and `stop()` undoes everything `start()` did. */
export interface Startable {
  start: () => Promise<void>
  stop: () => Promise<void>
  isStarted?: () => boolean
}

/** Starts parts in order; if one fails, stops the ones already started (in reverse) and rethrows. */
export async function startAll (parts: Startable[]): Promise<void> {
  const started: Startable[] = []
  try {
    for (const p of parts) { await p.start(); started.push(p) }
  } catch (err) {
    await stopAll(started)
    throw err
  }
}

/** Stops parts in reverse order; every part is stopped even if an earlier one throws. Throws the first error. */
export async function stopAll (parts: Startable[]): Promise<void> {
  let first: unknown
  for (const p of [...parts].reverse()) {
    try { await p.stop() } catch (err) { first ??= err }
  }
  if (first !== undefined) throw first
}
