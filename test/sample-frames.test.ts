// sampleFrames: every frame for files, the newest one for live cameras while the model is busy
// (marble tests in virtual time), drop counting, completion and unsubscribe with a pending frame.
import { lastValueFrom, of, Subject, toArray } from 'rxjs';
import { marbles } from './helpers/marbles.js';
import t from 'tap';
import type { Frame } from '../models/frame.js';
import { FrameCredit } from '../operators/backpressure/frame-credit.js';
import { sampleFrames } from '../operators/sample-frames.js';
import { flush, frame } from './helpers/operator-doubles.js';

t.test('sampleFrames', async (t) => {
  t.test("'every' passes every frame, counts them and drops none", async (t) => {
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    const out = await lastValueFrom(
      of(frame(0), frame(1), frame(2)).pipe(sampleFrames('every', new FrameCredit(1), stats), toArray()),
    );
    t.same(
      out.map((f) => f.frameIndex),
      [0, 1, 2],
    );
    t.same(stats, { received: 3, dropped: 0, skippedBySource: 0 });
  });

  t.test('gaps in the frame index count as frames the source skipped', async (t) => {
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    await lastValueFrom(
      of(frame(0), frame(1), frame(4), frame(5), frame(9)).pipe(
        sampleFrames('every', new FrameCredit(1), stats),
        toArray(),
      ),
    );
    t.same(stats, { received: 5, dropped: 0, skippedBySource: 5 }, '2, 3, 6, 7, 8 never arrived');
  });

  t.test("'latest' keeps only the newest frame while the model is busy, and counts the drops", async (t) => {
    const credit = new FrameCredit(1);
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    const source = new Subject<Frame>();
    const seen: number[] = [];
    let completed = false;
    source.pipe(sampleFrames('latest', credit, stats)).subscribe({
      next: (f) => seen.push(f.frameIndex),
      complete: () => {
        completed = true;
      },
    });
    source.next(frame(0));
    await flush();
    t.same(seen, [0], 'the first frame goes through (credit free)');
    source.next(frame(1));
    source.next(frame(2));
    source.next(frame(3)); // model busy with 0
    await flush();
    t.same(seen, [0], 'nothing more while the credit is taken');
    t.equal(stats.dropped, 2, '1 and 2 were replaced by newer frames');
    source.complete();
    await flush();
    t.notOk(completed, 'completion waits for the pending frame');
    credit.release(); // frame 0 done
    await flush();
    t.same(seen, [0, 3], 'the newest pending frame is emitted once the model is free');
    t.ok(completed, 'then the stream completes');
    t.same(stats, { received: 4, dropped: 2, skippedBySource: 0 });
  });

  t.test('unsubscribing while a frame is pending returns its credit', async (t) => {
    const credit = new FrameCredit(1);
    const source = new Subject<Frame>();
    const sub = source
      .pipe(sampleFrames('latest', credit, { received: 0, dropped: 0, skippedBySource: 0 }))
      .subscribe();
    source.next(frame(0));
    await flush(); // holds the only credit
    source.next(frame(1));
    await flush(); // pending, waiting for the credit
    sub.unsubscribe();
    credit.release(); // frame 0 finishes after the unsubscribe: the waiting sampler gets the credit and must give it back
    await flush();
    let granted = false;
    void credit.acquire().then(() => {
      granted = true;
    });
    await flush();
    t.ok(granted, 'the credit is free again');
  });

  t.test('errors are forwarded', async (t) => {
    const source = new Subject<Frame>();
    let error: unknown;
    source.pipe(sampleFrames('latest', new FrameCredit(1), { received: 0, dropped: 0, skippedBySource: 0 })).subscribe({
      error: (e) => {
        error = e;
      },
    });
    source.error(new Error('camera gone'));
    t.match(error, /camera gone/);
  });
});

/** A TestScheduler whose assertions are tap's; the credit is granted in its virtual time. */

const framesOf = (...indices: number[]) =>
  Object.fromEntries(indices.map((i) => [String.fromCharCode(97 + i), frame(i)]));

t.test("marbles: 'every' passes each frame when it comes", async (t) => {
  marbles(t).run(({ hot, expectObservable }) => {
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    const values = framesOf(0, 1, 2);
    expectObservable(hot('a-b-c|', values).pipe(sampleFrames('every', new FrameCredit(1), stats))).toBe(
      'a-b-c|',
      values,
    );
  });
});

t.test(
  "marbles: 'latest' — newest frame wins while the model is busy (RxJS throttle, leading + trailing)",
  async (t) => {
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    marbles(t).run(({ hot, expectObservable }) => {
      const credit = new FrameCredit(1);
      const values = framesOf(0, 1, 2, 3, 4);
      // The model finishes a frame at each r: the credit comes back.
      hot('-----r------r').subscribe(() => credit.release());
      const frames = hot('a-b-c-d---e|', values);
      expectObservable(frames.pipe(sampleFrames('latest', credit, stats))).toBe('a----c------(e|)', values);
    });
    t.same(stats, { received: 5, dropped: 2, skippedBySource: 0 }, 'b and d were replaced by newer frames');
  },
);

t.test(
  "marbles: 'latest' with two frames in flight takes the next frame at once, and completes only after the pending one",
  async (t) => {
    marbles(t).run(({ hot, expectObservable }) => {
      const credit = new FrameCredit(2);
      const values = framesOf(0, 1, 2, 3);
      hot('--------r').subscribe(() => credit.release());
      expectObservable(
        hot('a-b-c-d|', values).pipe(sampleFrames('latest', credit, { received: 0, dropped: 0, skippedBySource: 0 })),
      ).toBe('a-b-----(d|)', values);
    });
  },
);

t.test('marbles: an error while a frame waits for credit is forwarded at once', async (t) => {
  marbles(t).run(({ hot, expectObservable }) => {
    const values = framesOf(0, 1);
    expectObservable(
      hot('a-b-#', values, new Error('camera gone')).pipe(
        sampleFrames('latest', new FrameCredit(1), { received: 0, dropped: 0, skippedBySource: 0 }),
      ),
    ).toBe('a---#', values, new Error('camera gone'));
  });
});
