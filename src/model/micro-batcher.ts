/**
 * Dynamic (micro-)batching of concurrent inference calls, as Triton and BentoML do it.
 *
 * Rows from requests that arrive while the model is busy — or within `maxDelayMs` — are packed into one
 * model call of at most `maxRowsPerCall` rows, and the outputs are handed back to each caller in order. A
 * single model call costs ~45 µs whether it carries 1 row or 64, so under concurrency this turns N calls
 * into one. The queue is bounded: past `maxQueueRows` waiting rows a call fails at once with
 * {@link QueueFullError} instead of waiting without limit.
 */

/** Runs the model on `rows` packed rows; returns `rows × outputWidth` values. Synchronous by design. */
export type BatchRunner = (features: Float32Array, rows: number) => Float32Array;

export interface MicroBatcherOptions {
  /** Values per input row. */
  readonly inputWidth: number;
  /** Values per output row. */
  readonly outputWidth: number;
  /** Most rows one model call may carry; a caller's own batch counts toward it. @default 256 */
  readonly maxRowsPerCall?: number;
  /** How long the first queued row may wait for company; 0 = take whatever is queued when the model is free. @default 0 */
  readonly maxDelayMs?: number;
  /** Most rows allowed to wait; beyond it calls fail with {@link QueueFullError}. @default 4096 */
  readonly maxQueueRows?: number;
  /** Called after every model call with its row count and duration, e.g. for metrics. */
  readonly onBatch?: (rows: number, seconds: number) => void;
}

/** The queue is full: the caller should answer 503 with `Retry-After`. */
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";
  constructor(
    readonly queuedRows: number,
    readonly maxQueueRows: number,
    /** Seconds after which a retry is reasonable. */
    readonly retryAfterSeconds = 1,
  ) {
    super(`inference queue is full (${queuedRows} rows waiting, limit ${maxQueueRows})`);
  }
}

interface Pending {
  features: Float32Array;
  rows: number;
  resolve: (output: Float32Array) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher {
  readonly maxRowsPerCall: number;
  readonly maxDelayMs: number;
  readonly maxQueueRows: number;
  private readonly queue: Pending[] = [];
  private queuedRowCount = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: BatchRunner,
    private readonly options: MicroBatcherOptions,
  ) {
    this.maxRowsPerCall = options.maxRowsPerCall ?? 256;
    this.maxDelayMs = options.maxDelayMs ?? 0;
    this.maxQueueRows = options.maxQueueRows ?? 4096;
    for (const [name, value, min] of [
      ["inputWidth", options.inputWidth, 1],
      ["outputWidth", options.outputWidth, 1],
      ["maxRowsPerCall", this.maxRowsPerCall, 1],
      ["maxDelayMs", this.maxDelayMs, 0],
      ["maxQueueRows", this.maxQueueRows, 1],
    ] as const) {
      if (!Number.isInteger(value) || value < min) {
        throw new RangeError(`MicroBatcher: ${name} must be an integer ≥ ${min}, got ${value}`);
      }
    }
  }

  /** Rows waiting for a model call. */
  get queuedRows(): number {
    return this.queuedRowCount;
  }

  /**
   * Queues `rows` rows (packed row-major in `features`) and resolves with exactly their outputs.
   * Rejects at once with {@link QueueFullError} when the queue cannot take them.
   */
  infer(features: Float32Array, rows: number): Promise<Float32Array> {
    if (this.queuedRowCount + rows > this.maxQueueRows && this.queuedRowCount > 0) {
      return Promise.reject(new QueueFullError(this.queuedRowCount, this.maxQueueRows));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ features, rows, resolve, reject });
      this.queuedRowCount += rows;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.queuedRowCount >= this.maxRowsPerCall) {
      // A full batch is ready: don't make it wait for the delay.
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
      return;
    }
    if (this.scheduled || this.timer) return;
    if (this.maxDelayMs === 0) {
      // setImmediate runs after the I/O callbacks of this loop turn: every request parsed in the same
      // turn joins this batch.
      this.scheduled = true;
      setImmediate(() => this.flush());
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.scheduled = true;
        this.flush();
      }, this.maxDelayMs);
    }
  }

  /**
   * Runs everything queued, in calls of up to `maxRowsPerCall` rows, before returning. The model call is
   * synchronous, so the model is free again the moment a call returns; taking only one call per event-loop
   * turn left accepted requests waiting many turns when a turn is long (512 connections of 64-row bodies:
   * accepted p50 ~800 ms with one call per turn).
   */
  private flush(): void {
    this.scheduled = false;
    const queue = this.queue.splice(0);
    this.queuedRowCount = 0;
    let start = 0;
    while (start < queue.length) {
      let end = start + 1;
      let rows = (queue[start] as Pending).rows;
      while (end < queue.length && rows + (queue[end] as Pending).rows <= this.maxRowsPerCall) {
        rows += (queue[end] as Pending).rows;
        end++;
      }
      this.execute(queue.slice(start, end), rows);
      start = end;
    }
  }

  private execute(batch: Pending[], rows: number): void {
    const { inputWidth, outputWidth } = this.options;
    let output: Float32Array;
    const started = performance.now();
    try {
      if (batch.length === 1) {
        output = this.run((batch[0] as Pending).features, rows);
      } else {
        const packed = new Float32Array(rows * inputWidth);
        let offset = 0;
        for (const item of batch) {
          packed.set(item.features, offset);
          offset += item.features.length;
        }
        output = this.run(packed, rows);
      }
    } catch (error) {
      if (batch.length === 1) {
        (batch[0] as Pending).reject(error);
        return;
      }
      // Isolate the failure: run each caller alone so one bad call cannot fail its neighbours.
      for (const item of batch) this.execute([item], item.rows);
      return;
    }
    this.options.onBatch?.(rows, (performance.now() - started) / 1000);
    let offset = 0;
    for (const item of batch) {
      const length = item.rows * outputWidth;
      item.resolve(batch.length === 1 ? output : output.slice(offset, offset + length));
      offset += length;
    }
  }
}
