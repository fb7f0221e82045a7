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
