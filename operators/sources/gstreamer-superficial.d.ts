// Types for the parts of gstreamer-superficial (which ships none) that edgevis uses.
declare module 'gstreamer-superficial' {
  export interface BusMessage {
    type: string;
    message?: string;
    name?: string;
    _src_element_name?: string;
    [field: string]: unknown;
  }
  export interface SampleCaps {
    name?: string;
    width?: number;
    height?: number;
    framerate?: string;
    format?: string;
    /** edgevis: the sample's timestamp in stream time, ms (absent when the buffer has none). */
    ptsMs?: number;
    /** edgevis: samples the appsink received so far, the ones it dropped included. */
    samplesSeen?: number;
    [field: string]: unknown;
  }
  export interface GstElement {
    [property: string]: unknown;
  }
  export interface AppSink extends GstElement {
    /**
     * Hands over the next sample (null at end of stream or once the pipeline stopped). edgevis's
     * vendored binding waits for it without holding a thread (the appsink's callbacks wake the main
     * thread); one pull at a time per appsink. With `format` 'RGB' a raw video sample is converted
     * to packed RGB (rows of width × 3 bytes) on a libuv thread, into `target` (handed back itself) when it has exactly the frame's size, else into a
     * new Uint8Array; without `format`, the sample's bytes in a new Buffer (`target` unused).
     * @throws RangeError for a format other than 'RGB'; Error while another pull of this appsink waits
     */
    pull(callback: (buf: Uint8Array | null, caps: SampleCaps) => void, target?: Uint8Array, format?: 'RGB'): void;
  }
  export class Pipeline {
    /** Whether the bus is flushed when the pipeline goes to NULL (default true). */
    'auto-flush-bus': boolean;
    constructor(launchLine: string);
    play(): void;
    pause(): void;
    stop(): void;
    sendEOS(): void;
    queryPosition(): number;
    queryDuration(): number;
    findChild(name: string): GstElement | undefined;
    /**
     * Calls back with every message posted on the bus, on the main thread (woken by a sync handler,
     * no thread held), until the pipeline was started and is back in NULL.
     * @throws Error when the bus is already polled
     */
    pollBus(callback: (msg: BusMessage) => void): void;
  }
  const gstreamer: { Pipeline: typeof Pipeline };
  export default gstreamer;
}
