// embed instances: see operators/embed-instances.ts.
import { lastValueFrom, of, toArray } from 'rxjs';
import t from 'tap';
import type { Detections } from '../models/detections.js';
import type { Embedder } from '../models/embedder.js';
import { embedInstances } from '../operators/embed-instances.js';
import { blankFrame, makeDetections } from './helpers/fixtures.js';

t.test(
  'embedInstances: one frame at a time, in order; the demand is asked after the frame before was embedded',
  async (t) => {
    const asked: number[] = [],
      embedded: number[] = [];
    const embedder: Embedder = {
      dim: 2,
      executionProvider: 'cpu',
      dispose: async () => undefined,
      embed: async (d: Detections) => {
        await new Promise((r) => setTimeout(r, d.frame.frameIndex === 0 ? 20 : 1));
        embedded.push(d.frame.frameIndex);
        return d;
      },
    } as unknown as Embedder;
    const frames = [0, 1, 2].map((i) => makeDetections(blankFrame('cam', i, 4, 4), [{ box: [0, 0, 2, 2] }]));
    const demand = (d: Detections) => {
      asked.push(d.frame.frameIndex);
      t.equal(embedded.length, d.frame.frameIndex, `frame ${d.frame.frameIndex}: the ones before are done`);
      return null;
    };
    const out = await lastValueFrom(of(...frames).pipe(embedInstances(embedder, demand), toArray()));
    t.same(
      out.map((d) => d.frame.frameIndex),
      [0, 1, 2],
      'in order, although frame 0 took longest',
    );
    t.same(asked, [0, 1, 2]);
    t.same(await lastValueFrom(of(...frames).pipe(embedInstances(null), toArray())), frames, 'no embedder: unchanged');
  },
);
