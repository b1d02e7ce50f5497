import { z } from '@edgemesh/common'

const positiveInt = z.number().int().positive()

/** The `store:` section as written in cloudcore.yaml (sqlite's dataDir may come from the top-level dataDir). Unknown keys are errors. */
export const storeSectionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('sqlite'),
    /** Directory for `store.db`; the cloud-core data dir when omitted. */
    dataDir: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    compactWindow: positiveInt.optional(),
    compactIntervalMs: z.number().int().nonnegative().optional(),
    watchBufferSize: positiveInt.optional()
  }).strict(),
  z.object({
    type: z.literal('etcd'),
    endpoints: z.array(z.string().url()).min(1),
    prefix: z.string().optional(),
    dialTimeoutMs: positiveInt.optional(),
    callTimeoutMs: positiveInt.optional(),
    reconnectMaxDelayMs: positiveInt.optional(),
    watchBufferSize: positiveInt.optional()
  }).strict()
])

/** A complete store config (what `createStore` takes). */
export const storeConfigSchema = storeSectionSchema.superRefine((c, ctx) => {
  if (c.type === 'sqlite' && c.dataDir === undefined && c.path === undefined) {
    ctx.addIssue({ code: 'custom', message: 'sqlite store needs dataDir or path', path: ['dataDir'] })
  }
})

export type StoreConfig = z.infer<typeof storeConfigSchema>
