// Real child processes with known usage, for the node-metrics tests: each is spawned detached (its own
// process-group leader, as edged spawns containers) and killed with its whole group.
import { spawn, type ChildProcess } from 'node:child_process'

export interface UsageProcess { child: ChildProcess, pid: number, kill: () => void }

/** A process whose group does `script` (a shell command line); resolves once it runs. */
export async function groupProcess (script: string): Promise<UsageProcess> {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' })
  await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject) })
  const pid = child.pid!
  return { child, pid, kill: () => { try { process.kill(-pid, 'SIGKILL') } catch { /* already gone */ } } }
}

const node = (code: string): string => `'${process.execPath}' -e '${code}'`

/** A node process spinning one core. */
export const BUSY = node('for(;;){}')
/** A node process sleeping. */
export const IDLE = node('setInterval(()=>{},1000)')
/** A node process holding `mib` MiB of touched memory, printing nothing. */
export const ALLOC = (mib: number): string => node(`globalThis.b=Buffer.alloc(${mib}*1048576,1);setInterval(()=>{},1000)`)
