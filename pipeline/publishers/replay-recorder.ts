import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import type { TrackMessage } from '../../operators/wire/track-messages.js';
import type { ResultWriterEvent, ResultWriterRequest } from '../../eval/formats/result-files-worker.js';
import { REPLAY_FILES } from '../../eval/formats/result-files.js';
import { makeFolders } from '../../config/make-folders.js';
import {
  appendOutput,
  closeOutput,
  openOutputFile,
  OutputError,
  outputProblem,
} from '../../eval/formats/output-problem.js';

/**
 * Writes what a replay published, as it is published: the event log (every message as one JSON
 * line, byte for byte what subscribers received) and, when `withResults`, the field's result
 * formats ({@link ResultFiles}: MOTChallenge, MOTS, YouTube-VIS, DAVIS PNGs). The result files are
 * written by a worker thread that gets each snapshot's JSON, in order: painting label maps and
 * encoding a PNG per frame (~5 ms at 768×576) must not hold up the graph.
 */
export class ReplayRecorder implements TrackPublisher {
  readonly name = 'event-log';
  private readonly eventsFd: number;
  private readonly writer: Worker | null = null;
  private writerDone: Promise<void> | null = null;
  private failure: string | null = null;
  /** Why the event log could not be written (a full disk, an I/O error), or null. */
  private eventLogFailure: string | null = null;
  private closed = false;
  private messages = 0;
  private readonly eventsPath: string;

  /**
   * @param outDir created if missing; existing result files in it are overwritten
   * @param withResults also write the MOTChallenge, MOTS, YouTube-VIS and DAVIS files (the mask formats need snapshots with masks)
   * @param warn called with the writer's warnings (more than 255 tracks for the DAVIS PNGs) and failures
   * @param onFailure called once when an output cannot be written (full disk, I/O error): the replay should stop, nothing more is written
   * @throws OutputError when the folder or the event log cannot be created
   */
  constructor(
    outDir: string,
    withResults: boolean,
    private readonly warn: (message: string) => void = () => undefined,
    private readonly onFailure: (why: string) => void = () => undefined,
  ) {
    this.eventsPath = join(outDir, REPLAY_FILES.events);
    try {
      makeFolders(outDir);
    } catch (err) {
      throw new OutputError(outputProblem(this.eventsPath, err));
    }
    this.eventsFd = openOutputFile(this.eventsPath);
    if (!withResults) return;
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const writer = new Worker(new URL(`../../eval/formats/result-files-worker.${ext}`, import.meta.url), {
      workerData: { outDir },
    });
    this.writer = writer;
    this.writerDone = new Promise<void>((resolve) => {
      writer.on('message', (e: ResultWriterEvent) => {
        if (e.kind === 'warn') this.warn(e.message);
        else if (e.kind === 'failed') {
          this.failure = e.message;
          this.warn(`result files not written: ${e.message}`);
          this.onFailure(`result files not written: ${e.message}`);
        } else resolve();
      });
      writer.on('error', (err) => {
        this.failure = err.message;
        this.warn(`result files not written: ${err.message}`);
        this.onFailure(`result files not written: ${err.message}`);
        resolve();
      });
      writer.on('exit', () => resolve());
    });
  }

  publish(message: TrackMessage, json: string): void {
    if (this.closed || this.eventLogFailure) return;
    try {
      appendOutput(this.eventsFd, this.eventsPath, `${json}\n`);
    } catch (err) {
      this.eventLogFailure = (err as Error).message;
      this.onFailure(this.eventLogFailure);
      return;
    }
    this.messages++;
    if (this.writer && message.type === 'tracks')
      this.writer.postMessage({ kind: 'frame', json } satisfies ResultWriterRequest);
  }

  /** Messages written to the event log. */
  get counters(): Readonly<{ messages: number }> {
    return { messages: this.messages };
  }

  /** Why the result files could not be written, or null. */
  get resultFailure(): string | null {
    return this.failure;
  }

  /** Why an output could not be written (the event log first), or null. */
  get outputFailure(): string | null {
    return this.eventLogFailure ?? this.failure;
  }

  /** Closes the event log and waits for the writer to finish every snapshot and the whole-replay files. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      closeOutput(this.eventsFd, this.eventsPath);
    } catch (err) {
      this.eventLogFailure ??= (err as Error).message;
    }
    if (!this.writer) return;
    this.writer.postMessage({ kind: 'close' } satisfies ResultWriterRequest);
    await this.writerDone;
    await this.writer.terminate();
  }
}
