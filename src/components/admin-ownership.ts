// The admin page's "Who owns what": every source with the runs and observables it owns (a
// source owns what it created first), and a form that gives a run or an observable to another
// source, for when one took another's names first. POST /api/admin/ownership does the change.
import { describeRunIds } from "../core/time-window.js";
import { adminWrite, fetchOwnership, type Ownership } from "./api.js";
import { el, labelled } from "./dom.js";

const NO_SOURCE = "(no source)";

/** Each owner with its runs (in words) and observables, owners in name order. */
export function ownersOf(ownership: Ownership): { owner: string; runs: string; observables: string[] }[] {
  const byOwner = new Map<string, { runs: number[]; observables: string[] }>();
  const entry = (owner: string | null) => {
    const key = owner ?? NO_SOURCE;
    return byOwner.get(key) ?? byOwner.set(key, { runs: [], observables: [] }).get(key)!;
  };
  for (const r of ownership.runs) entry(r.owner).runs.push(r.id);
  for (const o of ownership.observables) entry(o.owner).observables.push(o.name);
  return [...byOwner]
    .sort(([a], [b]) => (a === NO_SOURCE ? 1 : b === NO_SOURCE ? -1 : a < b ? -1 : 1))
    .map(([owner, { runs, observables }]) => ({ owner, runs: runs.length ? describeRunIds(runs) : "", observables }));
}

/** The section, drawn again after each change through `act` (the page's status line says how it went). */
export async function drawOwnership(
  section: HTMLElement,
  act: (done: string, failed: string, work: () => Promise<unknown>) => Promise<void>,
): Promise<void> {
  const owners = ownersOf(await fetchOwnership());
  const table = el("table", { className: "admin-table" });
  table.setAttribute("aria-label", "Who owns what");
  table.append(el("thead", {}, el("tr", {}, el("th", {}, "Source"), el("th", {}, "Runs"), el("th", {}, "Observables"))));
  table.append(
    el(
      "tbody",
      {},
      ...owners.map((o) => el("tr", {}, el("td", {}, o.owner), el("td", {}, o.runs), el("td", {}, o.observables.join(", ")))),
    ),
  );
  const what = el("select");
  for (const [value, text] of [
    ["observable", "observable"],
    ["run", "run"],
  ])
    what.append(el("option", { value, textContent: text }));
  const name = el("input", { type: "text", required: true, maxLength: 200, placeholder: "halle.temp or 77" });
  const owner = el("input", { type: "text", maxLength: 64, placeholder: "daq-hall-e (empty: no source)" });
  const form = el(
    "form",
    { className: "admin-form" },
    labelled("Give the", what),
    labelled("Name or run", name),
    labelled("To source", owner),
    el("button", { type: "submit", textContent: "Reassign" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const to = owner.value.trim() || null;
    const change =
      what.value === "run"
        ? { runs: [{ id: Number(name.value.trim()), owner: to }] }
        : { observables: [{ name: name.value.trim(), owner: to }] };
    const which = `${what.value} ${name.value.trim()}`;
    void act(`Gave ${which} to ${to ?? "no source"}`, `Could not give ${which} to ${to ?? "no source"}`, () =>
      adminWrite("POST", "/api/admin/ownership", change),
    );
  });
  section.replaceChildren(
    el("h2", {}, "Who owns what"),
    el(
      "p",
      {},
      "A source owns the runs and observables it created first. Give one back here if another source took it first; " +
        "a token with name prefixes in the tokens file cannot take another's names at all.",
    ),
    owners.length ? table : el("p", {}, "Nothing is owned by a source yet."),
    form,
  );
}
