/**
 * What `strata train` shows while it works. On a terminal: a batch bar on
 * stderr (cli-progress) with the running loss, samples/s and ETA. Always
 * (unless --quiet or --json): one line per epoch on stdout. With --json: one
 * JSON line per epoch on stdout and nothing else there.
 */
import type { EpochLog } from '../train/loop.js';
import type { BatchProgress } from '../train/loop.js';
import { SPARSITY_PREFIX } from '../train-registry/pruning.js';

export type ProgressMode = 'bar' | 'lines' | 'json' | 'quiet';

export function progressMode(opts: { json?: boolean; quiet?: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (opts.json) return 'json';
  if (opts.quiet) return 'quiet';
  return stream.isTTY && !process.env.CI ? 'bar' : 'lines';
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4));

/** Up to this many epochs every epoch has its line (without a terminal); beyond, EpochLines picks. */
export const EVERY_EPOCH_UP_TO = 50;
const STEPS = [1, 2, 5];

/** k for a run of `epochs`: the smallest of 1, 2, 5, 10, 20, 50, … that keeps to about EVERY_EPOCH_UP_TO lines. */
export function lineEvery(epochs: number): number {
  if (epochs <= EVERY_EPOCH_UP_TO) return 1;
  for (let scale = 1; ; scale *= 10) for (const s of STEPS) if (s * scale * EVERY_EPOCH_UP_TO >= epochs) return s * scale;
}

/**
 * Which epoch lines a run of `epochs` prints: every one up to EVERY_EPOCH_UP_TO epochs; beyond,
 * the first of the session, every k-th, the last, and a new best when no best was printed in the
 * k epochs before it (a loss that improves every epoch would otherwise print every epoch): at
 * most about 2 × EVERY_EPOCH_UP_TO lines whatever the count.
 */
export class EpochLines {
  readonly every: number;
  private first = true;
  private lastBest = Number.NEGATIVE_INFINITY;

  constructor(readonly epochs: number) {
    this.every = lineEvery(epochs);
  }

  /** Whether epoch `epoch` (1-based) gets a line; call once per epoch, in order. */
  shown(epoch: number, best: boolean): boolean {
    const first = this.first;
    this.first = false;
    if (this.every === 1 || first || epoch % this.every === 0 || epoch >= this.epochs) {
      if (best) this.lastBest = epoch;
      return true;
    }
    if (best && epoch - this.lastBest >= this.every) {
      this.lastBest = epoch;
      return true;
    }
    return false;
  }

  /** The note said once before the first line when lines are left out. */
  note(): string | undefined {
    if (this.every === 1) return undefined;
    return `(${this.epochs} epochs: printing the first, every ${this.every === 2 ? '2nd' : `${this.every}th`}, new bests (at most one per ${this.every} epochs) and the last; metrics.jsonl has every epoch)`;
  }
}

/** `epoch 3/10  loss 0.1234  accuracy 0.9650  val_loss 0.1500 …  12.3 s  4,520 samples/s` */
export function epochLine(log: EpochLog, epochs: number, note = ''): string {
  const skip = new Set(['epoch', 'lr', 'seconds', 'samples_per_second']);
  const metrics = Object.entries(log)
    // Each pruned layer's sparsity is in metrics.jsonl and the report's chart, not on the line.
    .filter(([k]) => !skip.has(k) && !k.startsWith(SPARSITY_PREFIX))
    .map(([k, v]) => `${k} ${fmt(v)}`);
  return [`epoch ${log.epoch}/${epochs}`, ...metrics, `lr ${fmt(log.lr)}`, `${log.seconds.toFixed(1)} s`, `${Math.round(log.samples_per_second).toLocaleString('en-US')} samples/s`].join('  ') + (note ? `  ${note}` : '');
}

export class Progress {
  private bar: import('cli-progress').SingleBar | undefined;
  private lossSum = 0;
  private lossCount = 0;
  private started = 0;
  private lines: EpochLines;
  private noteSaid = false;

  private constructor(
    readonly mode: ProgressMode,
    private readonly epochs: number,
    private readonly barClass?: typeof import('cli-progress').SingleBar,
    private readonly out: Pick<NodeJS.WriteStream, 'write'> = process.stdout,
  ) {
    this.lines = new EpochLines(epochs);
  }

  /** `out`: where epoch lines go (stdout; tests give their own). */
  static async create(mode: ProgressMode, epochs: number, out: Pick<NodeJS.WriteStream, 'write'> = process.stdout): Promise<Progress> {
    if (mode !== 'bar') return new Progress(mode, epochs, undefined, out);
    const { SingleBar } = await import('cli-progress');
    return new Progress(mode, epochs, SingleBar, out);
  }

  batch(p: BatchProgress): void {
    if (this.mode !== 'bar' || !this.barClass) return;
    if (!this.bar) {
      this.bar = new this.barClass(
        {
          format: `epoch ${p.epoch + 1}/${this.epochs} [{bar}] {value}/{total} | loss {loss} | {speed} samples/s | ETA {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 24,
          etaBuffer: 50,
          fps: 8,
        },
      );
      this.bar.start(p.batches, p.batch - 1, { loss: '-', speed: '-' });
      this.started = performance.now();
      this.lossSum = 0;
      this.lossCount = 0;
    }
    this.lossSum += p.loss;
    this.lossCount++;
    const seconds = (performance.now() - this.started) / 1000;
    this.bar.update(p.batch, { loss: (this.lossSum / this.lossCount).toFixed(4), speed: seconds > 0 ? Math.round(p.samples / seconds).toLocaleString('en-US') : '-' });
  }

  /** Clear the bar before other output. */
  private clear(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /**
   * An epoch's line: with --json always (one JSON line each); on a terminal always (the bar
   * shows the rest); otherwise those EpochLines picks, what it leaves out said once before the
   * first line.
   */
  epoch(log: EpochLog, note = '', best = false): void {
    this.clear();
    if (this.mode === 'json') {
      this.out.write(`${JSON.stringify(log)}\n`);
      return;
    }
    if (this.mode === 'quiet') return;
    if (this.mode === 'lines') {
      if (!this.lines.shown(log.epoch, best)) return;
      const note = this.lines.note();
      if (note && !this.noteSaid) this.out.write(`${note}\n`);
      this.noteSaid = true;
    }
    this.out.write(`${epochLine(log, this.epochs, note)}\n`);
  }

  /** A message for the person watching (stderr; not in quiet or JSON mode unless it is a warning). */
  say(text: string, warning = false): void {
    this.clear();
    if (warning || this.mode === 'bar' || this.mode === 'lines') process.stderr.write(`${text}\n`);
  }

  stop(): void {
    this.clear();
  }
}
