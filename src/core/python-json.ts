// JSON as Python's json.dumps writes it: NaN, Infinity and -Infinity appear as bare words, which
// JSON.parse refuses. A detector that read nothing sends NaN; bluesky documents go through
// here so such a value arrives as the number it is (and is then left out, and said so) rather
// than the whole request failing as "not JSON".

const WORDS: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};
/** A key no real document has (it starts with NUL), standing in for a non-finite number while parsing. */
const MARKER = "\u0000nonfinite";

/** Parses JSON text, taking bare NaN, Infinity and -Infinity (outside strings) as those numbers. */
export function parseJsonAllowingNonFinite(text: string): unknown {
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c !== "N" && c !== "I" && c !== "-") continue;
    const word = ["-Infinity", "Infinity", "NaN"].find((w) => text.startsWith(w, i));
    if (!word || /[A-Za-z0-9_]/.test(text[i + word.length] ?? "")) continue;
    // The marker's NUL is written escaped: JSON text may not hold it raw.
    out += `${text.slice(from, i)}{"\\u0000nonfinite":"${word}"}`;
    i += word.length - 1;
    from = i + 1;
  }
  const source = from === 0 ? text : out + text.slice(from);
  return JSON.parse(source, (_key, value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const word = (value as Record<string, unknown>)[MARKER];
      if (typeof word === "string" && Object.keys(value).length === 1) return WORDS[word];
    }
    return value;
  });
}
