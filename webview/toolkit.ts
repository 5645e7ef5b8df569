// The only module that touches @vscode/webview-ui-toolkit (archived upstream): the components we
// use are registered here, so moving to @vscode-elements/elements changes this file only.

import {
  provideVSCodeDesignSystem,
  vsCodeBadge,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeTextArea,
  vsCodeTextField,
} from "@vscode/webview-ui-toolkit";

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeBadge(), vsCodeButton(), vsCodeCheckbox(), vsCodeDropdown(), vsCodeOption(), vsCodeTextArea(), vsCodeTextField());
}

/** The element names, so that views never spell a toolkit tag themselves. */
export const Tag = {
  badge: "vscode-badge",
  button: "vscode-button",
  checkbox: "vscode-checkbox",
  dropdown: "vscode-dropdown",
  option: "vscode-option",
  textArea: "vscode-text-area",
  textField: "vscode-text-field",
} as const;

export type ButtonAppearance = "primary" | "secondary" | "icon";

export function button(label: string, onClick: () => void, appearance: ButtonAppearance = "secondary", title = ""): HTMLElement {
  const b = document.createElement(Tag.button);
  b.setAttribute("appearance", appearance);
  b.textContent = label;
  if (title) b.title = title;
  b.addEventListener("click", onClick);
  return b;
}

/** A one-line text input; `value` is read from the element's `value` property. */
export function textField(placeholder: string, onInput: (value: string) => void, label = placeholder): HTMLElement & { value: string } {
  const f = document.createElement(Tag.textField) as HTMLElement & { value: string };
  f.setAttribute("placeholder", placeholder);
  f.setAttribute("aria-label", label);
  f.addEventListener("input", () => onInput(f.value));
  return f;
}

export function textArea(label: string, rows: number, onInput: (value: string) => void): HTMLElement & { value: string } {
  const a = document.createElement(Tag.textArea) as HTMLElement & { value: string };
  a.setAttribute("rows", String(rows));
  a.setAttribute("aria-label", label);
  a.setAttribute("resize", "vertical");
  a.addEventListener("input", () => onInput(a.value));
  return a;
}

/** Checkboxes whose state the program is setting: the "change" event they emit is not the user's. */
const settingChecked = new WeakSet<HTMLElement>();

/** A checkbox; `onChange` runs for the user's clicks only (set its state with setChecked). */
export function checkbox(label: string, onChange: (checked: boolean) => void): HTMLElement & { checked: boolean } {
  const c = document.createElement(Tag.checkbox) as HTMLElement & { checked: boolean };
  c.textContent = label;
  c.addEventListener("change", () => {
    if (!settingChecked.has(c)) onChange(c.checked);
  });
  return c;
}

/**
 * Sets a checkbox's state from the program. The toolkit emits "change" for any change of
 * `checked`, so a plain assignment would run the user's handler (the inspector's Trace box sent
 * a trace request each time an inspection reported the state).
 */
export function setChecked(c: HTMLElement & { checked: boolean }, checked: boolean): void {
  if (c.checked === checked) return;
  settingChecked.add(c);
  try {
    c.checked = checked;
  } finally {
    settingChecked.delete(c);
  }
}

/**
 * Resolves once the toolkit has drawn the states set before the call. Its components reflect a
 * property (a checkbox's `checked` as `aria-checked` and its tick) in the next animation frame, in a
 * callback queued when the property was set, so a frame callback asked for later runs after it. A
 * status that reports an outcome waits for this, so that it never appears beside the old state.
 */
export function drawn(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

export function dropdown(label: string, options: readonly { value: string; text: string }[], onChange: (value: string) => void): HTMLElement & { value: string } {
  const d = document.createElement(Tag.dropdown) as HTMLElement & { value: string };
  d.setAttribute("aria-label", label);
  for (const o of options) d.append(option(o.value, o.text));
  d.addEventListener("change", () => onChange(d.value));
  return d;
}

/** One choice of a dropdown. */
export function option(value: string, text: string): HTMLElement {
  const opt = document.createElement(Tag.option);
  opt.setAttribute("value", value);
  opt.textContent = text;
  return opt;
}

export function badge(text: string, title = ""): HTMLElement {
  const b = document.createElement(Tag.badge);
  b.textContent = text;
  if (title) b.title = title;
  return b;
}
