import t from 'tap';
import {
  assignFreeCameras,
  cameraCost,
  DEFAULT_CAMERA_COST,
  shouldHandOver,
} from '../pipeline/fleet/camera-assignment.js';

t.test('cameraCost: measured CPU per camera of the nodes that run cameras; a default before any', async (t) => {
  t.equal(cameraCost([{ node: 'a', load: 0.01, cameras: 0 }]), DEFAULT_CAMERA_COST);
  t.ok(
    Math.abs(
      cameraCost([
        { node: 'a', load: 0.4, cameras: 2 },
        { node: 'b', load: 0.2, cameras: 2 },
        { node: 'c', load: 0.02, cameras: 0 },
      ]) - 0.15,
    ) < 1e-9,
    '0.6 of a machine for 4 cameras: 0.15 each',
  );
});

t.test('assignFreeCameras: least projected load first, the same answer on every node', async (t) => {
  const nodes = [
    { node: 'a', load: 0.6, cameras: 3 },
    { node: 'b', load: 0.2, cameras: 1 },
    { node: 'c', load: 0.0, cameras: 0 },
  ];
  const plan = assignFreeCameras(['d1', 'd2', 'd3', 'd4'], nodes);
  const count = (n: string) => [...plan.values()].filter((x) => x === n).length;
  t.equal(plan.size, 4, 'every free camera is assigned');
  t.equal(count('a'), 0, 'the busiest node gets none');
  t.ok(count('c') >= count('b'), 'the idle node gets at least as many as the lightly loaded one');
  // Cost 0.2 per camera: c takes 0 → 0.2 → 0.4, b 0.2 → 0.4: c, then b/c ties broken by hash.
  t.same(assignFreeCameras(['d4', 'd3', 'd2', 'd1'], [...nodes].reverse()), plan, 'order of input does not matter');
  t.same(assignFreeCameras(['x'], []), new Map(), 'no live node: nothing assigned');
});

t.test('assignFreeCameras: equal loads spread by rendezvous hashing, not all to one node', async (t) => {
  const nodes = ['a', 'b', 'c'].map((node) => ({ node, load: 0, cameras: 0 }));
  const plan = assignFreeCameras(
    Array.from({ length: 30 }, (_, i) => `cam${i}`),
    nodes,
  );
  for (const n of ['a', 'b', 'c']) {
    const k = [...plan.values()].filter((x) => x === n).length;
    t.ok(k >= 9 && k <= 11, `node ${n} gets ${k} of 30 (projected loads keep it even)`);
  }
});

t.test('shouldHandOver: only when a move still leaves this node busier (hysteresis)', async (t) => {
  t.notOk(
    shouldHandOver({ node: 'a', load: 0.5, cameras: 1 }, [{ node: 'b', load: 0, cameras: 0 }]),
    'never its last camera',
  );
  t.ok(
    shouldHandOver({ node: 'a', load: 0.8, cameras: 4 }, [{ node: 'b', load: 0.0, cameras: 0 }]),
    '4 cameras at 0.8 against an idle node: hand one over',
  );
  t.notOk(
    shouldHandOver({ node: 'a', load: 0.45, cameras: 3 }, [{ node: 'b', load: 0.3, cameras: 2 }]),
    'loads within a camera or two of each other stay',
  );
  t.notOk(shouldHandOver({ node: 'a', load: 0.9, cameras: 5 }, []), 'alone: nothing to hand over to');
});
