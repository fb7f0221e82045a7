// The one naming rule: how a column, a collection, a value in a name column or a bluesky data
// key becomes an observable name (a dotted identifier such as `calib.HV_Mean`). Every source
// uses it, so the same input gives the same name whatever the database. Two inputs that the
// rule maps to one name are both refused, naming each other: merging them would drop half of
// their readings as duplicates, and numbering them (_2) would invent a name nobody chose.
import { observableName } from "./catalog.js";

/** The observable name for `raw` under `prefix`, or undefined when nothing of it is usable. */
export function observableNameFor(raw: string, prefix = ""): string | undefined {
  const cleaned = raw
    .trim()
    .replace(/[^A-Za-z0-9_.]+/g, "_")
    .split(".")
    .filter((part) => part !== "")
    .join(".");
  if (cleaned === "") return undefined;
  let name = prefix + cleaned;
  if (!/^[A-Za-z]/.test(name)) name = `x_${name}`;
  name = name.slice(0, 128).replace(/\.+$/, "");
  return observableName.safeParse(name).success ? name : undefined;
}

export interface NameRefusal {
  name: string;
  /** The inputs that collided, or the one that gave no usable name. */
  raws: string[];
  message: string;
}

/** Names for many inputs at once: those that collide, or give no name, are refused instead. */
export function assignNames(
  raws: Iterable<string>,
  prefix = "",
  what = "names",
): { names: Map<string, string>; refused: NameRefusal[] } {
  const byName = new Map<string, string[]>();
  const refused: NameRefusal[] = [];
  for (const raw of new Set(raws)) {
    const name = observableNameFor(raw, prefix);
    if (name === undefined) {
      refused.push({
        name: raw,
        raws: [raw],
        message: `${JSON.stringify(raw)} gives no observable name (no letter or digit in it)`,
      });
      continue;
    }
    (byName.get(name) ?? byName.set(name, []).get(name)!).push(raw);
  }
  const names = new Map<string, string>();
  for (const [name, from] of byName) {
    if (from.length === 1) {
      names.set(from[0]!, name);
      continue;
    }
    const listed = from
      .sort()
      .map((r) => JSON.stringify(r))
      .join(" and ");
    refused.push({
      name,
      raws: from,
      message: `${what} ${listed} both become the observable ${name}; both are left out: rename one in the source, or exclude one`,
    });
  }
  return { names, refused };
}
