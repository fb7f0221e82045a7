// The live half of the browser's data module (run-data.ts is the history half). Widgets declare
// what they need (observable and channel, the run selection, the window); the feed reads the
// history from the per-run Parquet snapshots, subscribes to the live tail from the manifest's
// liveSeq on (no gap, no duplicate: see SeriesBuffer), and tells the page which series changed.
// When the server rewrites the snapshot (a refresh), the feed reads it again.
import type { Reading, RunInfo } from "../core/catalog.js";
import type { RunSelection } from "../core/dashboard.js";
import { type TimeWindow, dashboardWindow } from "../core/time-window.js";
import { LiveClient, type LiveState } from "./live-client.js";
import { type Snapshot, loadSnapshotWhenReady, queryChannels, snapshotChanged } from "./run-data.js";
import { SeriesBuffer } from "./series-buffer.js";

export interface SeriesNeed {
  observable: string;
  channel: number;
}

export const seriesKey = (observable: string, channel: number) => `${observable}#${channel}`;

export interface SeriesFeedOptions {
  /** The snapshot directory (`/snapshots/` on a server, `snapshots/` in a published folder). */
  base: URL;
  /** The freshest list of runs: the server's, or the snapshot's own. */
  runs: (snapshot: Snapshot) => Promise<RunInfo[]>;
  /** Follow the live feed over /ws (a published folder has none). */
  live: boolean;
  /** How wide the widest chart is, for the level of detail. */
  pixels: () => number;
  onData: (keys: ReadonlySet<string>) => void;
  onLive: (text: string, state: LiveState | "stopped") => void;
  onStatus: (text: string, isError?: boolean) => void;
  /** How often to ask whether the snapshot changed. */
  pollMs?: number;
}

export class SeriesFeed {
  private snapshot: Snapshot | undefined;
  private buffers = new Map<string, SeriesBuffer>();
  private live: LiveClient | undefined;
  private view: { run: RunInfo; window: TimeWindow; runs: number[] } | undefined;
  private request: { needs: SeriesNeed[]; selection: RunSelection; seconds: number } | undefined;
  private loading: Promise<void> = Promise.resolve();
  private readonly poll: ReturnType<typeof setInterval>;
  private closed = false;
  private learning = false;

  constructor(private readonly options: SeriesFeedOptions) {
    this.poll = setInterval(() => void this.checkSnapshot(), options.pollMs ?? 15_000);
  }

  buffer(observable: string, channel: number): SeriesBuffer | undefined {
    return this.buffers.get(seriesKey(observable, channel));
  }

  /** The run shown (the newest, when following it) and the window as of now. */
  current(): { run: RunInfo; window: TimeWindow; snapshot: Snapshot } | undefined {
    if (!this.view || !this.snapshot || !this.request) return undefined;
    const { run } = this.view;
    const { from, to } = this.view.window;
    // A running run's window slides with the clock; a stopped one's stays where it ended.
    const slide = run.stop === null ? Date.now() - to : 0;
    return { run, window: { from: from + slide, to: to + slide }, snapshot: this.snapshot };
  }

  /** What the widgets need now; reads history again and resubscribes. */
  declare(needs: SeriesNeed[], selection: RunSelection, seconds: number): Promise<void> {
    this.request = { needs, selection, seconds };
    return this.reload("");
  }

  /** Reads the snapshot (and runs) again, e.g. after a refresh the user asked for. */
  reload(reason: string, fresh = true): Promise<void> {
    const next = this.loading.then(() => this.load(reason, fresh));
    this.loading = next.catch(() => undefined);
    return next;
  }

  private async load(reason: string, fresh: boolean): Promise<void> {
    const request = this.request;
    if (!request || this.closed) return;
    try {
      if (fresh || !this.snapshot) {
        this.snapshot = await loadSnapshotWhenReady(this.options.base, (why) => this.options.onStatus(`Waiting: ${why}…`));
      }
      const snapshot = this.snapshot;
      const view = dashboardWindow(await this.options.runs(snapshot), request.selection, request.seconds, Date.now());
      // What is drawn stays until the new history is read, then both swap at once.
      const buffers = view ? await this.readHistory(snapshot, view, request.needs) : new Map<string, SeriesBuffer>();
      this.live?.close();
      this.live = undefined;
      this.buffers = buffers;
      this.view = view;
      this.options.onData(new Set(buffers.keys()));
      if (!view) {
        this.options.onStatus("No data yet: the selected run is not in the catalog.", true);
        return;
      }
      this.follow(snapshot, view, request);
      if (reason) this.options.onStatus(`Reloaded data: ${reason}`);
    } catch (error) {
      this.options.onStatus(`Could not load data: ${error instanceof Error ? error.message : String(error)}`, true);
    }
  }

  private async readHistory(snapshot: Snapshot, view: NonNullable<SeriesFeed["view"]>, needs: SeriesNeed[]) {
    const buffers = new Map<string, SeriesBuffer>();
    const byObservable = new Map<string, number[]>();
    for (const n of needs)
      (byObservable.get(n.observable) ?? byObservable.set(n.observable, []).get(n.observable)!).push(n.channel);
    // Everything up to liveSeq is in the files; the live tail brings what is newer.
    const heldSeq = snapshot.liveSeq ?? 0;
    for (const [observable, channels] of byObservable) {
      const { series } = await queryChannels(snapshot, {
        runs: view.runs,
        observable,
        channels: [...new Set(channels)],
        window: view.window,
        pixels: this.options.pixels(),
      });
      for (const channel of channels) {
        const columns = series.get(channel);
        const buffer = SeriesBuffer.fromColumns(columns?.t ?? [], columns?.value ?? [], []);
        buffer.lastSeq = heldSeq;
        buffers.set(seriesKey(observable, channel), buffer);
      }
    }
    return buffers;
  }

  private follow(snapshot: Snapshot, view: NonNullable<SeriesFeed["view"]>, request: NonNullable<SeriesFeed["request"]>) {
    const following = request.selection.mode === "latest";
    if (!this.options.live || snapshot.liveSeq === null || (!following && view.run.stop !== null) || request.needs.length === 0) {
      this.options.onLive(`run ${view.run.id} (${view.run.status})`, "stopped");
      return;
    }
    // Only the channels the widgets draw: one pixel of a 2000-channel camera is 1/2000 of the traffic.
    const channels: Record<string, number[]> = {};
    for (const n of request.needs) (channels[n.observable] ??= []).push(n.channel);
    this.live = new LiveClient({
      observables: Object.keys(channels),
      since: snapshot.liveSeq,
      channels,
      // Following the newest run takes every run's readings, so the previous run stays drawn.
      ...(following ? {} : { run: view.run.id }),
      onReadings: (readings) => this.onReadings(readings),
      onState: (state, detail) =>
        this.options.onLive(
          `${state === "live" ? "● live" : state}${detail ? ` (${detail})` : ""} — run ${this.view?.run.id}`,
          state,
        ),
      onResync: (why) => void this.reload(why),
    });
  }

  private onReadings(readings: Reading[]): void {
    const view = this.view;
    if (!view) return;
    const touched = new Set<string>();
    let newRun = false;
    for (const r of readings) {
      if (r.run > view.run.id) newRun = true;
      const key = seriesKey(r.observable, r.channel);
      if (this.buffers.get(key)?.append(r)) touched.add(key);
    }
    if (newRun) void this.learnNewRun();
    const from = this.current()?.window.from ?? view.window.from;
    for (const key of touched) this.buffers.get(key)!.trimBefore(from);
    if (touched.size > 0) this.options.onData(touched);
  }

  /** A new run started while following the newest: it becomes the one shown, history kept. */
  private async learnNewRun(): Promise<void> {
    const request = this.request;
    // Every batch of the new run asks until the answer comes: one question at a time.
    if (!this.snapshot || !request || this.learning) return;
    this.learning = true;
    try {
      const view = dashboardWindow(await this.options.runs(this.snapshot), request.selection, request.seconds, Date.now());
      if (view && this.view && view.run.id > this.view.run.id) this.view = { ...this.view, run: view.run };
    } finally {
      this.learning = false;
    }
  }

  private async checkSnapshot(): Promise<void> {
    if (!this.snapshot || this.closed) return;
    try {
      if (await snapshotChanged(this.snapshot)) await this.reload("", true);
    } catch {
      // The next poll asks again; what is drawn stays.
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    this.live?.close();
  }
}
