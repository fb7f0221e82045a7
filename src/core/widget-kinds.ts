// Which widget kinds can draw an observable, and in words why the others cannot. The Add form
// shows both: a shifter picking the waveform sees "Profile" offered and reads why "Raster" is
// not, instead of a disabled button with a hover tooltip.
import { type ChannelGroups, type ObservableInfo, groupChannels, groupCount } from "./catalog.js";
import { type Widget, type WidgetKind, widgetKinds } from "./dashboard.js";

export const KIND_LABELS: Readonly<Record<WidgetKind, string>> = {
  timeseries: "Time series",
  stat: "Single number",
  raster: "Raster (every channel against time)",
  histogram: "Histogram across channels",
  profile: "Profile (1D: waveform, spectrum)",
  image: "Image (2D heatmap)",
  xy: "X against Y",
  table: "Table of latest values",
  alarms: "Alarm table",
};

type ShapeFacts = Pick<ObservableInfo, "name" | "shape" | "channels">;

function describeShape(info: ShapeFacts): string {
  if (info.shape === "1d") return "a 1D array";
  if (info.shape === "2d") return "a 2D array";
  return info.channels > 1 ? `${info.channels} channels of scalars` : "one scalar";
}

/** Why `kind` cannot draw `info`, or undefined when it can. */
export function whyKindDoesNotFit(kind: WidgetKind, info: ShapeFacts): string | undefined {
  const is = `${info.name} is ${describeShape(info)}`;
  switch (kind) {
    case "timeseries":
    case "stat":
    case "table":
    case "xy":
      return info.shape === "scalar" ? undefined : `${is}; ${KIND_LABELS[kind].toLowerCase()} draws scalar readings`;
    case "alarms":
      return info.shape === "scalar" ? undefined : `${is}; alarms are evaluated on scalar readings`;
    case "raster":
    case "histogram":
      if (info.shape !== "scalar") return `${is}; a ${kind} draws the channels of a per-channel scalar`;
      return info.channels > 1 ? undefined : `${is}; a ${kind} needs a per-channel observable (e.g. a camera's pixels)`;
    case "profile":
      return info.shape === "1d" ? undefined : `${is}; a profile draws a 1D array`;
    case "image":
      return info.shape === "2d" ? undefined : `${is}; an image draws a 2D array`;
  }
}

export interface KindChoice {
  kind: WidgetKind;
  label: string;
  /** Undefined when the kind fits. */
  why: string | undefined;
}

/** Every kind, in the form's order, each with whether (and why not) it fits `info`. */
export function kindChoices(info: ShapeFacts): KindChoice[] {
  return widgetKinds.map((kind) => ({ kind, label: KIND_LABELS[kind], why: whyKindDoesNotFit(kind, info) }));
}

/** The kind a new widget of `info` starts as: what a shifter most often wants of that shape. */
export function defaultKind(info: ShapeFacts): WidgetKind {
  if (info.shape === "1d") return "profile";
  if (info.shape === "2d") return "image";
  return info.channels > 1 ? "raster" : "timeseries";
}

/** The first problem of a widget's series against the catalog, in words; undefined when it can be drawn. */
export function widgetProblem(widget: Widget, infoOf: (name: string) => ShapeFacts | undefined): string | undefined {
  for (const [i, ref] of widget.series.entries()) {
    const info = infoOf(ref.observable);
    if (!info) return `${ref.observable} is not in the catalog`;
    // xy: the x series is any scalar; the kind is judged on the y series as on the others.
    const why = whyKindDoesNotFit(widget.kind === "xy" && i === 0 ? "xy" : widget.kind, info);
    if (why) return why;
    if (ref.channel >= info.channels)
      return `${ref.observable} has ${info.channels} channel(s); channel ${ref.channel} does not exist`;
  }
  return undefined;
}

/** The grid size a new widget of each kind starts with (columns of 12, rows of 70 px). */
export const DEFAULT_SIZE: Readonly<Record<WidgetKind, { w: number; h: number }>> = {
  timeseries: { w: 6, h: 4 },
  stat: { w: 3, h: 3 },
  raster: { w: 6, h: 5 },
  histogram: { w: 4, h: 4 },
  profile: { w: 4, h: 4 },
  image: { w: 4, h: 5 },
  xy: { w: 4, h: 4 },
  table: { w: 4, h: 4 },
  alarms: { w: 6, h: 4 },
};

/**
 * The smallest cell each kind is drawn in with its axes, legend and caption whole (the grid does
 * not resize a widget below it, and widens a stored one that is smaller as it places it): a
 * chart needs two rows (146 px) for a plot and its time axis; a time series three columns and
 * four rows besides for its legend and a time tick with the date, an x-y chart for its x label;
 * a raster three columns and four rows for its channels, colour bar and highlighted line.
 */
export const MIN_SIZE: Readonly<Record<WidgetKind, { w: number; h: number }>> = {
  timeseries: { w: 3, h: 4 },
  stat: { w: 2, h: 2 },
  raster: { w: 3, h: 5 },
  histogram: { w: 2, h: 3 },
  profile: { w: 2, h: 3 },
  image: { w: 2, h: 3 },
  xy: { w: 3, h: 4 },
  table: { w: 2, h: 2 },
  alarms: { w: 3, h: 2 },
};

/**
 * A list of channels as a physicist types it: "12", "0, 12, 100", "20-27", and, where the
 * observable's channels come in groups, a whole group by name ("module 12"). Refuses, in words,
 * anything outside 0..channels-1 or more than `most` channels.
 */
export function parseChannelList(
  text: string,
  channels: number,
  most = 64,
  groups?: ChannelGroups,
): { ok: true; value: number[] } | { ok: false; error: string } {
  const out: number[] = [];
  const add = (c: number) => {
    if (!out.includes(c)) out.push(c);
    return out.length <= most;
  };
  const tooMany = { ok: false as const, error: `at most ${most} channels in one widget` };
  for (const piece of text.split(",")) {
    const group = groups ? new RegExp(`^\\s*${groups.name}\\s*(\\d+)\\s*$`, "i").exec(piece) : null;
    if (groups && group) {
      const index = Number(group[1]);
      const count = groupCount(groups, channels);
      if (index >= count) return { ok: false, error: `${groups.name} ${index} does not exist (0 to ${count - 1})` };
      if (!groupChannels(groups, index, channels).every(add)) return tooMany;
      continue;
    }
    for (const part of piece.split(/\s+/).filter(Boolean)) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!match) {
        const named = groups
          ? `, a range such as 20-27 or a ${groups.name} such as "${groups.name} 12"`
          : " or a range such as 20-27";
        return { ok: false, error: `"${part}" is not a channel${named}` };
      }
      const from = Number(match[1]);
      const to = match[2] === undefined ? from : Number(match[2]);
      if (to < from) return { ok: false, error: `${part}: a range goes from low to high` };
      if (to >= channels) return { ok: false, error: `channel ${to} does not exist (0 to ${channels - 1})` };
      for (let c = from; c <= to; c++) if (!add(c)) return tooMany;
    }
  }
  return out.length ? { ok: true, value: out } : { ok: false, error: "name at least one channel" };
}

/** Series as the settings panel writes them: "camera.hv[25], trigger.rate". */
export function formatSeriesList(series: readonly { observable: string; channel: number }[]): string {
  return series.map((s) => (s.channel ? `${s.observable}[${s.channel}]` : s.observable)).join(", ");
}

export function parseSeriesList(
  text: string,
): { ok: true; value: { observable: string; channel: number }[] } | { ok: false; error: string } {
  const out: { observable: string; channel: number }[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const match = /^([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(?:\[(\d+)\])?$/.exec(part);
    if (!match) return { ok: false, error: `"${part}" is not an observable such as camera.hv or camera.hv[25]` };
    out.push({ observable: match[1]!, channel: Number(match[2] ?? 0) });
  }
  return out.length ? { ok: true, value: out } : { ok: false, error: "name at least one series" };
}
