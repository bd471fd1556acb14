// FrameCredit: the demand between a pull-based source and the end of the graph.
import t from 'tap';
import { FrameCredit } from '../operators/backpressure/frame-credit.js';
import { flush } from './helpers/operator-doubles.js';

t.test('FrameCredit', async (t) => {
  t.test('grants up to its capacity, then waits for a release', async (t) => {
    const credit = new FrameCredit(2);
    let granted = 0;
    for (let i = 0; i < 3; i++)
      void credit.acquire().then(() => {
        granted++;
      });
    await flush();
    t.equal(granted, 2, 'two credits granted at once');
    credit.release();
    await flush();
    t.equal(granted, 3, 'the third waits for a release');
  });
  t.test('never holds more than its capacity', async (t) => {
    const credit = new FrameCredit(1);
    credit.release();
    credit.release(); // releases without acquires
    let granted = 0;
    void credit.acquire().then(() => {
      granted++;
    });
    void credit.acquire().then(() => {
      granted++;
    });
    await flush();
    t.equal(granted, 1, 'extra releases do not raise the capacity');
  });
  t.throws(() => new FrameCredit(0), /positive integer/);
});
