// Small DOM builders: the views build their elements once and then only change text and attributes.

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> | string = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (typeof attrs === "string") el.className = attrs;
  else for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Sets text only when it changed: writing the same text still costs a layout in some engines. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** A labelled number with an explanation as its tooltip; returns the element whose text changes. */
export function stat(parent: HTMLElement, label: string, tooltip: string, testId: string): HTMLElement {
  const value = h("span", { class: "stat-value", "data-testid": testId });
  const box = h("div", { class: "stat", title: tooltip, tabindex: "0", role: "group", "aria-label": `${label}: ${tooltip}` }, h("span", "stat-label", label), value);
  parent.append(box);
  return value;
}
