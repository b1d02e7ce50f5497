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

/**
 * Runs a daemon until SIGINT/SIGTERM: starts it, calls `onStarted`, and on the first signal stops it
 * and exits 0 (1 if stopping fails); a second signal exits at once. Used by every binary.
 */
export async function runUntilSignal (part: Startable, out: { error: (s: string) => void }, onStarted?: () => void): Promise<void> {
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) {
      out.error(`${signal} again: exiting now`)
      process.exit(1)
    }
    stopping = true
    part.stop().then(() => { process.exit(0) }, (err: unknown) => {
      out.error(`error while stopping: ${(err as Error).message}`)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => { shutdown('SIGINT') })
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  await part.start()
  onStarted?.()
}
