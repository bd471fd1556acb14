// gatherClips: the clip gatherer sees each item before it is published; events name their clip.
import { lastValueFrom, of, toArray } from 'rxjs';
import t from 'tap';
import type { Tracks } from '../models/tracks.js';
import { gatherClips, type ClipGatherer } from '../operators/gather-clips.js';
import { publishTracks } from '../operators/publish-tracks.js';
import { MessageSequence } from '../operators/wire/message-sequence.js';
import { detections, recordingPublisher, ScriptedTracker } from './helpers/operator-doubles.js';

t.test(
  'gatherClips: the clip gatherer sees every item before it is published, and its events name their clip',
  async (t) => {
    const tracker = new ScriptedTracker();
    const items: Tracks[] = [tracker.update(detections(0)), tracker.update(detections(1)), tracker.end()!];
    const seen: number[] = [];
    const gatherer: ClipGatherer = {
      observe: (x): Record<string, string> | null => {
        seen.push(x.frameIndex);
        if (x.kind === 'frame' && x.started.length) return { 'cam:0:1:started': 'cam-0-1' };
        return x.kind === 'stream-ended' ? { 'cam:0:1:ended': 'cam-0-1' } : null;
      },
    };
    const a = recordingPublisher();
    const passed = await lastValueFrom(
      of(...items).pipe(gatherClips(gatherer), publishTracks([a], false, new MessageSequence()), toArray()),
    );
    t.same(seen, [0, 1, 1], 'every item, in order');
    t.equal(passed[1], items[1], 'an item with no clip event passes unchanged');
    t.same(
      a.got.flatMap((m) => (m.type === 'track_started' || m.type === 'track_ended' ? [[m.type, m.clipId]] : [])),
      [
        ['track_started', 'cam-0-1'],
        ['track_ended', 'cam-0-1'],
      ],
      'started and ended name the clip',
    );
    t.notOk(a.json.find((j) => j.includes('"tracks"'))?.includes('clipId'), 'snapshots do not');
  },
);
