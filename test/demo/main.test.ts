// `npm run demo` stopped the way a supervisor stops it: one signal to the process it started,
// after which nothing may still listen (issue 12: the tsx child used to keep :3000 open).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect } from 'node:net'
import t from 'tap'

const root = new URL('../..', import.meta.url).pathname

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

async function accepts (port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1')
  try {
    await Promise.race([once(socket, 'connect'), once(socket, 'error').then(([err]) => { throw err })])
    return true
  } catch {
    return false
  } finally {
    socket.destroy()
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} to \`npm run demo\` closes the API and the provider and ends the process`, async (t) => {
    const [port, idpPort] = [await freePort(), await freePort()]
    const demo = spawn('npm', ['run', '--silent', 'demo'], {
      cwd: root,
      // No coverage from the demo (tap's @tapjs/processinfo reads this flag): it runs lib/ through tsx,
      // whose output has other offsets than the test loader's, so its coverage merged into the same
      // files counted every function a second time, never called.
      env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', PORT: String(port), IDP_PORT: String(idpPort) },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    t.teardown(() => { if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL') })
    let output = ''
    demo.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    await new Promise<void>((resolve, reject) => {
      demo.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ctrl+C stops.')) resolve()
      })
      demo.once('exit', () => reject(new Error(`the demo exited before listening:\n${output}`)))
    })
    t.ok(await accepts(port), 'the API listens')
    t.ok(await accepts(idpPort), 'the provider listens')

    const exited = once(demo, 'exit')
    demo.kill(signal)
    // A deadline, not a sleep: the test fails fast instead of at tap's timeout when nothing stops.
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<[null]>((resolve) => { timer = setTimeout(() => resolve([null]), 20_000) })
    const [code] = await Promise.race([exited, deadline])
    clearTimeout(timer)
    t.equal(code, 0, 'the demo exits cleanly')
    t.notOk(await accepts(port), 'nothing listens on the API port')
    t.notOk(await accepts(idpPort), 'nothing listens on the provider port')
    t.notMatch(output, /Unsupported runtime|EBADENGINE|Error/, 'the output has no warning')
  })
}
