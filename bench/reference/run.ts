#!/usr/bin/env node
/**
 * `npm run reference`: run the plain-Node ping-pongs of this folder - the floor podipc's
 * probe is measured against - one server and one client process each, and print the p50
 * round trip per mechanism. `--json` prints one JSON object instead (bench/reference/overhead.ts
 * reads it). No podipc code runs in the ping-pongs themselves.
 *
 *   npm run reference -- [--mechanisms tcp,uds,udp,shm-spin] [--bytes 64] [--warmup 20000] [--ms 500] [--json]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { READY_PREFIX, RESULT_PREFIX } from './common.js';

export const REFERENCES = ['tcp', 'uds', 'udp', 'shm-spin'] as const;
export type Reference = (typeof REFERENCES)[number];

const here = dirname(fileURLToPath(import.meta.url));

/** The first line of `stream` that starts with `prefix`, without it. */
function lineWith(child: ReturnType<typeof spawn>, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      const line = text.split('\n').find((l) => l.startsWith(prefix));
      if (line !== undefined) resolve(line.slice(prefix.length));
    });
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.slice(1).join(' ')} exited (${code}) before printing ${prefix.trim()}`)));
  });
}

/** One ping-pong: p50 in ns and the sample count. */
export async function runReference(name: Reference, messageBytes: number, warmupRoundTrips: number, measureMs: number): Promise<{ p50Ns: number; samples: number }> {
  const script = join(here, `${name}.js`);
  const args = (role: string, address: string): string[] => [script, role, address, String(messageBytes), String(warmupRoundTrips), String(measureMs)];
  const server = spawn(process.execPath, args('server', '-'), { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const address = await lineWith(server, READY_PREFIX);
    const client = spawn(process.execPath, args('client', address), { stdio: ['ignore', 'pipe', 'inherit'] });
    const result = JSON.parse(await lineWith(client, RESULT_PREFIX)) as { p50Ns: number; samples: number };
    await once(client, 'exit');
    return result;
  } finally {
    if (server.exitCode === null) {
      const exited = once(server, 'exit');
      setTimeout(() => server.kill('SIGKILL'), 2000).unref();
      await exited;
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mechanisms: { type: 'string', default: REFERENCES.join(',') },
      bytes: { type: 'string', default: '64' },
      warmup: { type: 'string', default: '20000' },
      ms: { type: 'string', default: '500' },
      json: { type: 'boolean', default: false },
    },
  });
  const names = values.mechanisms!.split(',').map((s) => s.trim());
  for (const n of names) if (!(REFERENCES as readonly string[]).includes(n)) throw new Error(`--mechanisms: '${n}' is not one of ${REFERENCES.join(', ')}`);
  const out: Record<string, { p50Ns: number; samples: number }> = {};
  for (const n of names as Reference[]) out[n] = await runReference(n, Number(values.bytes), Number(values.warmup), Number(values.ms));
  if (values.json) return void process.stdout.write(JSON.stringify(out) + '\n');
  console.log(`plain-Node ping-pong, ${values.bytes} B, ${values.warmup} round trips of warm-up, ${values.ms} ms measured`);
  console.log('| mechanism | p50 RTT | samples |\n|---|--:|--:|');
  for (const [n, r] of Object.entries(out)) console.log(`| ${n} | ${(r.p50Ns / 1000).toFixed(2)} µs | ${r.samples} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    console.error(`reference: ${err.message}`);
    process.exit(2);
  });
}
