// The replay's result writer thread: MOTChallenge, MOTS, YouTube-VIS and DAVIS files from the
// snapshots the replay published (see ReplayRecorder), so painting label maps and encoding PNGs
// never hold up the graph.
import { parentPort, workerData } from 'node:worker_threads';
import type { TracksMessage } from '../../operators/wire/track-messages.js';
import { ResultFiles } from './result-files.js';

/** Messages to the writer: a snapshot's JSON, or the end. */
export type ResultWriterRequest = { readonly kind: 'frame'; readonly json: string } | { readonly kind: 'close' };
/** Messages from the writer. */
export type ResultWriterEvent =
  | { readonly kind: 'warn'; readonly message: string }
  | { readonly kind: 'closed' }
  | { readonly kind: 'failed'; readonly message: string };

const post = (e: ResultWriterEvent) => parentPort!.postMessage(e);
let files: ResultFiles | null = null;
try {
  files = new ResultFiles((workerData as { outDir: string }).outDir, (message) => post({ kind: 'warn', message }));
} catch (err) {
  post({ kind: 'failed', message: (err as Error).message });
}
parentPort!.on('message', (request: ResultWriterRequest) => {
  try {
    if (request.kind === 'frame') files?.writeFrame(JSON.parse(request.json) as TracksMessage);
    else {
      files?.close();
      post({ kind: 'closed' });
    }
  } catch (err) {
    files = null; // stop writing; the replay reports it
    post({ kind: 'failed', message: (err as Error).message });
    if (request.kind === 'close') post({ kind: 'closed' });
  }
});
