/**
 * The live-source supervisor's watchdog decisions, pure: when to declare a stall, and when a
 * stream is too slow. Times are ms (performance.now()).
 */

/**
 * What the watchdog does when its timer fires: only time spent waiting for the camera counts
 * (while the consumer is busy no pull is out, and a leaky source keeps only its newest frame).
 * @param waitingSince since when a pull waits for the source; null while none waits (the consumer
 *   is busy); undefined when the source does not say (then every moment without a frame counts)
 * @param limitMs the stall limit (connect timeout for a connection's first frame)
 * @returns 'stall', or the ms after which to look again
 */
export function watchdogVerdict(
  waitingSince: number | null | undefined,
  now: number,
  limitMs: number,
): 'stall' | { readonly recheckInMs: number } {
  if (waitingSince === null) return { recheckInMs: limitMs };
  if (waitingSince !== undefined && now - waitingSince < limitMs)
    return { recheckInMs: limitMs - (now - waitingSince) };
  return 'stall';
}

/**
 * Whether a stream is slower than it promises (a slow stall): a camera at its promised rate makes
 * a pull wait at most about one frame interval, so a mean wait over `1 / ratio` frame intervals is
 * one.
 * @param meanWaitMs how long the window's pulls waited for the source on average
 * @param stepMs the stream's frame interval
 * @param ratio the slowest acceptable fraction of the promised rate, (0, 1]; 0 = never
 * @returns why, or null when the stream keeps up
 */
export function slowStreamReason(meanWaitMs: number, stepMs: number, ratio: number, windowMs: number): string | null {
  if (!(ratio > 0) || meanWaitMs <= stepMs / ratio) return null;
  return `frames came every ${meanWaitMs.toFixed(0)} ms on average over ${windowMs / 1000} s, the stream promises one every ${stepMs.toFixed(0)} ms`;
}
