import { z } from '@edgemesh/common'

// Wire format of the rendezvous and punch protocols, shared by the agent (client end) and
// edgemesh-server. Framing: ./framing.ts.

export const RENDEZVOUS_PROTOCOL = '/edgemesh/rendezvous/1.0.0'
export const PUNCH_PROTOCOL = '/edgemesh/punch/1.0.0'

const nodeName = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
const multiaddrString = z.string().min(1).max(512)
const addrList = z.array(multiaddrString).max(32)
const errorReply = z.object({ type: z.literal('error'), code: z.string().max(64), message: z.string().max(1024) }).strict()

export const RendezvousRequest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('register'), nodeName, listenAddrs: addrList, observedAddrs: addrList.default([]), ttlMs: z.number().int().positive().max(3_600_000).optional() }).strict(),
  z.object({ type: z.literal('lookup'), nodeName }).strict()
])
export type RendezvousRequest = z.infer<typeof RendezvousRequest>

export const PeerRecordWire = z.object({
  nodeName,
  peerId: z.string().min(1).max(128),
  listenAddrs: addrList,
  observedAddrs: addrList,
  expiresInMs: z.number().int().nonnegative()
}).strict()
export type PeerRecordWire = z.infer<typeof PeerRecordWire>

export const RendezvousResponse = z.discriminatedUnion('type', [
  z.object({ type: z.literal('registered'), ttlMs: z.number().int().positive(), observedAddrs: addrList }).strict(),
  z.object({ type: z.literal('record'), record: PeerRecordWire }).strict(),
  errorReply
])
export type RendezvousResponse = z.infer<typeof RendezvousResponse>

const endpoint = z.object({ ip: z.string().ip(), port: z.number().int().min(1).max(65535) }).strict()

/** A → server: punch toward `nodeName`. Server → B: `sync`, B → server: `ack`. Server → A: `sync` or error. */
export const PunchMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('connect'), nodeName }).strict(),
  z.object({ type: z.literal('sync'), peerId: z.string().min(1).max(128), nodeName, endpoint, inMs: z.number().int().nonnegative().max(60_000) }).strict(),
  z.object({ type: z.literal('ack') }).strict(),
  errorReply
])
export type PunchMessage = z.infer<typeof PunchMessage>
