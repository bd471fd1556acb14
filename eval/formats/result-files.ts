import { join } from 'node:path';
import { runLengthsToString, type CocoRle } from '../../models/coco-rle.js';
import { encodeIndexedPng } from './davis-png.js';
import { labelRunLengths, paintLabelMap } from './label-map.js';
import { formatMotRow } from './mot-challenge.js';
import { formatMotsRow } from './mots.js';
import type { YtvisResult } from './youtube-vis.js';
import type { TracksMessage } from '../../operators/wire/track-messages.js';
import { makeFolders } from '../../config/make-folders.js';
import {
  appendOutput,
  closeOutput,
  openOutputFile,
  OutputError,
  outputProblem,
  writeOutputFile,
} from './output-problem.js';

/** File names a replay writes into `--out`. */
export const REPLAY_FILES = {
  events: 'events.jsonl',
  mot: 'mot.txt',
  mots: 'mots.txt',
  ytvis: 'ytvis.json',
  davis: 'davis',
  davisLabels: 'davis/labels.json',
} as const;

/** Largest label an 8-bit DAVIS PNG can hold. */
const DAVIS_MAX_LABEL = 255;

interface YtvisTrack {
  classId: number;
  scoreSum: number;
  hits: number;
  masks: Map<number, CocoRle>;
}

/**
 * Writes a replay's snapshots in the field's result formats, frames 1-based where the format is
 * (frame = frameIndex + 1):
 * - `mot.txt`: MOTChallenge `frame,id,left,top,w,h,conf,-1,-1,-1` per confirmed track and frame;
 * - `mots.txt`: MOTS `frame id class_id h w rle` (class_id = model class index + 1, so COCO person = 1);
 * - `ytvis.json`: YouTube-VIS results, one entry per track, video_id 1, category_id = class index + 1,
 *   score = mean detection score, one RLE or null per frame 0..last frame;
 * - `davis/%05d.png`: DAVIS-style indexed PNG per frame (file name = frame index, as DAVIS frames),
 *   label = order of the track's first appearance (1..255; `davis/labels.json` maps label → track id).
 * Overlapping masks are resolved once per frame (higher score wins) and MOTS and DAVIS share that.
 * Runs in the result writer's worker thread (see {@link ReplayRecorder}), off the graph's path.
 */
export class ResultFiles {
  private readonly motFd: number;
  private readonly motsFd: number;
  private readonly davisLabel = new Map<number, number>();
  private readonly ytvis = new Map<number, YtvisTrack>();
  private lastFrameIndex = -1;
  private overflowWarned = false;
  private closed = false;

  /**
   * @param outDir created if missing; existing result files in it are overwritten
   * @param warn called once when more than 255 tracks exceed the DAVIS PNG label range
   * @throws OutputError (here and from every write) naming the file that cannot be written, the cause and the fix
   */
  constructor(
    private readonly outDir: string,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    const davis = join(outDir, REPLAY_FILES.davis);
    try {
      makeFolders(davis);
    } catch (err) {
      throw new OutputError(outputProblem(davis, err));
    }
    this.motFd = openOutputFile(join(outDir, REPLAY_FILES.mot));
    this.motsFd = openOutputFile(join(outDir, REPLAY_FILES.mots));
  }

  /** Writes one snapshot (the mask formats need snapshots with masks). */
  writeFrame(m: TracksMessage): void {
    if (this.closed) return;
    this.lastFrameIndex = Math.max(this.lastFrameIndex, m.frameIndex);
    const frame = m.frameIndex + 1;
    const mot = m.tracks.map((t) =>
      formatMotRow({
        frame,
        id: t.id,
        left: t.bbox[0],
        top: t.bbox[1],
        width: t.bbox[2],
        height: t.bbox[3],
        conf: t.score,
      }),
    );
    if (mot.length) appendOutput(this.motFd, join(this.outDir, REPLAY_FILES.mot), `${mot.join('\n')}\n`);

    for (const t of m.tracks) if (!this.davisLabel.has(t.id)) this.davisLabel.set(t.id, this.davisLabel.size + 1);
    const withMask = m.tracks.filter((t) => t.mask);
    const map = paintLabelMap(
      withMask.map((t) => ({ label: this.davisLabel.get(t.id)!, score: t.score, rle: t.mask! })),
      m.width,
      m.height,
    );
    const mots: string[] = [];
    const runs = labelRunLengths(map, m.width, m.height);
    for (const t of withMask) {
      // A mask painted over entirely by higher-scoring ones is empty: one run of zeros.
      const rle: CocoRle = {
        size: [m.height, m.width],
        counts: runLengthsToString(runs.get(this.davisLabel.get(t.id)!) ?? [m.width * m.height]),
      };
      mots.push(formatMotsRow({ frame, id: t.id, classId: t.classId + 1, rle }));
      let y = this.ytvis.get(t.id);
      if (!y) {
        y = { classId: t.classId, scoreSum: 0, hits: 0, masks: new Map() };
        this.ytvis.set(t.id, y);
      }
      y.scoreSum += t.score;
      y.hits++;
      y.masks.set(m.frameIndex, t.mask!);
    }
    if (mots.length) appendOutput(this.motsFd, join(this.outDir, REPLAY_FILES.mots), `${mots.join('\n')}\n`);

    let png: Uint8Array;
    if (map instanceof Uint8Array)
      png = map; // every label fits
    else {
      png = new Uint8Array(m.width * m.height);
      for (let k = 0; k < png.length; k++) {
        const label = map[k];
        if (label > DAVIS_MAX_LABEL) {
          if (!this.overflowWarned) {
            this.overflowWarned = true;
            this.warn(
              `more than ${DAVIS_MAX_LABEL} tracks: later tracks are left out of the DAVIS PNGs (MOT, MOTS and YouTube-VIS files keep them)`,
            );
          }
        } else png[k] = label;
      }
    }
    writeOutputFile(
      join(this.outDir, REPLAY_FILES.davis, `${String(m.frameIndex).padStart(5, '0')}.png`),
      encodeIndexedPng(png, m.width, m.height),
    );
  }

  /** Writes the files that need the whole replay (YouTube-VIS, DAVIS label map) and closes everything. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeOutput(this.motFd, join(this.outDir, REPLAY_FILES.mot));
    closeOutput(this.motsFd, join(this.outDir, REPLAY_FILES.mots));
    const frames = this.lastFrameIndex + 1;
    const results: YtvisResult[] = [...this.ytvis.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, t]) => ({
        video_id: 1,
        category_id: t.classId + 1,
        segmentations: Array.from({ length: frames }, (_, f) => t.masks.get(f) ?? null),
        score: Math.round((t.scoreSum / t.hits) * 1e4) / 1e4,
      }));
    writeOutputFile(join(this.outDir, REPLAY_FILES.ytvis), JSON.stringify(results));
    writeOutputFile(
      join(this.outDir, REPLAY_FILES.davisLabels),
      `${JSON.stringify(Object.fromEntries([...this.davisLabel].map(([id, label]) => [label, id])), null, 1)}\n`,
    );
  }
}
