import { spawnSync } from 'node:child_process';
import t from 'tap';

t.test('the whole project, tests included, type-checks under strict TypeScript', async (t) => {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test.json'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout + r.stderr);
});
