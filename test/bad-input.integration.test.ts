import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, parseConfig } from '../config/load.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { freePort } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger, SHARED, VTEST } from './helpers/fixtures.js';

t.test(
  'bad sources and models fail with clear errors while the good camera keeps running',
  { skip: !haveInputs && 'inputs missing' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-bad-'));
    const corruptVideo = join(dir, 'corrupt.avi');
    writeFileSync(corruptVideo, Buffer.from(Array.from({ length: 50000 }, (_, i) => (i * 7919) % 251)));
    const corruptModel = join(dir, 'corrupt.onnx');
    writeFileSync(corruptModel, 'this is not an onnx model');
    const deadPort = await freePort();
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [
            { id: 'good', source: VTEST, maxFrames: 25 },
            { id: 'missing-file', source: join(dir, 'nope.avi') },
            { id: 'corrupt-file', source: corruptVideo },
            { id: 'dead-rtsp', source: `rtsp://127.0.0.1:${deadPort}/camera`, reconnectDelayMs: 0 },
            { id: 'ftp', source: 'ftp://127.0.0.1/camera.mjpg' },
            { id: 'missing-model', source: VTEST, model: join(dir, 'absent.onnx') },
            { id: 'corrupt-model', source: VTEST, model: corruptModel },
          ],
          model: { path: MODEL, executionProviders: ['cpu'] },
          publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
        },
        'test',
      ),
      { logger: quietLogger },
    );
    const cameras = Object.fromEntries((await runtime.done).map((c) => [c.id, c]));
    await runtime.stop();
    t.equal(cameras.good.state, 'ended', 'the good camera ran to its end');
    t.equal(cameras.good.framesProcessed, 25, 'and lost no frame');
    // Decisions go by code; the message must still name the camera, the input and a fix.
    const expectations: Record<string, [string, RegExp]> = {
      'missing-file': ['not-found', /camera 'missing-file' source .*nope\.avi: file does not exist\. Check the path/],
      'corrupt-file': [
        'undecodable',
        /camera 'corrupt-file' source .*corrupt\.avi: cannot decode the input .*install gstreamer1\.0-libav/,
      ],
      'dead-rtsp': [
        'unreachable',
        /camera 'dead-rtsp' source rtsp:\/\/127\.0\.0\.1:\d+\/camera: RTSP server not reachable .*Check that the camera is on/,
      ],
      'missing-model': [
        'not-found',
        /camera 'missing-model': model absent\.onnx not found; looked in:\n\s+- .*absent\.onnx\nFix: pass --model/,
      ],
      ftp: [
        'unsupported-scheme',
        /camera 'ftp' source ftp:\/\/127\.0\.0\.1\/camera\.mjpg: the URL scheme 'ftp' is not supported\. Use rtsp:\/\//,
      ],
      'corrupt-model': ['invalid', /model file .*corrupt\.onnx is not a loadable ONNX model/],
    };
    for (const [id, [code, pattern]] of Object.entries(expectations)) {
      t.equal(cameras[id].state, 'failed', `${id} failed`);
      t.equal(cameras[id].errorCode, code, `${id}: error code ${code}`);
      t.match(cameras[id].error, pattern, `${id}: ${cameras[id].error}`);
    }
  },
);

const DAVIS_LIBBY = join(SHARED, 'datasets', 'davis2016-val', 'JPEGImages', '480p', 'libby');

t.test(
  'damaged media: a corrupt JPEG in a frame folder is skipped and counted, a truncated AVI says it ended early',
  { skip: (!haveInputs || !existsSync(DAVIS_LIBBY)) && 'inputs missing' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-damaged-'));
    const folder = join(dir, 'frames');
    mkdirSync(folder);
    for (let i = 0; i < 8; i++)
      copyFileSync(
        join(DAVIS_LIBBY, `${String(i).padStart(5, '0')}.jpg`),
        join(folder, `${String(i).padStart(5, '0')}.jpg`),
      );
    writeFileSync(join(folder, '00003.jpg'), readFileSync(join(folder, '00003.jpg')).subarray(0, 700)); // cut inside the scan
    const truncated = join(dir, 'truncated.avi');
    writeFileSync(truncated, readFileSync(VTEST).subarray(0, 600_000)); // the header still states 795 frames
    const warnings: { code: string; msg: string }[] = [];
    const logger = quietLogger.child({});
    const warn = logger.warn.bind(logger);
    logger.warn = ((obj: unknown, msg?: string) => {
      if (typeof obj === 'object' && obj && 'code' in obj)
        warnings.push({ code: String((obj as { code: string }).code), msg: msg ?? '' });
      return warn(obj as object, msg);
    }) as typeof logger.warn;
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [
            { id: 'folder', source: folder, kind: 'frames' },
            { id: 'cut', source: truncated },
          ],
          model: { path: MODEL, executionProviders: ['cpu'] },
          embedder: { kind: 'histogram' },
          publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
        },
        'test',
      ),
      { logger },
    );
    const cameras = Object.fromEntries((await runtime.done).map((c) => [c.id, c]));
    await runtime.stop();
    t.equal(cameras.folder.state, 'ended', 'the folder camera went on to its end');
    t.equal(cameras.folder.framesProcessed, 7, 'every other frame was processed');
    t.equal(cameras.folder.source.corruptFrames, 1, 'the corrupt frame is counted');
    t.ok(
      warnings.some(
        (w) => w.code === 'undecodable' && /00003\.jpg: frame 3 is not a decodable image .*skipped/.test(w.msg),
      ),
      'one warning names the file',
    );
    t.equal(cameras.cut.state, 'ended');
    t.ok(
      cameras.cut.framesProcessed > 0 && cameras.cut.framesProcessed < 100,
      `the truncated file delivered what it holds (${cameras.cut.framesProcessed} frames)`,
    );
    const cut = warnings.find((w) => w.code === 'truncated');
    t.match(
      cut?.msg,
      /truncated\.avi: the file ended after \d+ of the 795 frames its header states .*truncated or damaged/,
      'and says it ended early',
    );
    t.match(cameras.cut.lastWarning, /ended after/, 'kept for the final report');
  },
);

t.test('a bad config names the field and the fix', async (t) => {
  let err: unknown;
  try {
    parseConfig({ cameras: [{ id: 'a b', source: '' }], tracker: { confirmHits: 0 } }, 'cameras.yaml');
  } catch (e) {
    err = e;
  }
  t.type(err, ConfigError);
  const msg = (err as Error).message;
  t.match(msg, /invalid config \(cameras\.yaml\)/);
  t.match(msg, /cameras\[0\]\.id: camera id must be/);
  t.match(msg, /cameras\[0\]\.source: source must name a file/);
  t.match(msg, /tracker\.confirmHits: /);
  t.throws(
    () =>
      parseConfig(
        {
          cameras: [
            { id: 'a', source: 'x' },
            { id: 'a', source: 'y' },
          ],
        },
        'c.yaml',
      ),
    /cameras\[1\]\.id: duplicate camera id 'a'/,
  );
  t.throws(
    () => parseConfig({ cameras: [{ id: 'a', source: 'x', sauce: 1 }] }, 'c.yaml'),
    /cameras\[0\]: Unrecognized key: "sauce"/,
  );
});
