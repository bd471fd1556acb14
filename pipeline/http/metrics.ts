import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Tracks } from '../../models/tracks.js';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import { CAMERA_STATES } from '../../operators/wire/message-schema.js';
import { processingFps, type CameraStatus } from '../camera/camera-status.js';
import type { HttpRoute } from './http-edge.js';

/** Latency buckets, seconds: 5 ms … 5 s (one inference on a CPU is 10-100 ms). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5];

/** `skippedSnapshots` → `skipped_snapshots`. */
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Prometheus metrics of a running edgevis (prom-client, text format at `GET /metrics`), named by
 * Prometheus conventions: `edgevis_` prefix, base units (seconds, bytes), `_total` for counters.
 * - per camera (label `camera`), read from each camera's status at scrape time: frames received /
 *   processed / dropped (label `reason`: `sampler` replaced by a newer frame, `source` skipped by
 *   the source) / corrupt, tracks started / ended, reconnects, state (one series per state, 1 for
 *   the current one), processing fps, active tracks, inference seconds, snapshots and event clips
 *   written (count, bytes, errors);
 * - per camera and frame: `edgevis_stage_seconds` (label `stage`: wait, segment, embed, track,
 *   publish) and `edgevis_frame_latency_seconds` (source to published) histograms;
 * - web viewer: pictures sent / skipped for backed-up viewers, viewers connected;
 * - inference: worker threads replaced after exiting on their own;
 * - per publisher: its counters (`edgevis_<publisher>_<counter>_total`), WebSocket clients,
 *   `edgevis_publisher_up` (1 when it can deliver, e.g. MQTT connected);
 * - process: prom-client's default metrics (CPU, memory, event-loop lag, GC) with the prefix.
 */
export class EdgevisMetrics {
  readonly registry = new Registry();
  private readonly stage: Histogram<'camera' | 'stage'>;
  private readonly latency: Histogram<'camera'>;

  /**
   * @param viewerStats the web viewer's counters (pictures sent, skipped for slow viewers, viewers), when it runs
   * @param inferenceWorkerRestarts inference workers that exited on their own and were replaced, so far
   */
  /**
   * @param models which segmentation model each camera runs and why (`edgevis_model_info`)
   * @param recordings each recording camera's state and counters (`edgevis_recording_*`)
   */
  constructor(
    cameras: () => readonly CameraStatus[],
    publishers: readonly TrackPublisher[],
    viewerStats?: () => Readonly<Record<string, number>>,
    inferenceWorkerRestarts?: () => number,
    models?: () => readonly { readonly camera: string; readonly profile: string; readonly reason: string }[],
    recordings?: () => readonly {
      readonly camera: string;
      readonly up: boolean;
      readonly counters: Readonly<
        Record<'bytesWritten' | 'segments' | 'deletedByQuota' | 'deletedByAge' | 'writeErrors', number>
      >;
    }[],
  ) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'edgevis_' });
    const perCamera = (
      name: string,
      help: string,
      value: (c: CameraStatus) => number,
      kind: 'counter' | 'gauge' = 'counter',
    ) => {
      if (kind === 'counter')
        new Counter({
          name,
          help,
          labelNames: ['camera'],
          registers: [r],
          collect() {
            this.reset();
            for (const c of cameras()) this.inc({ camera: c.id }, value(c));
          },
        });
      else
        new Gauge({
          name,
          help,
          labelNames: ['camera'],
          registers: [r],
          collect() {
            this.reset();
            for (const c of cameras()) this.set({ camera: c.id }, value(c));
          },
        });
    };
    perCamera('edgevis_frames_received_total', 'Frames the source handed over.', (c) => c.sampling.received);
    perCamera('edgevis_frames_processed_total', 'Frames segmented, tracked and published.', (c) => c.framesProcessed);
    new Counter({
      name: 'edgevis_frames_dropped_total',
      help: 'Frames that never reached the model: replaced by a newer one while it was busy (sampler) or skipped by the source (source).',
      labelNames: ['camera', 'reason'],
      registers: [r],
      collect() {
        this.reset();
        for (const c of cameras()) {
          this.inc({ camera: c.id, reason: 'sampler' }, c.sampling.dropped);
          this.inc({ camera: c.id, reason: 'source' }, c.sampling.skippedBySource);
        }
      },
    });
    perCamera(
      'edgevis_frames_corrupt_total',
      'Frames the source could not decode and skipped.',
      (c) => c.source.corruptFrames,
    );
    perCamera('edgevis_tracks_started_total', 'Tracks confirmed (ids handed out).', (c) => c.tracksStarted);
    perCamera('edgevis_tracks_ended_total', 'Tracks ended (lost, end of stream, stop).', (c) => c.tracksEnded);
    perCamera('edgevis_reconnects_total', 'Times the camera came back after a loss.', (c) => c.reconnects);
    perCamera(
      'edgevis_inference_seconds_total',
      "Time spent segmenting this camera's frames in the inference worker.",
      (c) => c.inferenceMs / 1000,
    );
    perCamera(
      'edgevis_snapshots_total',
      'Track snapshots written (JPEG), cameras with snapshots on.',
      (c) => c.snapshotCounters?.snapshots ?? 0,
    );
    perCamera(
      'edgevis_snapshot_bytes_total',
      'Bytes of the track snapshots written.',
      (c) => c.snapshotCounters?.bytes ?? 0,
    );
    perCamera(
      'edgevis_snapshot_errors_total',
      'Track snapshots that could not be encoded or written.',
      (c) => c.snapshotCounters?.errors ?? 0,
    );
    perCamera(
      'edgevis_clips_total',
      'Event clips written (MP4), cameras with clips on.',
      (c) => c.clipCounters?.clips ?? 0,
    );
    perCamera('edgevis_clip_bytes_total', 'Bytes of the event clips written.', (c) => c.clipCounters?.bytes ?? 0);
    perCamera(
      'edgevis_clip_errors_total',
      'Event clips that could not be made (no segment covered them, remuxing failed).',
      (c) => c.clipCounters?.errors ?? 0,
    );
    perCamera('edgevis_processing_fps', 'Frames processed per second over the run.', (c) => processingFps(c), 'gauge');
    perCamera('edgevis_active_tracks', 'Confirmed tracks matched in the latest frame.', (c) => c.activeTracks, 'gauge');
    new Gauge({
      name: 'edgevis_camera_state',
      help: "The camera's state: 1 for the current one, 0 for the others.",
      labelNames: ['camera', 'state'],
      registers: [r],
      collect() {
        this.reset();
        for (const c of cameras())
          for (const s of CAMERA_STATES) this.set({ camera: c.id, state: s }, c.state === s ? 1 : 0);
      },
    });
    this.stage = new Histogram({
      name: 'edgevis_stage_seconds',
      help: 'Time a frame spent in each stage: wait (source to segmentation start), segment (incl. the inference queue), embed, track, publish (encode and send).',
      labelNames: ['camera', 'stage'],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    this.latency = new Histogram({
      name: 'edgevis_frame_latency_seconds',
      help: 'From the source handing a frame over to its snapshot being published.',
      labelNames: ['camera'],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    for (const p of publishers) {
      for (const key of Object.keys(p.counters)) {
        if (key === 'clients' || key === 'buffered') {
          new Gauge({
            name: `edgevis_${p.name.replace(/-/g, '_')}_${key}`,
            help:
              key === 'clients'
                ? `Clients connected to the ${p.name} publisher.`
                : `Messages the ${p.name} publisher holds, not yet delivered.`,
            registers: [r],
            collect() {
              this.set(p.counters[key] ?? 0);
            },
          });
          continue;
        }
        new Counter({
          name: `edgevis_${p.name.replace(/-/g, '_')}_${snake(key)}_total`,
          help: `The ${p.name} publisher's ${key} counter.`,
          registers: [r],
          collect() {
            this.reset();
            this.inc(p.counters[key] ?? 0);
          },
        });
      }
    }
    if (inferenceWorkerRestarts) {
      new Counter({
        name: 'edgevis_inference_worker_restarts_total',
        help: 'Inference worker threads that exited on their own and were replaced (their jobs run again).',
        registers: [r],
        collect() {
          this.reset();
          this.inc(inferenceWorkerRestarts());
        },
      });
    }
    if (viewerStats) {
      new Counter({
        name: 'edgevis_viewer_pictures_total',
        help: 'Pictures sent to web viewers.',
        registers: [r],
        collect() {
          this.reset();
          this.inc(viewerStats().pictures ?? 0);
        },
      });
      new Counter({
        name: 'edgevis_viewer_pictures_skipped_total',
        help: "Pictures not sent because a viewer's socket was backed up.",
        registers: [r],
        collect() {
          this.reset();
          this.inc(viewerStats().skippedSlowViewer ?? 0);
        },
      });
      new Gauge({
        name: 'edgevis_viewer_clients',
        help: 'Web viewers connected.',
        registers: [r],
        collect() {
          this.set(viewerStats().viewers ?? 0);
        },
      });
    }
    if (models) {
      new Gauge({
        name: 'edgevis_model_info',
        help: "The segmentation model profile each camera runs (1), and why: pinned in the config, or chosen by auto for the cameras' frame rate on this machine.",
        labelNames: ['camera', 'profile', 'reason'],
        registers: [r],
        collect() {
          this.reset();
          for (const m of models()) this.set({ camera: m.camera, profile: m.profile, reason: m.reason }, 1);
        },
      });
    }
    if (recordings) {
      const per = (name: string, help: string, key: 'bytesWritten' | 'segments' | 'writeErrors') =>
        new Counter({
          name,
          help,
          labelNames: ['camera'],
          registers: [r],
          collect() {
            this.reset();
            for (const c of recordings()) this.inc({ camera: c.camera }, c.counters[key]);
          },
        });
      per('edgevis_recording_bytes_written_total', 'Bytes of finished recording segments.', 'bytesWritten');
      per('edgevis_recording_segments_total', 'Recording segments finished.', 'segments');
      per(
        'edgevis_recording_write_errors_total',
        "Times a camera's recording could not be written (full disk, unwritable folder).",
        'writeErrors',
      );
      new Counter({
        name: 'edgevis_recording_deleted_total',
        help: 'Recording files deleted by retention, by reason (quota: the folder was full; age: older than maxAgeHours).',
        labelNames: ['camera', 'reason'],
        registers: [r],
        collect() {
          this.reset();
          for (const c of recordings()) {
            this.inc({ camera: c.camera, reason: 'quota' }, c.counters.deletedByQuota);
            this.inc({ camera: c.camera, reason: 'age' }, c.counters.deletedByAge);
          }
        },
      });
      new Gauge({
        name: 'edgevis_recording_up',
        help: 'Whether a camera with recording on is recording (1) or not, after a write failure (0).',
        labelNames: ['camera'],
        registers: [r],
        collect() {
          this.reset();
          for (const c of recordings()) this.set({ camera: c.camera }, c.up ? 1 : 0);
        },
      });
    }
    new Gauge({
      name: 'edgevis_publisher_up',
      help: 'Whether a publisher can deliver now (1) or not (0, e.g. MQTT broker unreachable).',
      labelNames: ['publisher'],
      registers: [r],
      collect() {
        for (const p of publishers) this.set({ publisher: p.name }, p.health ? Number(p.health().ok) : 1);
      },
    });
  }

  /** Records one camera item's stage times (frames whose source keeps timing). */
  observe(tracks: Tracks): void {
    if (tracks.kind !== 'frame' || !tracks.timing) return;
    const t = tracks.timing,
      camera = tracks.cameraId;
    if (
      t.segmentStartAt === undefined ||
      t.segmentEndAt === undefined ||
      t.trackEndAt === undefined ||
      t.publishedAt === undefined
    )
      return;
    const embedded = t.embedEndAt ?? t.segmentEndAt;
    const s = (stage: string, ms: number) => this.stage.observe({ camera, stage }, Math.max(0, ms) / 1000);
    s('wait', t.segmentStartAt - t.receivedAt);
    s('segment', t.segmentEndAt - t.segmentStartAt);
    s('embed', embedded - t.segmentEndAt);
    s('track', t.trackEndAt - embedded);
    s('publish', t.publishedAt - t.trackEndAt);
    this.latency.observe({ camera }, Math.max(0, t.publishedAt - t.receivedAt) / 1000);
  }

  /** `GET /metrics` in the Prometheus text format. */
  route(): HttpRoute {
    return async (_request, response, url) => {
      if (url.pathname !== '/metrics') return false;
      const text = await this.registry.metrics();
      response.writeHead(200, { 'content-type': this.registry.contentType });
      response.end(text);
      return true;
    };
  }
}
