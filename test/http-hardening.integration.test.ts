// Hostile or malformed HTTP at the edge: malformed request targets are 400 (never 500), methods a
// route does not serve are 405 without reading the body, and the camera API refuses local files,
// other URL schemes and reserved ids with a clear 400 that never tells whether a file exists.
import { connect } from 'node:net';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { cameraApi, sourceAllowed } from '../pipeline/control/camera-api.js';
import { freePort } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger } from './helpers/fixtures.js';

/** Sends raw bytes and returns the status line of the answer (or why none came). */
function rawRequest(port: number, text: string, bodyBytes = 0): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += String(d);
    });
    socket.on('error', () => resolve(answer.split('\r\n')[0] || 'connection error'));
    socket.on('close', () => resolve(answer.split('\r\n')[0] || 'closed without an answer'));
    socket.write(text);
    if (bodyBytes > 0) {
      const chunk = Buffer.alloc(1 << 20, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < bodyBytes && socket.writable) {
          sent += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    }
    setTimeout(() => {
      socket.destroy();
      resolve(answer.split('\r\n')[0] || 'no answer within 10 s');
    }, 10_000).unref();
  });
}

t.test(
  'malformed targets are 400, unserved methods 405, the API refuses what an operator did not allow',
  { skip: !haveInputs && 'inputs missing', timeout: 60_000 },
  async (t) => {
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [{ id: 'gate', source: `rtsp://127.0.0.1:${await freePort()}/x`, reconnectDelayMs: 5000 }],
          model: { path: MODEL, executionProviders: ['cpu'] },
          embedder: { kind: 'histogram' },
          publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
        },
        'test',
      ),
      { logger: quietLogger, keepAlive: true },
    );
    t.teardown(() => runtime.stop());
    runtime.httpEdge!.route(cameraApi(runtime, 'tok', '/srv', quietLogger, ['rtsp', '/srv/recordings']));
    const port = Number(runtime.httpEdge!.authority.split(':').at(-1));

    t.match(
      await rawRequest(port, 'GET // HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      /^HTTP\/1.1 400/,
      'GET // is 400',
    );
    t.match(
      await rawRequest(port, 'GET http://evil.example/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      /^HTTP\/1.1 400/,
      'an absolute-form target is 400',
    );
    t.match(
      await rawRequest(port, 'GET //metrics?x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      /^HTTP\/1.1 400/,
      'GET //metrics is 400',
    );
    const sentAt = performance.now();
    t.match(
      await rawRequest(
        port,
        `POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: ${100 * 2 ** 20}\r\n\r\n`,
        100 * 2 ** 20,
      ),
      /^HTTP\/1.1 405/,
      'POST /metrics with 100 MB is 405',
    );
    t.ok(performance.now() - sentAt < 5000, 'answered without reading the 100 MB');
    for (const method of ['PUT', 'DELETE', 'PATCH'])
      t.match(
        await rawRequest(port, `${method} /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        /^HTTP\/1.1 405/,
        `${method} /readyz is 405`,
      );
    t.match(
      await rawRequest(port, 'HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      /^HTTP\/1.1 200/,
      'HEAD is served',
    );

    const add = async (body: unknown) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/cameras`, {
        method: 'POST',
        headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { error?: string } };
    };
    const shadow = await add({ id: 'a', source: '/etc/shadow' });
    const missing = await add({ id: 'a', source: '/etc/no-such-file-here' });
    t.equal(shadow.status, 400, 'a local file outside the allowed folders is refused');
    t.equal(
      shadow.body.error,
      missing.body.error?.replace(/no-such-file-here/g, 'shadow'),
      'the same answer whether the file exists or not',
    );
    t.match(shadow.body.error, /api\.allowedSources/, 'the answer names the setting');
    t.equal((await add({ id: 'b', source: 'file:///etc/passwd' })).status, 400, 'file:// URLs are local files');
    t.equal((await add({ id: 'c', source: 'ftp://10.0.0.1/x.mp4' })).status, 400, 'a scheme not listed is refused');
    t.equal(
      (await add({ id: 'd', source: '/srv/recordings/../../etc/passwd' })).status,
      400,
      'no way out of an allowed folder with ..',
    );
    const reserved = await add({ id: 'nodes', source: 'rtsp://10.0.0.1/x' });
    t.equal(reserved.status, 400, 'the id nodes collides with <prefix>/nodes/<nodeId>/status');
    t.match(reserved.body.error, /reserved/);
    t.equal(
      (await add({ id: 'e', source: '/srv/recordings/monday.mp4', reconnectDelayMs: 0 })).status,
      201,
      'a file inside an allowed folder is accepted',
    );
    t.equal(
      (await add({ id: 'f', source: `rtsp://127.0.0.1:${await freePort()}/y` })).status,
      201,
      'an allowed scheme is accepted',
    );
  },
);

t.test('sourceAllowed decides from the text alone', async (t) => {
  const allowed = ['rtsp', 'https', '/data/clips'];
  t.equal(sourceAllowed('rtsp://cam/x', allowed), null);
  t.equal(sourceAllowed('RTSP://cam/x', allowed), null, 'schemes are case-blind');
  t.match(sourceAllowed('http://cam/x', allowed), /http:\/\//);
  t.equal(sourceAllowed('/data/clips/a.mp4', allowed), null);
  t.equal(sourceAllowed('file:///data/clips/a%20b.mp4', allowed), null);
  t.match(
    sourceAllowed('/data/clipsX/a.mp4', allowed),
    /allowedSources/,
    'a sibling folder with the same prefix is not inside',
  );
  t.match(sourceAllowed('/dev/video0', allowed), /allowedSources/);
  t.match(sourceAllowed('/dev/video0', []), /allows nothing/);
});
