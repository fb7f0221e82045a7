// Small DOM helpers shared by the editor's parts. Content is built from data, never from HTML strings.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node: HTMLElementTagNameMap[K] = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** A control with its visible label (which is also its accessible name). */
export function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return el("label", { className: "field" }, el("span", {}, text), control);
}

/**
 * Marks things dirty and handles them together once per animation frame: live readings arrive
 * many times a second, a widget is redrawn at most once a frame.
 */
export function frameScheduler(handle: (name: string) => void): (names: Iterable<string>) => void {
  let dirty = new Set<string>();
  let frame = 0;
  return (names) => {
    for (const n of names) dirty.add(n);
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const todo = dirty;
      dirty = new Set();
      for (const name of todo) handle(name);
    });
  };
}
