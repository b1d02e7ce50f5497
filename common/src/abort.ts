import { AbortError, TimeoutError } from './errors.js'

/** Resolves after `ms`, or rejects with AbortError when the signal fires. */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) throw new AbortError()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(t); reject(new AbortError()) }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Throws AbortError if the signal is already aborted. */
export function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) throw new AbortError()
}

/** Runs `fn` with a signal that aborts after `ms` or when `parent` aborts; a timeout becomes TimeoutError. */
export async function withTimeout<T> (ms: number, fn: (signal: AbortSignal) => Promise<T>, parent?: AbortSignal): Promise<T> {
  const timeout = AbortSignal.timeout(ms)
  const signal = parent != null ? AbortSignal.any([parent, timeout]) : timeout
  try {
    return await fn(signal)
  } catch (err) {
    if (timeout.aborted && parent?.aborted !== true) throw new TimeoutError(`timed out after ${ms} ms`)
    throw err
  }
}

/**
 * Polls `fn` until it returns something other than undefined, null or false, and returns that. At the
 * deadline it throws TimeoutError naming `what` and the last error `fn` threw, if any.
 */
export async function eventually<T> (fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition', intervalMs = 50): Promise<NonNullable<Exclude<T, false>>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== null && v !== false) return v as NonNullable<Exclude<T, false>>
    } catch (err) { last = err }
    if (Date.now() > deadline) throw new TimeoutError(`timed out waiting for ${what}${last === undefined ? '' : `: ${(last as Error).message ?? String(last)}`}`)
    await sleep(intervalMs)
  }
}
