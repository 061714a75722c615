/**
 * Run in a child process by test/mechanism-loading.test.ts: imports the module given, then
 * (with `--open ID`) opens one mechanism's client end the way the probe does, and prints as
 * one JSON line the podipc modules that were loaded, as paths under dist/. A module-loader
 * hook (node:module register) sees every module the process loads, static or dynamic.
 *
 *   node dist/test/helpers/loaded-modules.js dist/bench/registry.js [--open uds]
 */
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const HOOKS = 'let port; export function initialize(data) { port = data.port; } export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';

const { port1, port2 } = new MessageChannel();
const loaded: string[] = [];
port1.on('message', (url: string) => loaded.push(url));
register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { port: port2 }, transferList: [port2] });

const [entry, flag, id] = process.argv.slice(2);
const mod = (await import(pathToFileURL(resolve(entry!)).href)) as typeof import('../../bench/registry.js');
if (flag === '--open') {
  const mechanism = mod.findMechanism(id!);
  if (!mechanism) throw new Error(`no mechanism '${id}'`);
  // A client whose server never publishes: open fails at the rendezvous, after its module loaded.
  const ctx = {
    role: 'client',
    variant: undefined,
    probe: 'latency',
    messageBytes: 64,
    caseIndex: 0,
    volumes: { disk: '/nonexistent', tmpfs: undefined },
    net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
    ipc: undefined,
    rendezvous: { publish: () => Promise.reject(new Error('not here')), wait: () => Promise.reject(new Error('no server in this test')) },
    setupTimeoutMs: 100,
  } as unknown as Parameters<typeof mechanism.open>[0];
  await mechanism.open(ctx).then(
    (ch) => ch.close(),
    () => {},
  );
}
// The hook thread posts asynchronously: let its last messages arrive.
await new Promise((r) => setTimeout(r, 100));
port1.close();
const dist = pathToFileURL(resolve(import.meta.dirname, '..', '..')).href + '/';
console.log(JSON.stringify(loaded.filter((u) => u.startsWith(dist)).map((u) => u.slice(dist.length))));
