import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { HubProtocolError } from './errors.js'

export const OPERATIONS = ['insert', 'update', 'delete', 'query', 'response', 'keepalive'] as const
export type Operation = typeof OPERATIONS[number]

/**
 * Largest frame either side accepts. Kubernetes objects are bounded at ~1.5 MiB by etcd; 4 MiB
 * leaves room for the envelope and JSON escaping while bounding what one bad peer can make us buffer.
 */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024

/** Content of an acknowledgement (beehive's convention). */
export const ACK_CONTENT = 'OK'

const HeaderSchema = z.object({
  msg_id: z.string().min(1).max(128),
  parent_msg_id: z.string().max(128),
  timestamp: z.number().int().nonnegative(),
  resourceversion: z.string().max(64),
  sync: z.boolean()
}).strict()

const RouteSchema = z.object({
  source: z.string().max(128),
  destination: z.string().max(128),
  group: z.string().max(128),
  operation: z.enum(OPERATIONS),
  resource: z.string().max(1024)
}).strict()

/** The beehive-compatible envelope (DESIGN.md section 3). Unknown keys are errors. */
export const HubMessageSchema = z.object({
  header: HeaderSchema,
  route: RouteSchema,
  content: z.unknown()
}).strict()

export type HubMessage = z.infer<typeof HubMessageSchema>

export interface MessageInit {
  operation: Operation
  resource: string
  content?: unknown
  /** @default 'edgecontroller' on the cloud, callers on the edge pass 'edgehub' */
  source?: string
  destination?: string
  /** @default 'resource' */
  group?: string
  resourceVersion?: string
  parentMsgId?: string
  sync?: boolean
  /** @default a random UUID */
  msgId?: string
  /** @default Date.now() */
  timestamp?: number
}

/** Builds a message with a fresh msg_id. */
export function createMessage (init: MessageInit): HubMessage {
  return {
    header: {
      msg_id: init.msgId ?? randomUUID(),
      parent_msg_id: init.parentMsgId ?? '',
      timestamp: init.timestamp ?? Date.now(),
      resourceversion: init.resourceVersion ?? '',
      sync: init.sync ?? false
    },
    route: {
      source: init.source ?? 'edgecontroller',
      destination: init.destination ?? '',
      group: init.group ?? 'resource',
      operation: init.operation,
      resource: init.resource
    },
    content: init.content ?? null
  }
}

/** The acknowledgement of `msg`: operation `response`, content "OK", parent_msg_id = its msg_id. */
export function createAck (msg: HubMessage, source = msg.route.destination): HubMessage {
  return createMessage({
    operation: 'response',
    resource: msg.route.resource,
    content: ACK_CONTENT,
    source,
    destination: msg.route.source,
    group: msg.route.group,
    parentMsgId: msg.header.msg_id,
    resourceVersion: msg.header.resourceversion
  })
}

/** Is `msg` an acknowledgement (and not a query answer carrying data)? */
export function isAck (msg: HubMessage): boolean {
  return msg.route.operation === 'response' && msg.content === ACK_CONTENT && msg.header.parent_msg_id !== ''
}

export function createKeepalive (source: string): HubMessage {
  return createMessage({ operation: 'keepalive', resource: '', source, group: 'hub' })
}

export function encodeMessage (msg: HubMessage): string {
  return JSON.stringify(msg)
}

function byteLength (data: string | Uint8Array): number {
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength
}

/**
 * Parses and validates one frame. Throws HubProtocolError: HUB_MESSAGE_TOO_LARGE, HUB_MESSAGE_INVALID,
 * or HUB_OPERATION_UNKNOWN (the envelope is fine but names an operation we do not know).
 */
export function decodeMessage (data: string | Uint8Array, maxBytes = MAX_MESSAGE_BYTES): HubMessage {
  const size = byteLength(data)
  if (size > maxBytes) throw new HubProtocolError('HUB_MESSAGE_TOO_LARGE', `hub message of ${size} bytes exceeds ${maxBytes}`)
  let json: unknown
  try {
    json = JSON.parse(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))
  } catch (err) {
    throw new HubProtocolError('HUB_MESSAGE_INVALID', 'hub message is not JSON', { cause: err })
  }
  const r = HubMessageSchema.safeParse(json)
  if (r.success) return r.data
  const msgId = readMsgId(json)
  const issue = r.error.issues[0]
  const path = issue?.path.join('.') ?? ''
  if (r.error.issues.length === 1 && path === 'route.operation' && typeof (json as any).route?.operation === 'string') {
    throw new HubProtocolError('HUB_OPERATION_UNKNOWN', `unknown hub operation "${String((json as any).route.operation).slice(0, 64)}"`, { msgId })
  }
  throw new HubProtocolError('HUB_MESSAGE_INVALID', `hub message does not match the envelope: ${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}`, { msgId, cause: r.error })
}

function readMsgId (json: unknown): string | undefined {
  const id = (json as { header?: { msg_id?: unknown } } | null)?.header?.msg_id
  return typeof id === 'string' && id.length <= 128 ? id : undefined
}
