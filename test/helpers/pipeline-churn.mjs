// Child process for gstreamer-release.integration.test.ts: opens the recording with the real source
// operator (GStreamer pipeline, bus poll, appsink pulls) `cycles` times, takes 10 frames each time
// and unsubscribes, as a camera that reconnects does: one pipeline at a time, each drained (up to
// 2 s) and in NULL before the next opens. Prints the resident memory (MB) after a warm-up and at
// the end, with garbage collection forced so that collected pipelines release their native memory.
// (Pipelines opened back to back overlap while they drain: the memory high-water mark then grows
// with how many drain at once, which says nothing about release.)
import { lastValueFrom, take, toArray } from 'rxjs';

const { gstreamerFrames } = await import(
  new URL('../../dist/operators/sources/gstreamer-frames.js', import.meta.url).href
);
const [source, cyclesArg] = process.argv.slice(2);
const cycles = Number(cyclesArg ?? 30);
const open = () =>
  lastValueFrom(
    gstreamerFrames({ cameraId: 'churn', kind: 'file', source, realtime: false, folderFps: 10, rtspLatencyMs: 0 }).pipe(
      take(10),
      toArray(),
    ),
  );
const settledRssMb = async () => {
  await new Promise((r) => setTimeout(r, 2500)); // every pipeline drained (EOS or the 2 s timeout) and in NULL
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 100));
  return process.memoryUsage().rss / 1e6;
};
for (let i = 0; i < 3; i++) {
  await open();
  await settledRssMb();
}
const before = await settledRssMb();
let after = before;
for (let i = 0; i < cycles; i++) {
  await open();
  after = await settledRssMb();
}
console.log(JSON.stringify({ cycles, before, after }));
process.exit(0);
