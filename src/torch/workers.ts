/**
 * The torch engine's Python processes on this machine: one, or with
 * `--workers N` (and `--nodes`) this node's share of the data-parallel
 * workers, started as torchrun would start them (MASTER_ADDR, MASTER_PORT,
 * RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE; Debian's torchrun fails on
 * Python 3.11). Every worker gets every command (python/strata_torch/
 * distributed.py says how they share a batch); this node's first worker's
 * events are the ones reported, since every worker sees the same figures.
 *
 * When one fails, the others here are killed at once (no process is left
 * behind), and the failure reported is the one that caused it: a worker that
 * was killed or raised, not the others' lost connections.
 */
import { createServer } from 'node:net';
import { TorchProcess } from './process.js';
import type { TorchEvent } from './process.js';

export interface Distribution {
  /** Worker processes on this machine. */
  workers: number;
  /** Machines; this one's rank among them (0 keeps the run directory). */
  nodes: number;
  nodeRank: number;
  /** Node 0's address and port for the workers' rendezvous (on one machine: 127.0.0.1 and a free port). */
  master?: { host: string; port: number };
  /** Seconds to wait for every worker to join (and for any exchange between them). */
  joinTimeout: number;
}

/** A free TCP port on the loopback interface, for a one-machine rendezvous. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Messages of a worker whose partner went away first: not the cause. */
const LOST_PARTNER = /Connection closed by peer|Connection reset|Broken pipe|ProcessGroupGloo|Gloo|gloo/i;

export class TorchWorkers {
  private constructor(private readonly procs: TorchProcess[]) {}

  get size(): number {
    return this.procs.length;
  }

  static async start(python: string, verbose: boolean, d: Distribution | undefined): Promise<TorchWorkers> {
    const world = d ? d.workers * d.nodes : 1;
    if (!d || world === 1) return new TorchWorkers([new TorchProcess(python, verbose)]);
    const master = d.master ?? { host: '127.0.0.1', port: await freePort() };
    const procs = Array.from({ length: d.workers }, (_, local) => {
      const rank = d.nodeRank * d.workers + local;
      const env = {
        MASTER_ADDR: master.host,
        MASTER_PORT: String(master.port),
        RANK: String(rank),
        LOCAL_RANK: String(local),
        WORLD_SIZE: String(world),
        LOCAL_WORLD_SIZE: String(d.workers),
      };
      return new TorchProcess(python, verbose, { env, label: `worker ${rank} of ${world}` });
    });
    return new TorchWorkers(procs);
  }

  /** A command for every worker, without waiting (such as `stop`). */
  send(command: Record<string, unknown>): void {
    for (const p of this.procs) p.send(command);
  }

  /** A command for every worker; this node's first worker's events (`onEvent` sees those before the last). */
  async request(command: Record<string, unknown>, endsWith: string, onEvent?: (e: TorchEvent) => void): Promise<TorchEvent> {
    return this.guard(async () => (await Promise.all(this.procs.map((p, i) => p.request(command, endsWith, i === 0 ? onEvent : undefined))))[0]!);
  }

  /** A command for this node's first worker only (such as `save`: every worker holds the same weights). */
  async requestFirst(command: Record<string, unknown>, endsWith: string): Promise<TorchEvent> {
    return this.guard(() => this.procs[0]!.request(command, endsWith));
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (this.procs.length === 1) throw e;
      // Give a worker that died a moment to be seen as the cause, then end them all.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const died = this.procs.map((p) => p.died()).find((f) => f !== undefined);
      this.kill();
      if (died) throw died;
      if (e instanceof Error && LOST_PARTNER.test(e.message)) {
        // Another worker here may have raised first; its own error is the cause.
        for (const p of this.procs) {
          const own = await p.next().catch((f: unknown) => f);
          if (own instanceof Error && !LOST_PARTNER.test(own.message)) throw own;
        }
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.close()));
  }

  kill(): void {
    for (const p of this.procs) p.kill();
  }
}
