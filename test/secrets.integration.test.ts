// Secrets never leave: a camera whose URL carries a password in its query, a token as user info, and
// a user:password pair; every surface (the CLI's output and log, /readyz, /viewer/status, the camera
// API's answers, WebSocket and retained MQTT statuses) is searched for each secret.
import { existsSync } from 'node:fs';
import t from 'tap';
import { freePort } from '../simulate/rtsp-camera.js';
import { CLI, mqttRecorder, startCli, writeConfig } from './helpers/cli-process.js';
import { haveInputs, MODEL } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

const SECRETS = ['Qpw7x1secret', 'Tok9z2secret', 'Up4k8secret', 'Api5j3secret'];

t.test(
  'credentials in any part of a camera URL are masked on every surface',
  { skip: (!haveInputs || !existsSync(CLI)) && 'inputs or dist/ missing', timeout: 120_000 },
  async (t) => {
    const port = await freePort(); // nothing listens: the cameras fail and report errors that quote their URLs
    const config = writeConfig([
      'cameras:',
      `  - { id: query, source: "rtsp://127.0.0.1:${port}/live?user=admin&password=${SECRETS[0]}", reconnectDelayMs: 300, reconnectMaxDelayMs: 600 }`,
      `  - { id: token, source: "rtsp://${SECRETS[1]}@127.0.0.1:${port}/live", reconnectDelayMs: 300, reconnectMaxDelayMs: 600 }`,
      `  - { id: userpass, source: "rtsp://admin:${SECRETS[2]}@127.0.0.1:${port}/live", reconnectDelayMs: 300, reconnectMaxDelayMs: 600 }`,
      `model: { path: "${MODEL}", executionProviders: [cpu] }`,
      'embedder: { kind: histogram }',
      'publish: { websocket: { port: 0 }, mqtt: { brokerPort: 0 } }',
    ]);
    const cli = startCli(
      ['run', '--config', config],
      { ...process.env, LOG_LEVEL: 'debug', EDGEVIS_API_TOKEN: 'admin-token' },
      (fn) => t.teardown(fn),
    );
    const ws = (await cli.waitFor(/WebSocket: (ws:\/\/\S+)/))?.[1];
    const mq = (await cli.waitFor(/MQTT: +(mqtt:\/\/\S+)/))?.[1];
    t.ok(ws && mq, 'started');
    const http = ws!.replace(/^ws/, 'http');
    const wsSub = await wsCollector(ws!);
    t.teardown(() => wsSub.close());
    // A camera added through the API with a secret API key in its query.
    const added = await fetch(`${http}api/cameras`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'apikey',
        source: `rtsp://127.0.0.1:${port}/x?apikey=${SECRETS[3]}&channel=1`,
        reconnectDelayMs: 300,
      }),
    });
    const surfaces: Record<string, string> = { 'API answer (add)': await added.text() };
    await settle(
      () => wsSub.messages.filter((m) => m.type === 'camera_status' && m.state === 'reconnecting').length >= 4,
      30_000,
    );
    const mqttSub = await mqttRecorder(mq!);
    await settle(() => mqttSub.messages.filter((m) => m.retain && m.topic.endsWith('/status')).length >= 4, 5000);
    surfaces['/readyz'] = await (await fetch(`${http}readyz`)).text();
    surfaces['/viewer/status'] = await (await fetch(`${http}viewer/status`)).text();
    surfaces['API answer (list)'] = await (
      await fetch(`${http}api/cameras`, { headers: { authorization: 'Bearer admin-token' } })
    ).text();
    surfaces['/metrics'] = await (await fetch(`${http}metrics`)).text();
    surfaces['WebSocket messages'] = JSON.stringify(wsSub.messages);
    surfaces['MQTT messages (retained statuses)'] = JSON.stringify(mqttSub.messages);
    await mqttSub.close();
    cli.signalGroup('SIGTERM');
    await cli.exited;
    surfaces['stdout (status line, final report)'] = cli.out();
    surfaces['stderr (log, debug level)'] = cli.err();

    t.match(surfaces['/readyz'], /reconnecting/, '/readyz names the failing cameras');
    t.match(surfaces['stderr (log, debug level)'], /\*\*\*/, 'the log shows masked credentials');
    t.match(surfaces['API answer (list)'], /channel=1/, 'the rest of the URL stays readable');
    for (const [surface, text] of Object.entries(surfaces)) {
      const leaked = SECRETS.filter((s) => text.includes(s));
      t.same(leaked, [], `${surface}: no secret (${text.length} characters searched)`);
    }
  },
);
