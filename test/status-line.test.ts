// The status line scales (issue 24): a few cameras one by one; many cameras as a summary by state
// with the worst three, never over 1,000 characters (101 cameras wrote ~16 KB every second).
import t from 'tap';
import type { CameraStatus } from '../pipeline/camera/camera-status.js';
import { formatStatusLine, STATUS_LINE_MAX } from '../pipeline/camera/status-line.js';

const camera = (id: string, over: Partial<CameraStatus> = {}): CameraStatus => ({
  id,
  state: 'streaming',
  reason: 'frames arriving',
  reconnects: 0,
  sampling: { received: 100, dropped: 0, skippedBySource: 0 },
  source: { expectedFrames: null, corruptFrames: 0 },
  framesProcessed: 100,
  activeTracks: 2,
  tracksStarted: 5,
  tracksEnded: 3,
  detections: 0,
  latencyMs: 0,
  inferenceMs: 0,
  lastFrameIndex: 99,
  firstFrameAt: 0,
  lastFrameAt: 9900,
  ...over,
});

t.test('a few cameras: each one in the line', async (t) => {
  const line = formatStatusLine([
    camera('gate'),
    camera('door', { state: 'reconnecting', reason: 'RTSP server not reachable', reconnects: 2 }),
  ]);
  t.equal(
    line,
    '[gate] 10.0 fps | frame 99 | 2 active tracks (5 total) | 0 dropped  [door] 10.0 fps | frame 99 | 2 active tracks (5 total) | 0 dropped | 2 reconnects | RECONNECTING: RTSP server not reachable',
  );
});

t.test('101 cameras: a summary by state with the worst three, under 1,000 characters', async (t) => {
  const cameras = Array.from({ length: 101 }, (_, i) =>
    camera(
      `camera-with-a-long-name-${i}`,
      i === 7
        ? { state: 'failed', reason: 'x'.repeat(5000) }
        : i === 8
          ? { state: 'reconnecting', reason: 'no frame for 5000 ms', reconnects: 4 }
          : i === 9
            ? { sampling: { received: 100, dropped: 60, skippedBySource: 0 } }
            : {},
    ),
  );
  const line = formatStatusLine(cameras);
  t.ok(line.length <= STATUS_LINE_MAX, `${line.length} characters`);
  t.match(
    line,
    /^101 cameras: 99 streaming, 1 failed, 1 reconnecting \| 1010\.0 fps in total \| 202 active tracks \(505 total\) \| 60 dropped \| worst: /,
  );
  t.match(
    line,
    /worst: \[camera-with-a-long-name-7\] .*FAILED: x+… {2}\[camera-with-a-long-name-8\] .*RECONNECTING: no frame for 5000 ms {2}\[camera-with-a-long-name-9\] .*60 dropped/,
  );
  t.equal(
    formatStatusLine(Array.from({ length: 50 }, (_, i) => camera(`c${i}`))),
    '50 cameras: 50 streaming | 500.0 fps in total | 100 active tracks (250 total) | 0 dropped',
    'all well: no worst list',
  );
});
