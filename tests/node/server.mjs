// Starting and stopping the real `hotline serve` for the Node tests: on port
// 0 in `dir`, its database kept there between starts.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const binary = process.env.HOTLINE_BINARY ?? resolve(here, '../../build/hotline');

// Writes `toml` as the configuration (with the key file in `dir` and a fast
// outbox backoff) and starts the server with `args` added to `serve`.
// Resolves once it listens, to {dir, port, base, db, log(), sql(query), stop()};
// stop() sends SIGTERM and checks the exit code is 0.
export async function startServer(dir, { publicBase, toml = '', args = [] }) {
  const config = join(dir, 'hotline.toml');
  writeFileSync(config, `[server]
public_base_url = "${publicBase}"
[storage]
key_file = "${join(dir, 'server.key')}"
[outbox]
backoff_base_ms = 20
backoff_max_s = 1
${toml}
`);
  const portFile = join(dir, 'port');
  rmSync(portFile, { force: true });
  const db = join(dir, 'hotline.db');
  const child = spawn(binary, ['serve', '--config', config, '--listen', '127.0.0.1:0', '--db', db,
    '--port-file', portFile, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const started = Date.now();
  while (!existsSync(portFile)) {
    if (child.exitCode !== null) throw new Error(`server exited: ${log}`);
    if (Date.now() - started > 10000) throw new Error(`server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 10));  // start-up only
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  return {
    dir, port, base: `http://127.0.0.1:${port}`, db,
    log: () => log,
    sql(query) { return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim(); },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      assert.equal(child.exitCode, 0, `server exit code; log:\n${log}`);
    },
  };
}
