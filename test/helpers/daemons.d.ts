import { type ChildProcess } from 'node:child_process';
/** First stdout line matching `pred`; rejects with the child's stderr when it exits or times out. */
export declare function firstLine(child: ChildProcess, pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
/**
 * Writes a loopback-only edgemesh-server config (fresh CA, server key and certificate, ports 0)
 * into `dir` and returns its path.
 */
export declare function writeEdgeMeshServerConfig(dir: string): Promise<string>;
