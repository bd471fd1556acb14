import { TestScheduler } from 'rxjs/testing';

/** A TestScheduler whose assertions are tap's `t.same`: marble tests run in virtual time (asap and async schedulers included). */
export const marbles = (t: { same: (a: unknown, b: unknown) => unknown }) =>
  new TestScheduler((actual, expected) => {
    t.same(actual, expected);
  });
