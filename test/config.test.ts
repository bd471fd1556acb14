import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { configFromCommandLine, DEFAULT_SOURCE } from '../config/command-line.js';
import { ConfigError, configJsonSchema, loadConfigFile, parseConfig } from '../config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'edgevis-config-'));
const file = join(dir, 'cameras.yaml');
writeFileSync(
  file,
  [
    'cameras:',
    '  - { id: a, source: clips/a.mp4, model: nets/seg.onnx }',
    '  - { id: b, source: rtsp://10.0.0.5/stream, model: yolov8s-seg.onnx }',
    '  - { id: c, source: /abs/c.mp4 }',
    'model: { path: ../models/m.onnx, dir: models }',
    'embedder: { path: reid.onnx }',
    'publish: { websocket: { port: 9000 } }',
  ].join('\n'),
);

t.test('every relative path of a config file resolves against that file', async (t) => {
  const config = await loadConfigFile(file);
  t.equal(config.cameras[0].source, join(dir, 'clips/a.mp4'), 'camera source');
  t.equal(config.cameras[0].model, join(dir, 'nets/seg.onnx'), 'per-camera model path');
  t.equal(config.cameras[1].source, 'rtsp://10.0.0.5/stream', 'URLs are kept');
  t.equal(
    config.cameras[1].model,
    'yolov8s-seg.onnx',
    'a bare model name stays a name (looked up in the model folders)',
  );
  t.equal(config.cameras[2].source, '/abs/c.mp4', 'absolute paths are kept');
  t.equal(config.model.path, join(dir, '../models/m.onnx'));
  t.equal(config.model.dir, join(dir, 'models'));
  t.equal(config.embedder.path, join(dir, 'reid.onnx'));
});

t.test('command-line flags lay over the file, and the result is validated once and frozen', async (t) => {
  const config = await configFromCommandLine({
    config: file,
    wsPort: 0,
    mqtt: false,
    maxFrames: 7,
    realtime: true,
    classes: ['person'],
    folderFps: 25,
  });
  t.equal(config.cameras.length, 3, "the file's cameras");
  t.ok(
    config.cameras.every((c) => c.maxFrames === 7 && c.realtime && c.folderFps === 25),
    'per-camera flags apply to every camera',
  );
  t.equal(config.publish.websocket.port, 0, 'a flag wins over the file');
  t.equal(config.publish.mqtt.enabled, false);
  t.same(config.model.classes, ['person']);
  t.equal(config.model.path, join(dir, '../models/m.onnx'), 'untouched fields keep the file value');
  t.ok(
    Object.isFrozen(config) && Object.isFrozen(config.cameras[0]) && Object.isFrozen(config.model.classes),
    'deeply frozen',
  );
  t.throws(
    () => {
      (config.cameras[0] as { folderFps: number }).folderFps = 1;
    },
    TypeError,
    'no field changes after validation',
  );

  const sources = await configFromCommandLine({ config: file, source: ['x.mp4', 'y.mp4'] });
  t.same(
    sources.cameras.map((c) => [c.id, c.source]),
    [
      ['cam1', 'x.mp4'],
      ['cam2', 'y.mp4'],
    ],
    '--source replaces the cameras',
  );
  const plain = await configFromCommandLine({});
  t.same(
    plain.cameras.map((c) => [c.id, c.source]),
    [['cam1', DEFAULT_SOURCE]],
    'no file, no source: the default recording',
  );
});

t.test('a bad flag is named by its config path', async (t) => {
  await t.rejects(configFromCommandLine({ source: ['x.mp4'], folderFps: -1 }), {
    name: 'ConfigError',
    message: /cameras\[0\]\.folderFps/,
  });
  await t.rejects(configFromCommandLine({ config: join(dir, 'missing.yaml') }), ConfigError);
  writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
  await t.rejects(configFromCommandLine({ config: join(dir, 'list.yaml') }), /must hold a mapping/);
});

t.test('the printed config schema carries every field description', async (t) => {
  const schema = configJsonSchema() as {
    properties: Record<string, { properties?: Record<string, { description?: string }> }>;
  };
  const tracker = schema.properties.tracker.properties!;
  t.match(tracker.maxLostSeconds.description, /seconds/);
  t.match(tracker.confirmHits.description, /frames/);
  const undocumented = Object.entries(schema.properties)
    .flatMap(([section, s]) =>
      Object.entries(s.properties ?? {})
        .filter(([, f]) => !f.description)
        .map(([k]) => `${section}.${k}`),
    )
    .filter((k) => !['publish.websocket', 'publish.mqtt'].includes(k));
  t.same(undocumented, [], 'no field without a description');
  t.ok(parseConfig({ cameras: [{ id: 'a', source: 's' }] }, 'test'), 'defaults parse');
});

t.test(
  'a reload diff by camera id: added, removed, changed (restart), unchanged; other sections need a restart',
  async (t) => {
    const { diffCameras, sectionsNeedingRestart } = await import('../config/diff.js');
    const before = parseConfig(
      {
        cameras: [
          { id: 'a', source: 'a.avi' },
          { id: 'b', source: 'b.avi' },
          { id: 'c', source: 'c.avi' },
        ],
      },
      'test',
    );
    const after = parseConfig(
      {
        cameras: [
          { id: 'c', source: 'c.avi' },
          { id: 'b', source: 'b.avi', stallTimeoutMs: 9000 },
          { id: 'd', source: 'd.avi' },
        ],
        tracker: { maxLostSeconds: 3 },
      },
      'test',
    );
    const diff = diffCameras(before.cameras, after.cameras);
    t.same(
      diff.added.map((c) => c.id),
      ['d'],
    );
    t.same(diff.removed, ['a']);
    t.same(
      diff.changed.map((c) => c.id),
      ['b'],
    );
    t.same(diff.unchanged, ['c'], 'order does not matter');
    t.same(sectionsNeedingRestart(before, after), ['tracker']);
  },
);

t.test('a camera given at run time is validated alone, with paths resolved against the given folder', async (t) => {
  const { parseCameraConfig } = await import('../config/load.js');
  const camera = parseCameraConfig({ id: 'door', source: 'clips/door.avi' }, 'camera API', '/data');
  t.equal(camera.source, '/data/clips/door.avi');
  t.equal(camera.reconnectDelayMs, 1000, 'defaults applied');
  t.ok(Object.isFrozen(camera));
  t.throws(
    () => parseCameraConfig({ id: 'door', source: 'x', colour: 'red' }, 'camera API', '/data'),
    /invalid camera \(camera API\):\n {2}- \(root\): Unrecognized key/,
  );
});

t.test('passwords in source and broker URLs never reach messages or logs', async (t) => {
  const { redactSource, SourceError } = await import('../operators/sources/source-error.js');
  t.equal(redactSource('rtsp://admin:s3cret@10.0.0.5:554/stream1'), 'rtsp://admin:***@10.0.0.5:554/stream1');
  t.equal(redactSource('mqtt://edgevis:p@ss@broker:1883'), 'mqtt://edgevis:***@broker:1883');
  t.equal(redactSource('rtsp://10.0.0.5/stream'), 'rtsp://10.0.0.5/stream', 'nothing to redact');
  t.equal(redactSource('/videos/a:b@c.mp4'), '/videos/a:b@c.mp4', 'a path is not a URL');
  t.equal(
    redactSource('rtsp://S3cretTok@10.0.0.5/x'),
    'rtsp://***@10.0.0.5/x',
    'user info without a password may be a token: all of it',
  );
  t.equal(
    redactSource('rtsp://10.0.0.5/x?user=admin&password=S&channel=1'),
    'rtsp://10.0.0.5/x?user=admin&password=***&channel=1',
    'a credential in the query',
  );
  for (const name of ['pass', 'pwd', 'token', 'key', 'auth', 'PassWord', 'api_key', 'sig']) {
    t.equal(
      redactSource(`http://cam/video.mjpg?${name}=v4lue#f`),
      `http://cam/video.mjpg?${name}=***#f`,
      `query parameter ${name}`,
    );
  }
  t.equal(
    redactSource('rtsp://cam/x?keyframe=1&monkey=2'),
    'rtsp://cam/x?keyframe=1&monkey=2',
    'only whole parameter names count',
  );
  const { redactSecrets } = await import('../operators/sources/redact-secrets.js');
  t.equal(
    redactSecrets('could not open "rtsp://u:p@h/x?token=t" (refused); retry rtsp://tk@h2/y.'),
    'could not open "rtsp://u:***@h/x?token=***" (refused); retry rtsp://***@h2/y.',
    'every URL in free text',
  );
  const err = new SourceError(
    'unreachable',
    'door',
    'rtsp://admin:s3cret@10.0.0.5/x',
    'could not connect to rtsp://admin:s3cret@10.0.0.5/x',
    'Check it.',
  );
  t.notMatch(err.message, /s3cret/);
  t.equal(err.source, 'rtsp://admin:***@10.0.0.5/x');
});

t.test('fleet: absent = one machine; --fleet / EDGEVIS_FLEET_SERVERS join one; bad settings are named', async (t) => {
  const alone = await configFromCommandLine({}, {});
  t.equal(alone.fleet, undefined, 'no fleet settings: one machine');
  t.equal(alone.cameras[0].source, DEFAULT_SOURCE, 'with the default recording');
  const joined = await configFromCommandLine(
    { fleet: 'nats://10.0.0.5:4222, nats://10.0.0.6:4222', nodeId: 'edge-2' },
    {},
  );
  t.same(joined.fleet?.servers, ['nats://10.0.0.5:4222', 'nats://10.0.0.6:4222']);
  t.equal(joined.fleet?.name, 'edgevis');
  t.equal(joined.fleet?.replicas, undefined, 'replicas unset: 3, or 1 on a single server');
  t.equal(joined.nodeId, 'edge-2');
  t.same(joined.cameras, [], "a fleet node without cameras of its own runs the fleet's");
  const fromEnv = await configFromCommandLine({}, { EDGEVIS_FLEET_SERVERS: 'nats://a:4222', EDGEVIS_NODE_ID: 'n7' });
  t.same(fromEnv.fleet?.servers, ['nats://a:4222']);
  t.equal(fromEnv.nodeId, 'n7');
  t.throws(
    () => parseConfig({ cameras: [], fleet: { servers: ['http://x:4222'] } }, 'test'),
    /fleet\.servers\[0\]: a NATS server URL/,
  );
  t.throws(
    () => parseConfig({ cameras: [], fleet: { servers: ['nats://x:4222'], leaseMs: 2000, heartbeatMs: 1000 } }, 'test'),
    /heartbeatMs must be at most a third of fleet\.leaseMs/,
  );
  t.throws(() => parseConfig({ cameras: [] }, 'test'), /at least one camera is needed/, 'one machine needs a camera');
});
