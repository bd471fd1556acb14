import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import type { TrackMessage } from '../../operators/wire/track-messages.js';

/** A real WebSocket client that records every message and when it arrived (`receivedAt[i]`, performance.now() ms). */
export async function wsCollector(
  url: string,
): Promise<{ messages: TrackMessage[]; receivedAt: number[]; close: () => void }> {
  const socket = new WebSocket(url);
  const messages: TrackMessage[] = [],
    receivedAt: number[] = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    receivedAt.push(performance.now());
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { messages, receivedAt, close: () => socket.close() };
}

/** A real MQTT subscriber on `<prefix>/#` that records messages with their topics. */
export async function mqttCollector(
  url: string,
  topic = 'edgevis/#',
): Promise<{ messages: { topic: string; message: TrackMessage }[]; close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const messages: { topic: string; message: TrackMessage }[] = [];
  client.on('message', (t, payload) => {
    if (!t.endsWith('/status')) messages.push({ topic: t, message: JSON.parse(String(payload)) });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    messages,
    close: async () => {
      await client.endAsync();
    },
  };
}

/** Waits until `predicate` holds or `ms` passed (for messages still in flight after a camera ends). */
export async function settle(predicate: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

/** Waits until a TCP server accepts connections on 127.0.0.1:`port` (a broker just spawned), at most `ms`. @throws Error when it never does */
export async function listening(port: number, ms = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the child process exited (a broker killed), at most `ms`. */
export function exited(child: import('node:child_process').ChildProcess, ms = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
