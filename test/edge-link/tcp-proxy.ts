import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

/**
 * A TCP relay between edge and cloud that a test can break: `cut()` resets every connection (lost
 * frames, e.g. an ack), `freeze()` keeps the sockets open but silently drops every byte both ways from then
 * on (a half-open link, as a NAT router losing its mapping would make). New connections are forwarded normally.
 */
export class TcpProxy {
  private server?: Server
  private readonly pairs = new Set<{ a: Socket, b: Socket, frozen: boolean }>()

  constructor (private readonly targetPort: number) {}

  get port (): number { return (this.server?.address() as AddressInfo).port }
  get connections (): number { return this.pairs.size }

  async start (): Promise<void> {
    const server = createServer(a => {
      const b = connect(this.targetPort, '127.0.0.1')
      const pair = { a, b, frozen: false }
      this.pairs.add(pair)
      a.on('data', d => { if (!pair.frozen) b.write(d) })
      b.on('data', d => { if (!pair.frozen) a.write(d) })
      const end = (): void => { this.pairs.delete(pair); a.destroy(); b.destroy() }
      a.on('close', () => { if (!pair.frozen) end() })
      b.on('close', () => { if (!pair.frozen) end() })
      a.on('error', () => {})
      b.on('error', () => {})
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
    this.server = server
  }

  cut (): void {
    for (const p of [...this.pairs]) { p.a.resetAndDestroy(); p.b.resetAndDestroy(); this.pairs.delete(p) }
  }

  freeze (): void {
    for (const p of this.pairs) p.frozen = true
  }

  async stop (): Promise<void> {
    for (const p of this.pairs) { p.a.destroy(); p.b.destroy() }
    this.pairs.clear()
    await new Promise<void>(resolve => { if (this.server === undefined) resolve(); else this.server.close(() => resolve()) })
  }
}
