// The committed lock file is exactly what `npm install` writes, so the README's own commands
// leave `git status` clean (issue 12). npm rewrites the lock from package.json: run it on a copy.
import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const run = promisify(execFile)
const root = new URL('..', import.meta.url).pathname

t.test('package-lock.json is what `npm install` writes for package.json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oauth-guard-lock-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await copyFile(join(root, 'package.json'), join(dir, 'package.json'))
  await copyFile(join(root, 'package-lock.json'), join(dir, 'package-lock.json'))
  // --offline: an up-to-date lock needs no registry; a stale one fails here or differs below.
  await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: { ...process.env, npm_config_loglevel: 'error' }
  })
  const written = await readFile(join(dir, 'package-lock.json'), 'utf8')
  const committed = await readFile(join(root, 'package-lock.json'), 'utf8')
  t.equal(written, committed, 'run `npm install` and commit package-lock.json')
})

t.test('the lock root entry repeats package.json dependencies, peers and engines', async (t) => {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8'))
  const entry = lock.packages['']
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'peerDependenciesMeta', 'engines']) {
    t.same(entry[field], pkg[field], field)
  }
})
