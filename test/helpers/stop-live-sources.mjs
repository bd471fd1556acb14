// Child process for gstreamer-frames.integration.test.ts: four live (paced) file sources on a
// libuv pool of two threads, each unsubscribed after three frames. The process must then exit by
// itself: a stopped pipeline may not leave a thread blocked on its bus.
import { lastValueFrom, merge, take } from 'rxjs';

const { gstreamerFrames } = await import(
  new URL('../../dist/operators/sources/gstreamer-frames.js', import.meta.url).href
);
const source = process.argv[2];
const spec = (i) => ({ cameraId: `c${i}`, kind: 'file', source, realtime: true, folderFps: 10, rtspLatencyMs: 200 });
await lastValueFrom(merge(...[0, 1, 2, 3].map((i) => gstreamerFrames(spec(i)).pipe(take(3)))));
console.log('unsubscribed');
