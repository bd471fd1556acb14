// TLS at the edges with a self-signed certificate made by openssl: the WebSocket port serves wss://
// and https://, the embedded MQTT broker mqtts://; clients that trust the certificate connect.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { WebSocket } from 'ws';
import { parseConfig } from '../config/load.js';
import { closePublishers, startPublishers } from '../pipeline/publishers/start-publishers.js';

t.test(
  'wss://, https:// and mqtts:// from certificate files',
  { skip: !existsSync('/usr/bin/openssl') && 'openssl missing' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-tls-'));
    const cert = join(dir, 'cert.pem'),
      key = join(dir, 'key.pem');
    execFileSync(
      '/usr/bin/openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const ca = readFileSync(cert);
    const publish = parseConfig(
      {
        cameras: [{ id: 'door', source: 'x.avi' }],
        publish: {
          websocket: { port: 0, certFile: cert, keyFile: key },
          mqtt: { brokerPort: 0, brokerCertFile: cert, brokerKeyFile: key },
        },
      },
      'test',
    ).publish;
    const publishers = await startPublishers(publish);
    t.teardown(() => closePublishers(publishers.all));
    t.match(publishers.websocketUrl, /^wss:\/\/127\.0\.0\.1:\d+\/$/, 'the WebSocket URL is wss://');
    t.match(publishers.mqttUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/, 'the broker URL is mqtts://');
    const opened = await new Promise<boolean>((r) => {
      const ws = new WebSocket(publishers.websocketUrl!, { ca });
      ws.once('open', () => {
        ws.close();
        r(true);
      });
      ws.once('error', () => r(false));
    });
    t.ok(opened, 'a client trusting the certificate connects over wss://');
    const status = await new Promise<number>((r) =>
      get(`${publishers.websocketUrl!.replace(/^wss/, 'https')}healthz`, { ca }, (res) => {
        res.resume();
        r(res.statusCode ?? 0);
      }).on('error', () => r(-1)),
    );
    t.equal(status, 404, 'https:// answers (no routes without a runtime: 404 from the edge itself)');
    const client = await mqtt.connectAsync(publishers.mqttUrl!, { protocolVersion: 4, reconnectPeriod: 0, ca });
    const granted = await client.subscribeAsync('edgevis/#', { qos: 1 });
    t.same(
      granted.map((g) => g.qos),
      [1],
      'a reader connects and subscribes over mqtts://',
    );
    await client.endAsync();
    const plain = await new Promise<boolean>((r) => {
      const ws = new WebSocket(publishers.websocketUrl!.replace(/^wss/, 'ws'));
      ws.once('open', () => {
        ws.close();
        r(true);
      });
      ws.once('error', () => r(false));
    });
    t.notOk(plain, 'plain ws:// is not served');
  },
);
