import { pino, type Logger, type LoggerOptions } from 'pino'
import pretty from 'pino-pretty'
import { z } from 'zod'

export type { Logger } from 'pino'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** The `log:` section of every binary's config file. */
export const logConfigSchema = z.object({
  /** @default 'info' */
  level: z.enum(LOG_LEVELS).default('info'),
  /** 'json' for machines, 'pretty' for humans. @default 'json' */
  format: z.enum(['json', 'pretty']).default('json')
}).strict().default({})

export interface LoggerInit {
  /** @default 'info' (or LOG_LEVEL from the environment) */
  level?: string
  /** 'json' for machines, 'pretty' for humans. @default 'json' */
  format?: 'json' | 'pretty'
  /** Root name, e.g. the binary. @default 'edgemesh' */
  name?: string
  /** Where JSON logs go. @default stdout (fd 1) */
  destination?: number | string
}

/** Creates a root logger; components take `root.child({ component: 'edge-hub' })`. */
export function createLogger (init: LoggerInit = {}): Logger {
  const opts: LoggerOptions = {
    name: init.name ?? 'edgemesh',
    level: init.level ?? process.env.LOG_LEVEL ?? 'info'
  }
  if (init.format === 'pretty') {
    // In-process stream, not a worker transport: a transport loads 'pino-pretty' by name in a worker
    // thread, which a single-file bundle (npm run bundle) cannot resolve.
    return pino(opts, pretty({ colorize: true, destination: init.destination ?? 1, sync: false }))
  }
  return pino(opts, pino.destination({ dest: init.destination ?? 1, sync: false }))
}

/** A logger that drops everything: the default in tests and libraries when none is given. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}

/** Child logger named for a component (the `component` field in every line). */
export function componentLogger (root: Logger, component: string): Logger {
  return root.child({ component })
}
