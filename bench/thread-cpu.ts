/**
 * CPU time per thread of this process, from Linux's /proc/self/task/<tid>/stat (utime + stime,
 * in clock ticks of 10 ms), grouped by role: the main thread (tid = pid), GStreamer's streaming
 * threads (named after their element's pad, e.g. `multiqueue0:src`), and Node's other threads
 * (inference workers, libuv's pool, V8's platform threads — all named `node`).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time, ms, by thread id, with the thread's name; null where /proc is not readable (not Linux). */
export type ThreadCpu = Map<number, { name: string; ms: number }> | null;

/** Reads every thread's CPU time so far. */
export function threadCpu(): ThreadCpu {
  try {
    const threads = new Map<number, { name: string; ms: number }>();
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        threads.set(Number(tid), { name, ms: (Number(fields[11]) + Number(fields[12])) * 10 });
      } catch {
        /* the thread ended meanwhile */
      }
    }
    return threads;
  } catch {
    return null;
  }
}

/** CPU per frame, ms, by role, between two readings (threads that ended meanwhile are not counted). */
export interface CpuPerFrame {
  total: number;
  main: number;
  gstreamer: number;
  node: number;
}

/** The CPU each role used per frame between `before` and `after`; null without /proc. */
export function cpuPerFrame(before: ThreadCpu, after: ThreadCpu, frames: number): CpuPerFrame | null {
  if (!before || !after || frames <= 0) return null;
  const out = { total: 0, main: 0, gstreamer: 0, node: 0 };
  for (const [tid, { name, ms }] of after) {
    const used = (ms - (before.get(tid)?.ms ?? 0)) / frames;
    const role =
      tid === process.pid
        ? 'main'
        : name.startsWith('node') || name.startsWith('v8:') || name.startsWith('libuv')
          ? 'node'
          : 'gstreamer';
    out[role] += used;
    out.total += used;
  }
  return out;
}
