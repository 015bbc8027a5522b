import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { HttpClient } from '../test/load/http-client.js';
import { AwsStandIn } from '../test/support/aws-stand-in.js';
import { summarize } from './stats.js';
import { BENCH_ECS_ENV, SECRET } from './warm.js';

const API_KEY = 'bench-api-key';

/** CPU seconds (user + system) a process has used so far, from /proc; undefined off Linux. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name; 100 ticks/s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Starts a process and resolves with the first 127.0.0.1 URL it prints (servers: on stderr). */
function startServer(
  script: string,
  env: NodeJS.ProcessEnv,
  on: 'stdout' | 'stderr' = 'stderr',
): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((done, fail) => {
    const stdio = on === 'stderr' ? ['ignore', 'ignore', 'pipe'] : ['ignore', 'pipe', 'ignore'];
    // One process (not the tsx CLI, which forks): its CPU time is the server's.
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env,
      stdio: stdio as ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    const timer = setTimeout(() => fail(new Error(`${script} did not start: ${err}`)), 20_000);
    child[on]?.on('data', (chunk) => {
      err += chunk;
      const url = /http:\/\/127\.0\.0\.1:\d+(\/trigger)?/.exec(err)?.[0];
      if (url) {
        clearTimeout(timer);
        done({ url, child });
      }
    });
    child.on('exit', (code) => fail(new Error(`${script} exited ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((done) => setTimeout(done, 3_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Sends `total` webhooks over `concurrency` keep-alive connections; webhooks per second. */
async function load(url: string, total: number, concurrency: number, prefix: string): Promise<number> {
  const client = new HttpClient(concurrency);
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const key = `${prefix}-${next++}`;
          const answer = await client.send(url, {
            headers: {
              'content-type': 'application/json',
              'x-api-key': API_KEY,
              authorization: `Bearer ${SECRET}`,
              'idempotency-key': key,
            },
            body: Buffer.from(JSON.stringify({ task_id: key, action: 'plan', run_id: 'run-1' })),
          });
          if (answer.status !== 202) throw new Error(`${url} answered ${answer.status}: ${answer.body}`);
        }
      }),
    );
  } finally {
    client.close();
  }
  return total / ((performance.now() - started) / 1000);
}

export interface ThroughputFigures {
  readonly rounds: number;
  readonly total: number;
  readonly concurrency: number;
  readonly local: number;
  readonly bare: number;
  /** Server CPU milliseconds per webhook (median over rounds); undefined off Linux. */
  readonly localCpuMs: number | undefined;
  readonly bareCpuMs: number | undefined;
  /** Median over rounds of local / bare, round by round. */
  readonly pairedRatio: number;
  readonly ratios: number[];
}

/**
 * Throughput of `npm start` (LAUNCH_TARGET=ecs, the local gateway in front of the Lambda handler)
 * against the ECS stand-in, next to a bare node:http server making the same RunTask call
 * (bench/bare-server.ts). Each server, and the stand-in, runs in its own process; the load runs here.
 * Rounds alternate bare and local so drift on this shared machine hits both alike.
 */
export async function measureThroughput({ rounds = 3, total = 3_000, concurrency = 16 } = {}) {
  const standIn = await startServer('bench/stand-in-main.ts', process.env, 'stdout');
  const endpoint = standIn.url;
  const env = {
    ...process.env,
    ...AwsStandIn.clientEnv(endpoint),
    ...BENCH_ECS_ENV,
    API_KEY,
    PORT: '0',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const servers = {
    bare: await startServer('bench/bare-server.ts', env),
    local: await startServer('local/server-main.ts', env),
  };
  try {
    // Warm both (JIT, connections) before anything counts.
    await load(servers.bare.url, 500, concurrency, 'warm-bare');
    await load(servers.local.url, 500, concurrency, 'warm-local');
    const bare: number[] = [];
    const local: number[] = [];
    const ratios: number[] = [];
    const cpu = { bare: [] as number[], local: [] as number[] };
    const run = async (which: 'bare' | 'local', round: number) => {
      const { url, child } = servers[which];
      const before = cpuSeconds(child.pid);
      const perSecond = await load(url, total, concurrency, `${which}-${round}`);
      const after = cpuSeconds(child.pid);
      if (before !== undefined && after !== undefined) cpu[which].push(((after - before) * 1000) / total);
      return perSecond;
    };
    for (let round = 0; round < rounds; round++) {
      bare.push(await run('bare', round));
      local.push(await run('local', round));
      ratios.push((local[round] as number) / (bare[round] as number));
    }
    const cpuMs = (xs: number[]) => (xs.length === rounds ? summarize(xs).p50 : undefined);
    return {
      rounds,
      total,
      concurrency,
      local: summarize(local).p50,
      bare: summarize(bare).p50,
      localCpuMs: cpuMs(cpu.local),
      bareCpuMs: cpuMs(cpu.bare),
      pairedRatio: summarize(ratios).p50,
      ratios,
    };
  } finally {
    await Promise.all([stop(servers.bare.child), stop(servers.local.child)]);
    await stop(standIn.child);
  }
}

export function formatThroughput(f: ThroughputFigures): string[] {
  const cpu = (ms: number | undefined) =>
    ms === undefined ? '' : `  server CPU ${ms.toFixed(3)} ms/webhook`;
  const lines = [
    `npm start (ecs, gateway + handler)  ${f.local.toFixed(0).padStart(6)} webhooks/s${cpu(f.localCpuMs)}`,
    `bare node:http + one RunTask       ${f.bare.toFixed(0).padStart(6)} webhooks/s${cpu(f.bareCpuMs)}`,
    `ratio local/bare, measured          ×${f.pairedRatio.toFixed(2)} (median of ${f.rounds} alternating rounds of ${f.total} webhooks at concurrency ${f.concurrency}: ${f.ratios.map((r) => r.toFixed(2)).join(', ')}; goal >= ×0.60)`,
  ];
  if (f.localCpuMs !== undefined && f.bareCpuMs !== undefined) {
    // On 2 shared cores the load and the stand-in can be the bottleneck; CPU per webhook is not.
    lines.push(
      `ratio local/bare, CPU-bound ceiling ×${(f.bareCpuMs / f.localCpuMs).toFixed(2)} (bare CPU per webhook / ours: the throughput ratio once each server saturates its core)`,
    );
  }
  return lines;
}

// Standalone: `npx tsx bench/throughput.ts`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const line of formatThroughput(await measureThroughput())) console.log(line);
}
