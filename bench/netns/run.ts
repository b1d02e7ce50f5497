// Netns NAT benchmark (root only): node --conditions=source --import tsx bench/netns/run.ts
// Runs test/netns/bench-netns.ts (the topology lives with the e2e tests) and writes
// bench/results/netns.json and bench/results/netns.md with medians and ratios.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))

interface Run { path: string, connectMs: number, rttP50Ms: number, rttP99Ms: number, mibPerSec: number }

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? NaN }
const r2 = (x: number): number => Math.round(x * 100) / 100

function summary (runs: Run[]): Record<string, number> {
  return {
    mibPerSec: r2(median(runs.map(r => r.mibPerSec))),
    rttP50Ms: r2(median(runs.map(r => r.rttP50Ms))),
    rttP99Ms: r2(median(runs.map(r => r.rttP99Ms))),
    connectMs: r2(median(runs.map(r => r.connectMs)))
  }
}

async function main (): Promise<void> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'test/netns/bench-netns.ts')], { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 })
  const line = stdout.trim().split('\n').reverse().find(l => l.startsWith('{')) ?? '{}'
  const raw = JSON.parse(line) as { skipped?: string, loadavg: number[], bytes: number, pings: number, runs: number, cone: { firstFlowMs: number, punch: { lastDurationMs?: number, lastAttempts?: number }, raw: Run[], direct: Run[] }, symmetric: { firstFlowMs: number, relay: Run[] } }
  if (raw.skipped !== undefined) { console.log(`skipped: ${raw.skipped}`); return }
  const base = summary(raw.cone.raw)
  const direct = summary(raw.cone.direct)
  const relay = summary(raw.symmetric.relay)
  const result = {
    date: new Date().toISOString(),
    setup: { bytes: raw.bytes, pings: raw.pings, runs: raw.runs, loadavg: raw.loadavg, note: 'echo: throughput counts payload bytes once; all processes on one 2-core VM shared with other work (see loadavg); no added latency (no netem)' },
    baselinePortForward: base,
    tunnelDirectPunched: direct,
    tunnelRelayed: relay,
    connect: { relayFirstFlowMs: raw.symmetric.firstFlowMs, punchMs: raw.cone.punch.lastDurationMs, punchAttempts: raw.cone.punch.lastAttempts },
    ratios: {
      directVsBaselineThroughput: r2(direct.mibPerSec! / base.mibPerSec!),
      relayVsBaselineThroughput: r2(relay.mibPerSec! / base.mibPerSec!),
      relayVsDirectThroughput: r2(relay.mibPerSec! / direct.mibPerSec!),
      directVsBaselineRttP50: r2(direct.rttP50Ms! / base.rttP50Ms!),
      relayVsBaselineRttP50: r2(relay.rttP50Ms! / base.rttP50Ms!)
    },
    raw
  }
  await writeFile(join(root, 'bench/results/netns.json'), JSON.stringify(result, null, 2) + '\n')
  const row = (name: string, s: Record<string, number>): string => `| ${name} | ${s.mibPerSec} | ${s.rttP50Ms} | ${s.rttP99Ms} | ${s.connectMs} |`
  const md = [
    '# NAT topology benchmark (netns)',
    '',
    `${result.date}. node-a1 → node-b1 echo server across two NAT routers (DESIGN §6). ${raw.bytes / 1048576} MiB per throughput run, ${raw.pings} one-byte ping-pongs, median of ${raw.runs} runs. Same 2-core VM for all processes, shared with other jobs (load average ${raw.loadavg.map(x => x.toFixed(1)).join(' / ')} at the end: absolute MiB/s are CPU-bound and noisy, compare ratios), no added latency.`,
    '',
    '| Path | MiB/s | RTT p50 ms | RTT p99 ms | connect ms |',
    '|---|---|---|---|---|',
    row('raw TCP via port forward on router-b (baseline)', base),
    row('tunnel, hole-punched direct', direct),
    row('tunnel, relayed via edgemesh-server', relay),
    '',
    `Ratios: direct/baseline throughput ${result.ratios.directVsBaselineThroughput}, relay/baseline ${result.ratios.relayVsBaselineThroughput}, relay/direct ${result.ratios.relayVsDirectThroughput}; RTT p50 direct/baseline ${result.ratios.directVsBaselineRttP50}, relay/baseline ${result.ratios.relayVsBaselineRttP50}.`,
    '',
    `Connect: first flow through the relay (resolve + relay dial + auth + stream) ${r2(raw.symmetric.firstFlowMs)} ms; hole punch + Noise/yamux upgrade ${raw.cone.punch.lastDurationMs ?? '?'} ms (${raw.cone.punch.lastAttempts ?? '?'} SYN attempt(s)). "connect ms" in the table is opening one more flow on an existing connection (raw: a TCP handshake).`,
    ''
  ].join('\n')
  await writeFile(join(root, 'bench/results/netns.md'), md)
  console.log(md)
}

main().catch(err => { console.error(err); process.exitCode = 1 })
