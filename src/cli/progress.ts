/**
 * What `strata train` shows while it works. On a terminal: a batch bar on
 * stderr (cli-progress) with the running loss, samples/s and ETA. Always
 * (unless --quiet or --json): one line per epoch on stdout. With --json: one
 * JSON line per epoch on stdout and nothing else there.
 */
import type { EpochLog } from '../train/loop.js';
import type { BatchProgress } from '../train/loop.js';

export type ProgressMode = 'bar' | 'lines' | 'json' | 'quiet';

export function progressMode(opts: { json?: boolean; quiet?: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (opts.json) return 'json';
  if (opts.quiet) return 'quiet';
  return stream.isTTY && !process.env.CI ? 'bar' : 'lines';
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4));

/** `epoch 3/10  loss 0.1234  accuracy 0.9650  val_loss 0.1500 …  12.3 s  4,520 samples/s` */
export function epochLine(log: EpochLog, epochs: number, note = ''): string {
  const skip = new Set(['epoch', 'lr', 'seconds', 'samples_per_second']);
  const metrics = Object.entries(log)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k} ${fmt(v)}`);
  return [`epoch ${log.epoch}/${epochs}`, ...metrics, `lr ${fmt(log.lr)}`, `${log.seconds.toFixed(1)} s`, `${Math.round(log.samples_per_second).toLocaleString('en-US')} samples/s`].join('  ') + (note ? `  ${note}` : '');
}

export class Progress {
  private bar: import('cli-progress').SingleBar | undefined;
  private lossSum = 0;
  private lossCount = 0;
  private started = 0;

  private constructor(
    readonly mode: ProgressMode,
    private readonly epochs: number,
    private readonly barClass?: typeof import('cli-progress').SingleBar,
  ) {}

  static async create(mode: ProgressMode, epochs: number): Promise<Progress> {
    if (mode !== 'bar') return new Progress(mode, epochs);
    const { SingleBar } = await import('cli-progress');
    return new Progress(mode, epochs, SingleBar);
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

  epoch(log: EpochLog, note = ''): void {
    this.clear();
    if (this.mode === 'json') process.stdout.write(`${JSON.stringify(log)}\n`);
    else if (this.mode !== 'quiet') process.stdout.write(`${epochLine(log, this.epochs, note)}\n`);
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
