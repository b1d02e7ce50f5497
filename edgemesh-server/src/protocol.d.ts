import { z } from '@edgemesh/common';
import type { AbortOptions, Stream } from '@libp2p/interface';
export declare const RENDEZVOUS_PROTOCOL = "/edgemesh/rendezvous/1.0.0";
export declare const PUNCH_PROTOCOL = "/edgemesh/punch/1.0.0";
/** Frames are tiny; anything larger is an attack or a bug. */
export declare const MAX_FRAME_BYTES: number;
export declare const RendezvousRequest: z.ZodDiscriminatedUnion<"type", [z.ZodObject<{
    type: z.ZodLiteral<"register">;
    nodeName: z.ZodString;
    listenAddrs: z.ZodArray<z.ZodString, "many">;
    observedAddrs: z.ZodDefault<z.ZodArray<z.ZodString, "many">>;
    ttlMs: z.ZodOptional<z.ZodNumber>;
}, "strict", z.ZodTypeAny, {
    nodeName: string;
    type: "register";
    listenAddrs: string[];
    observedAddrs: string[];
    ttlMs?: number | undefined;
}, {
    nodeName: string;
    type: "register";
    listenAddrs: string[];
    ttlMs?: number | undefined;
    observedAddrs?: string[] | undefined;
}>, z.ZodObject<{
    type: z.ZodLiteral<"lookup">;
    nodeName: z.ZodString;
}, "strict", z.ZodTypeAny, {
    nodeName: string;
    type: "lookup";
}, {
    nodeName: string;
    type: "lookup";
}>]>;
export type RendezvousRequest = z.infer<typeof RendezvousRequest>;
export declare const PeerRecordWire: z.ZodObject<{
    nodeName: z.ZodString;
    peerId: z.ZodString;
    listenAddrs: z.ZodArray<z.ZodString, "many">;
    observedAddrs: z.ZodArray<z.ZodString, "many">;
    expiresInMs: z.ZodNumber;
}, "strict", z.ZodTypeAny, {
    nodeName: string;
    peerId: string;
    listenAddrs: string[];
    observedAddrs: string[];
    expiresInMs: number;
}, {
    nodeName: string;
    peerId: string;
    listenAddrs: string[];
    observedAddrs: string[];
    expiresInMs: number;
}>;
export type PeerRecordWire = z.infer<typeof PeerRecordWire>;
export declare const RendezvousResponse: z.ZodDiscriminatedUnion<"type", [z.ZodObject<{
    type: z.ZodLiteral<"registered">;
    ttlMs: z.ZodNumber;
    observedAddrs: z.ZodArray<z.ZodString, "many">;
}, "strict", z.ZodTypeAny, {
    ttlMs: number;
    type: "registered";
    observedAddrs: string[];
}, {
    ttlMs: number;
    type: "registered";
    observedAddrs: string[];
}>, z.ZodObject<{
    type: z.ZodLiteral<"record">;
    record: z.ZodObject<{
        nodeName: z.ZodString;
        peerId: z.ZodString;
        listenAddrs: z.ZodArray<z.ZodString, "many">;
        observedAddrs: z.ZodArray<z.ZodString, "many">;
        expiresInMs: z.ZodNumber;
    }, "strict", z.ZodTypeAny, {
        nodeName: string;
        peerId: string;
        listenAddrs: string[];
        observedAddrs: string[];
        expiresInMs: number;
    }, {
        nodeName: string;
        peerId: string;
        listenAddrs: string[];
        observedAddrs: string[];
        expiresInMs: number;
    }>;
}, "strict", z.ZodTypeAny, {
    type: "record";
    record: {
        nodeName: string;
        peerId: string;
        listenAddrs: string[];
        observedAddrs: string[];
        expiresInMs: number;
    };
}, {
    type: "record";
    record: {
        nodeName: string;
        peerId: string;
        listenAddrs: string[];
        observedAddrs: string[];
        expiresInMs: number;
    };
}>, z.ZodObject<{
    type: z.ZodLiteral<"error">;
    code: z.ZodString;
    message: z.ZodString;
}, "strict", z.ZodTypeAny, {
    message: string;
    code: string;
    type: "error";
}, {
    message: string;
    code: string;
    type: "error";
}>]>;
export type RendezvousResponse = z.infer<typeof RendezvousResponse>;
/** A → server: punch toward `nodeName`. Server → B: `sync`, B → server: `ack`. Server → A: `sync` or error. */
export declare const PunchMessage: z.ZodDiscriminatedUnion<"type", [z.ZodObject<{
    type: z.ZodLiteral<"connect">;
    nodeName: z.ZodString;
}, "strict", z.ZodTypeAny, {
    nodeName: string;
    type: "connect";
}, {
    nodeName: string;
    type: "connect";
}>, z.ZodObject<{
    type: z.ZodLiteral<"sync">;
    peerId: z.ZodString;
    nodeName: z.ZodString;
    endpoint: z.ZodObject<{
        ip: z.ZodString;
        port: z.ZodNumber;
    }, "strict", z.ZodTypeAny, {
        port: number;
        ip: string;
    }, {
        port: number;
        ip: string;
    }>;
    inMs: z.ZodNumber;
}, "strict", z.ZodTypeAny, {
    nodeName: string;
    type: "sync";
    peerId: string;
    endpoint: {
        port: number;
        ip: string;
    };
    inMs: number;
}, {
    nodeName: string;
    type: "sync";
    peerId: string;
    endpoint: {
        port: number;
        ip: string;
    };
    inMs: number;
}>, z.ZodObject<{
    type: z.ZodLiteral<"ack">;
}, "strict", z.ZodTypeAny, {
    type: "ack";
}, {
    type: "ack";
}>, z.ZodObject<{
    type: z.ZodLiteral<"error">;
    code: z.ZodString;
    message: z.ZodString;
}, "strict", z.ZodTypeAny, {
    message: string;
    code: string;
    type: "error";
}, {
    message: string;
    code: string;
    type: "error";
}>]>;
export type PunchMessage = z.infer<typeof PunchMessage>;
/** A framed JSON reader/writer over one libp2p stream. */
export interface JsonStream<In> {
    read: (options?: AbortOptions) => Promise<In>;
    write: (msg: unknown, options?: AbortOptions) => Promise<void>;
}
export declare function jsonStream<In>(stream: Stream, schema: z.ZodType<In, z.ZodTypeDef, unknown>): JsonStream<In>;
