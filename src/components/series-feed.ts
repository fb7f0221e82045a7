// The live half of the browser's data module (run-data.ts is the history half). Widgets declare
// what they need (DataNeed: one channel's series, every channel of an observable as a raster
// grid, or the newest arrays of a 1D/2D observable; the run selection, the window); the feed
// reads the history from the per-run Parquet snapshots, subscribes to the live tail from the
// manifest's liveSeq on (no gap, no duplicate: see SeriesBuffer), and tells the page which data
// changed, by key. When the server rewrites the snapshot (a refresh), the feed reads it again.
import { siteNow } from "./site-mode.js";
import type { ChannelGrid } from "../core/binning.js";
import type { Reading, RunInfo } from "../core/catalog.js";
import { type DashboardView, type TimeChoice, dashboardView, overlapping } from "../core/dashboard-time.js";
import type { TimeWindow } from "../core/time-window.js";
import { LiveClient, type LiveState } from "./live-client.js";
import { type ArrayReadingView, type Snapshot, loadSnapshotWhenReady, SnapshotFileGone, snapshotChanged } from "./run-data.js";
import { SeriesBuffer } from "./series-buffer.js";
import {
  type ArraysRead,
  type DataNeed,
  type HistoryRequest,
  arraysKey,
  emptyHistory,
  gridKey,
  needKey,
  readHistory,
  seriesKey,
} from "./history-read.js";
import { type ScalarRow, nearestReading } from "./run-readings.js";

export { type DataNeed, arraysKey, gridKey, needKey, seriesKey } from "./history-read.js";

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
  /** How often to ask whether the snapshot changed, when the choice says "live" (0). */
  pollMs?: number;
  /** The site's offset from UTC, for observing nights. */
  utcOffsetMinutes?: number;
  /** The page's data were confirmed current (read, checked unchanged, or live readings came). */
  onUpdated?: (at: number) => void;
}

export class SeriesFeed {
  private snapshot: Snapshot | undefined;
  private buffers = new Map<string, SeriesBuffer>();
  private grids = new Map<string, ChannelGrid>();
  private arrays = new Map<string, ArraysRead>();
  private runList: RunInfo[] = [];
  private live: LiveClient | undefined;
  private settledFor: SeriesFeed["request"];
  private messageUp = false;
  private view: DashboardView | undefined;
  private request: { needs: DataNeed[]; choice: TimeChoice } | undefined;
  private loading: Promise<void> = Promise.resolve();
  private poll: ReturnType<typeof setInterval> | undefined;
  private pollEvery = -2;
  private closed = false;
  private learning = false;

  constructor(private readonly options: SeriesFeedOptions) {}

  /** Re-reads the snapshot every `refreshSeconds` (0: the default poll, -1: never). */
  private schedulePoll(refreshSeconds: number): void {
    if (refreshSeconds === this.pollEvery) return;
    this.pollEvery = refreshSeconds;
    clearInterval(this.poll);
    this.poll = undefined;
    if (refreshSeconds < 0 || this.closed) return;
    const ms = refreshSeconds === 0 ? (this.options.pollMs ?? 15_000) : refreshSeconds * 1000;
    this.poll = setInterval(() => void this.checkSnapshot(), ms);
  }

  buffer(observable: string, channel: number): SeriesBuffer | undefined {
    return this.buffers.get(seriesKey(observable, channel));
  }

  grid(observable: string): ChannelGrid | undefined {
    return this.grids.get(gridKey(observable));
  }

  /** Newest first. */
  arrayReadings(observable: string, runs?: readonly number[]): ArrayReadingView[] | undefined {
    return this.arrays.get(arraysKey(observable, runs))?.readings;
  }

  /**
   * The reading nearest `t` at full resolution where the held history is thinned (level-of-detail
   * points); undefined where the held history is every reading (it answers exactly itself).
   */
  nearest(observable: string, channel: number, t: number, within: number): Promise<ScalarRow | undefined> | undefined {
    const buffer = this.buffers.get(seriesKey(observable, channel));
    if (!buffer?.thinned || !this.snapshot || !this.view) return undefined;
    return nearestReading(this.snapshot, { runs: this.view.runs, observable, channel, t, within });
  }

  /** The snapshot read and the runs shown, for reading exact readings (Download, Inspect data). */
  source(): { snapshot: Snapshot; runs: readonly number[] } | undefined {
    return this.snapshot && this.view ? { snapshot: this.snapshot, runs: this.view.runs } : undefined;
  }

  /** The runs as last read (for colouring by run and for run pickers). */
  runs(): readonly RunInfo[] {
    return this.runList;
  }

  /** The newest run shown, the runs read and the window as of now. */
  current(): { run: RunInfo; window: TimeWindow; runs: readonly number[]; note?: string; snapshot: Snapshot } | undefined {
    if (!this.view || !this.snapshot || !this.request) return undefined;
    const { run, runs, note } = this.view;
    const { from, to } = this.view.window;
    // The last N seconds of a running run slide with the clock, a running run shown whole grows
    // with it; anything else stays put.
    const now = siteNow();
    const slide = this.view.slides ? now - to : 0;
    const window = this.view.grows ? { from, to: Math.max(to, now) } : { from: from + slide, to: to + slide };
    // A run the sliding window has left is no longer shown.
    const inWindow = new Set(overlapping(this.runList, window, now).map((r) => r.id));
    const shown = slide ? runs.filter((id) => inWindow.has(id) || !this.runList.some((r) => r.id === id)) : runs;
    return { run, runs: shown, window, snapshot: this.snapshot, ...(note ? { note } : {}) };
  }

  /** What the widgets need now, and which runs and time; reads history again and resubscribes. */
  declare(needs: DataNeed[], choice: TimeChoice): Promise<void> {
    this.request = { needs, choice };
    this.schedulePoll(choice.refreshSeconds);
    return this.reload("");
  }

  private viewOf(runList: RunInfo[], request: NonNullable<SeriesFeed["request"]>) {
    return dashboardView(runList, request.choice, siteNow(), { utcOffsetMinutes: this.options.utcOffsetMinutes ?? 0 });
  }

  /** Reads the snapshot (and runs) again, e.g. after a refresh the user asked for. */
  reload(reason: string, fresh = true): Promise<void> {
    const next = this.loading.then(() => this.load(reason, fresh));
    this.loading = next.catch(() => undefined);
    return next;
  }

  /** Whether the history for what the widgets asked last has been read (or found empty). */
  settled(): boolean {
    return !!this.request && this.settledFor === this.request;
  }

  private async load(reason: string, fresh: boolean, retried = false): Promise<void> {
    const request = this.request;
    if (!request || this.closed) return;
    try {
      await this.loadFor(request, reason, fresh);
    } catch (error) {
      // The files of the manifest read were replaced meanwhile: read the new one, once.
      if (error instanceof SnapshotFileGone && !retried) return this.load(reason, true, true);
      this.showStatus(`Could not load data: ${error instanceof Error ? error.message : String(error)}`, true);
      // The widgets stop saying "loading…": nothing more is coming for this request.
      if (this.request === request) {
        this.settledFor = request;
        this.options.onData(new Set(request.needs.map(needKey)));
      }
    }
  }

  /** Tells the page; what the feed said before (an error, "waiting") is taken back once data is drawn. */
  private showStatus(text: string, isError = false): void {
    if (!text && !this.messageUp) return;
    this.messageUp = !!text;
    this.options.onStatus(text, isError);
  }

  private async loadFor(request: NonNullable<SeriesFeed["request"]>, reason: string, fresh: boolean): Promise<void> {
    if (fresh || !this.snapshot) {
      this.snapshot = await loadSnapshotWhenReady(this.options.base, (why) => this.showStatus(`Waiting: ${why}…`));
    }
    const snapshot = this.snapshot;
    const runList = await this.options.runs(snapshot);
    const view = this.viewOf(runList, request);
    const history = view ? await this.read(request, { snapshot, view, runList }) : undefined;
    this.live?.close();
    this.live = undefined;
    this.buffers = history?.buffers ?? new Map();
    this.grids = history?.grids ?? new Map();
    this.arrays = history?.arrays ?? new Map();
    this.runList = runList;
    this.view = view;
    if (this.request === request) this.settledFor = request;
    // Widgets drawn part by part already show their data; the rest learn it is settled.
    const drawn = history?.drawn ?? new Set<string>();
    const keys = new Set(request.needs.map(needKey).filter((k) => !drawn.has(k)));
    if (keys.size > 0 || drawn.size === 0) this.options.onData(keys);
    if (!view) {
      this.showStatus("Nothing to show: no run in the catalog matches the chosen runs and time.", true);
      return;
    }
    this.follow(snapshot, view, request);
    this.options.onUpdated?.(Date.now());
    this.showStatus(reason ? `Reloaded data: ${reason}` : "");
    // The older runs of long rasters, after the first draw; each widget redraws as they come.
    for (const fill of history?.fillLater ?? []) {
      const key = await fill();
      if (this.request !== request) return;
      this.options.onData(new Set([key]));
    }
  }

  /**
   * The history for a request. What is drawn stays until the new history is read, then
   * everything swaps at once; on a page's first read, with nothing drawn yet, each widget is
   * drawn as its part comes (the page draws while DuckDB-WASM reads the next part).
   */
  private async read(request: NonNullable<SeriesFeed["request"]>, at: Pick<HistoryRequest, "snapshot" | "view" | "runList">) {
    const drawn = new Set<string>();
    const first = !this.view && this.buffers.size + this.grids.size + this.arrays.size === 0;
    const into = emptyHistory();
    let onPart: HistoryRequest["onPart"];
    if (first) {
      [this.buffers, this.grids, this.arrays, this.runList, this.view] = [
        into.buffers,
        into.grids,
        into.arrays,
        [...at.runList],
        at.view,
      ];
      onPart = (keys, empty) => {
        if (this.request !== request) return;
        for (const key of keys) if (!empty.includes(key)) drawn.add(key);
        if (keys.length > empty.length) this.options.onData(new Set(keys));
      };
    }
    const history = await readHistory(
      { ...at, needs: request.needs, pixels: this.options.pixels(), ...(onPart ? { onPart } : {}) },
      into,
    );
    return { ...history, drawn };
  }

  private follow(snapshot: Snapshot, view: NonNullable<SeriesFeed["view"]>, request: NonNullable<SeriesFeed["request"]>) {
    // Refresh "off" freezes the view (a meeting looks at one state): no live feed either.
    if (request.choice.refreshSeconds < 0) {
      this.options.onLive(`frozen (refresh off) — run ${view.run.id} (${view.run.status})`, "stopped");
      return;
    }
    if (!this.options.live || snapshot.liveSeq === null || !view.live || request.needs.length === 0) {
      this.options.onLive(`run ${view.run.id} (${view.run.status})`, "stopped");
      return;
    }
    // Only the channels the widgets draw: one pixel of a 2000-channel camera is 1/2000 of the
    // traffic. A raster draws every channel, so its observable has no channel filter; arrays
    // of chosen runs change only while one of them is running.
    const channels: Record<string, number[]> = {};
    const everyChannel = new Set<string>();
    for (const n of request.needs) {
      if (n.kind === "series") (channels[n.observable] ??= []).push(n.channel);
      else if (n.kind === "grid" || !n.runs || n.runs.includes(view.run.id)) everyChannel.add(n.observable);
    }
    for (const name of everyChannel) delete channels[name];
    const observables = [...new Set([...Object.keys(channels), ...everyChannel])];
    if (observables.length === 0) {
      this.options.onLive(`run ${view.run.id} (${view.run.status})`, "stopped");
      return;
    }
    this.live = new LiveClient({
      observables,
      since: snapshot.liveSeq,
      channels,
      // Following the newest run takes every run's readings, so the previous run stays drawn.
      ...(view.live.follow === "run" ? { run: view.live.run } : {}),
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
      if (typeof r.value === "number") {
        const key = seriesKey(r.observable, r.channel);
        if (this.buffers.get(key)?.append(r)) touched.add(key);
        const grid = this.grids.get(gridKey(r.observable));
        if (grid) {
          grid.add(r.channel, r.t, r.value);
          touched.add(gridKey(r.observable));
        }
      } else {
        for (const key of this.takeArray(r)) touched.add(key);
      }
    }
    if (newRun) void this.learnNewRun();
    const from = this.current()?.window.from ?? view.window.from;
    for (const key of touched) this.buffers.get(key)?.trimBefore(from);
    if (touched.size > 0) this.options.onData(touched);
    this.options.onUpdated?.(Date.now());
  }

  /** Puts a live array reading into every held list it belongs to; returns their keys. */
  private takeArray(r: Reading): string[] {
    const keys: string[] = [];
    const reading = { run: r.run, channel: r.channel, t: r.t, value: r.value as ArrayReadingView["value"] };
    for (const [key, held] of this.arrays) {
      if (held.need.observable !== r.observable) continue;
      if (!held.need.runs) {
        // The newest readings of the window, newest first.
        if (held.readings[0] && held.readings[0].t >= r.t) continue;
        held.readings.unshift(reading);
        held.readings.length = Math.min(held.readings.length, held.need.limit);
      } else {
        // Chosen runs: the last reading of each; the running one among them follows live.
        if (!held.need.runs.includes(r.run)) continue;
        const at = held.readings.findIndex((x) => x.run === r.run);
        if (at >= 0 && held.readings[at]!.t >= r.t) continue;
        if (at >= 0) held.readings[at] = reading;
        else held.readings.splice(held.readings.filter((x) => x.t > r.t).length, 0, reading);
      }
      keys.push(key);
    }
    return keys;
  }

  /** A new run started while following the newest: it becomes the one shown, history kept. */
  private async learnNewRun(): Promise<void> {
    const request = this.request;
    // Every batch of the new run asks until the answer comes: one question at a time.
    if (!this.snapshot || !request || this.learning) return;
    this.learning = true;
    try {
      const runList = await this.options.runs(this.snapshot);
      this.runList = runList;
      const view = this.viewOf(runList, request);
      if (view && this.view && view.run.id > this.view.run.id) this.view = { ...this.view, run: view.run, runs: view.runs };
    } finally {
      this.learning = false;
    }
  }

  private async checkSnapshot(): Promise<void> {
    if (!this.snapshot || this.closed) return;
    try {
      if (await snapshotChanged(this.snapshot)) await this.reload("", true);
      else this.options.onUpdated?.(Date.now());
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
