import type { Detections } from './detections.js';
import type { Frame } from './frame.js';
import type { Segmenter } from './segmenter.js';

/**
 * A segmenter whose model can be replaced while cameras run (the `auto` profile choosing another
 * input size when cameras come and go). Each frame is segmented whole by the model that was
 * current when it arrived; the replaced model is handed back once its frames are done. Boxes and
 * masks are in frame pixels whatever the model's input size, so the trackers downstream go on
 * unchanged: no track ends and no id changes at a switch.
 */
export class SwitchableSegmenter implements Segmenter {
  private readonly inFlight = new Map<Segmenter, { count: number; drained: (() => void)[] }>();

  /** @param current the first model; `name` is its profile's name */
  constructor(
    private current: Segmenter,
    public name: string,
  ) {}

  /** The model in use now. */
  get model(): Segmenter {
    return this.current;
  }
  get classNames(): readonly string[] {
    return this.current.classNames;
  }
  get inputWidth(): number {
    return this.current.inputWidth;
  }
  get inputHeight(): number {
    return this.current.inputHeight;
  }
  get executionProvider(): string {
    return this.current.executionProvider;
  }

  segment(frame: Frame): Promise<Detections> {
    const model = this.current;
    const entry = this.inFlight.get(model) ?? { count: 0, drained: [] };
    entry.count++;
    this.inFlight.set(model, entry);
    return model.segment(frame).finally(() => {
      if (--entry.count > 0) return;
      this.inFlight.delete(model);
      for (const done of entry.drained) done();
    });
  }

  /**
   * Makes `next` the model for every frame from now on.
   * @returns the replaced model, once the frames it had started are segmented (the caller disposes of it)
   */
  async switchTo(next: Segmenter, name: string): Promise<Segmenter> {
    const old = this.current;
    this.current = next;
    this.name = name;
    const entry = this.inFlight.get(old);
    if (entry) await new Promise<void>((resolve) => entry.drained.push(resolve));
    return old;
  }

  dispose(): Promise<void> {
    return this.current.dispose();
  }
}
