/**
 * One benchmark server process: builds the configuration named in `BENCH_SERVER`, listens on
 * 127.0.0.1 and reports its port to the orchestrator over IPC. `bench/run.ts` starts it pinned to
 * the server CPU.
 */
import type { AddressInfo } from 'node:net'
import { buildServer, type ServerSpec } from './servers.js'

const spec = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerSpec
try {
  const app = await buildServer(spec)
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.send?.({ port: (app.server.address() as AddressInfo).port })
  // CPU time used so far, in microseconds: the orchestrator turns it into CPU per request.
  process.on('message', (message) => {
    if (message !== 'cpu') return
    const { user, system } = process.cpuUsage()
    process.send?.({ cpu: user + system })
  })
  process.on('disconnect', () => { app.close().finally(() => process.exit(0)) })
} catch (err) {
  process.send?.({ error: String((err as Error).message) })
  process.exit(1)
}
