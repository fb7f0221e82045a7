// The editor's "Add a widget" form: an observable from the catalog, a widget kind among those
// that fit its shape (the others listed with the reason, in visible text), a title and, for
// per-channel observables, the channels ("0, 12, 100" or "20-27").
import type { ObservableInfo } from "../core/catalog.js";
import { type Widget, type WidgetKind, widgetSchema } from "../core/dashboard.js";
import { describeErrors, fieldErrors } from "../core/validation.js";
import { defaultKind, kindChoices, parseChannelList } from "../core/widget-kinds.js";
import { el, labelled } from "./dom.js";

function observableOption(o: ObservableInfo & { origin?: string }) {
  const detail = o.shape === "scalar" ? (o.channels > 1 ? `${o.channels} channels` : "scalar") : o.shape;
  const from = o.origin === "source" ? ", from the source" : "";
  const text = o.description ? `${o.name} — ${o.description} (${detail}${from})` : `${o.name} (${detail}${from})`;
  return el("option", { value: o.name, textContent: text });
}

/** What the channel field means for each kind. */
const CHANNEL_LABEL: Partial<Record<WidgetKind, string>> = { raster: "Highlight channel", stat: "Channel" };

export function addWidgetForm(catalog: readonly (ObservableInfo & { origin?: string })[], onAdd: (widget: Widget) => void) {
  const infoByName = new Map(catalog.map((o) => [o.name, o]));
  const observableSelect = el("select", { name: "observable" });
  for (const o of catalog) observableSelect.append(observableOption(o));
  const kindSelect = el("select", { name: "kind" });
  const widgetTitle = el("input", { type: "text", name: "title", maxLength: 120, placeholder: "e.g. Trigger rate" });
  const channelInput = el("input", { type: "text", name: "channels", value: "0", size: 10, placeholder: "0, 12 or 20-27" });
  const channelLabel = el("span", { textContent: "Channels" });
  const channelField = el("label", { className: "field" }, channelLabel, channelInput);
  const xSelect = el("select", { name: "x" });
  for (const o of catalog.filter((c) => c.shape === "scalar")) xSelect.append(observableOption(o));
  const xChannel = el("input", { type: "number", name: "xChannel", min: "0", value: "0", step: "1" });
  const xFields = el("span", { className: "xy-fields" }, labelled("Against (x axis)", xSelect), labelled("X channel", xChannel));
  const addButton = el("button", { type: "submit", textContent: "Add widget" });
  const problem = el("p", { className: "add-problem", role: "alert" });
  const notOffered = el("ul", { className: "kind-reasons" });
  const notOfferedBox = el("div", { className: "kind-reasons-box" }, el("span", {}, "Not offered:"), notOffered);
  const form = el(
    "form",
    { className: "add-widget", noValidate: true },
    el("strong", {}, "Add a widget"),
    labelled("Observable", observableSelect),
    labelled("Chart type", kindSelect),
    labelled("Widget title", widgetTitle),
    channelField,
    xFields,
    addButton,
    problem,
    notOfferedBox,
  );

  const fields = { kindSelect, notOffered, notOfferedBox, channelField, channelLabel, channelInput, xFields, problem };
  const update = (keepKind: boolean) => {
    const info = infoByName.get(observableSelect.value);
    if (info) offerKinds(info, keepKind, fields);
  };
  observableSelect.addEventListener("change", () => update(true));
  kindSelect.addEventListener("change", () => update(true));
  update(false);

  const build = (): { widget?: Widget; error?: string } => {
    const info = infoByName.get(observableSelect.value);
    if (!info) return { error: "choose an observable" };
    const kind = kindSelect.value as WidgetKind;
    let channels = [0];
    if (!channelField.hidden) {
      const parsed = parseChannelList(channelInput.value, info.channels, kind === "table" ? 64 : 16, info.groups);
      if (!parsed.ok) return { error: `Channels: ${parsed.error}` };
      channels = parsed.value;
    }
    const title = widgetTitle.value.trim() || info.name;
    const x = { info: infoByName.get(xSelect.value), name: xSelect.value, channel: Math.trunc(Number(xChannel.value) || 0) };
    const candidate = widgetCandidate(kind, title, info, channels, x);
    if (typeof candidate === "string") return { error: candidate };
    const checked = widgetSchema.safeParse(candidate);
    return checked.success ? { widget: checked.data } : { error: describeErrors(fieldErrors(checked.error)) };
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { widget, error } = build();
    if (!widget) {
      problem.textContent = `Cannot add: ${error}`;
      return;
    }
    problem.textContent = "";
    onAdd(widget);
    widgetTitle.value = "";
  });
  return form;
}

/** The widget the form describes, before the schema checks it; or what is wrong with it (a string). */
function widgetCandidate(
  kind: WidgetKind,
  title: string,
  info: ObservableInfo,
  channels: number[],
  x: { info: ObservableInfo | undefined; name: string; channel: number },
): Record<string, unknown> | string {
  const one = [{ observable: info.name, channel: channels[0]! }];
  switch (kind) {
    case "timeseries":
    case "table":
      return { kind, title, series: channels.map((channel) => ({ observable: info.name, channel })) };
    case "stat":
      if (channels.length > 1) return "Channel: a single number shows one channel";
      return { kind, title, series: one };
    case "raster":
      return { kind, title, series: [{ observable: info.name, channel: 0 }], highlight: channels[0] };
    case "xy":
      if (!x.info || x.channel < 0 || x.channel >= x.info.channels)
        return `X channel: ${x.name} has channels 0 to ${(x.info?.channels ?? 1) - 1}`;
      return { kind, title, series: [{ observable: x.info.name, channel: x.channel }, one[0]] };
    default:
      return { kind, title, series: [{ observable: info.name, channel: 0 }] };
  }
}

/** The kinds that fit the observable (the others listed with why), and the fields the chosen kind needs. */
function offerKinds(
  info: ObservableInfo,
  keepKind: boolean,
  f: {
    kindSelect: HTMLSelectElement;
    notOffered: HTMLElement;
    notOfferedBox: HTMLElement;
    channelField: HTMLElement;
    channelLabel: HTMLElement;
    channelInput: HTMLInputElement;
    xFields: HTMLElement;
    problem: HTMLElement;
  },
): void {
  const choices = kindChoices(info);
  const previous = f.kindSelect.value as WidgetKind;
  f.kindSelect.replaceChildren(
    ...choices.map((c) =>
      el("option", { value: c.kind, textContent: c.why ? `${c.label} (does not fit)` : c.label, disabled: !!c.why }),
    ),
  );
  const fits = (k: WidgetKind) => !choices.find((c) => c.kind === k)?.why;
  f.kindSelect.value = keepKind && fits(previous) ? previous : defaultKind(info);
  f.notOffered.replaceChildren(...choices.filter((c) => c.why).map((c) => el("li", {}, `${c.label}: ${c.why}`)));
  f.notOfferedBox.hidden = f.notOffered.childElementCount === 0;
  const kind = f.kindSelect.value as WidgetKind;
  // Kinds that draw every channel (histogram) or an array have no channel to choose.
  f.channelField.hidden = info.channels <= 1 || kind === "histogram";
  f.channelLabel.textContent = CHANNEL_LABEL[kind] ?? "Channels";
  // Where the channels come in groups (modules), a whole one can be named.
  f.channelInput.placeholder = info.groups ? `0, 20-27 or ${info.groups.name} 12` : "0, 12 or 20-27";
  f.xFields.hidden = kind !== "xy";
  f.problem.textContent = "";
}
