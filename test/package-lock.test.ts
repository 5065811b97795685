// The committed lock file is exactly what `npm install` writes, so the README's own commands
// leave `git status` clean, and installing it prints no engine warnings on the Node version
// running the tests (issue 12). npm rewrites the lock from package.json: run it on a copy.
import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const run = promisify(execFile)
const root = new URL('..', import.meta.url).pathname

async function npmInstallOnACopy (): Promise<{ lock: string, stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'oauth-guard-lock-'))
  try {
    await copyFile(join(root, 'package.json'), join(dir, 'package.json'))
    await copyFile(join(root, 'package-lock.json'), join(dir, 'package-lock.json'))
    // --offline: an up-to-date lock needs no registry; a stale one fails here or differs below.
    const { stderr } = await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { ...process.env, npm_config_loglevel: 'warn' }
    })
    return { lock: await readFile(join(dir, 'package-lock.json'), 'utf8'), stderr }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const installed = npmInstallOnACopy()

t.test('package-lock.json is what `npm install` writes for package.json', async (t) => {
  const committed = await readFile(join(root, 'package-lock.json'), 'utf8')
  t.equal((await installed).lock, committed, 'run `npm install` and commit package-lock.json')
})

t.test(`installing prints no engine warning on Node ${process.version}`, async (t) => {
  t.notMatch((await installed).stderr, /EBADENGINE/, 'a locked package refuses this Node version: pin one that accepts the engines range')
})

t.test('the lock root entry repeats package.json dependencies, peers and engines', async (t) => {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8'))
  const entry = lock.packages['']
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'peerDependenciesMeta', 'engines']) {
    t.same(entry[field], pkg[field], field)
  }
})
