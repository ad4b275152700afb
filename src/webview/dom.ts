// Building DOM nodes from untrusted text: every string becomes a text node (never HTML), and
// ATL's formatted text (RichText) becomes text nodes and <code> elements. Nothing here parses HTML
// or Markdown.
import { toRichText, type RichText } from "../shared/richText";

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Attributes set with setAttribute (values are text, never markup). */
  attrs?: Record<string, string | undefined>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) {
    element.className = props.class;
  }
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value !== undefined) {
      element.setAttribute(name, value);
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

export function button(label: string, onClick: () => void, props: Props = {}): HTMLButtonElement {
  const element = h("button", { ...props, attrs: { type: "button", ...props.attrs } }, label);
  element.addEventListener("click", onClick);
  return element;
}

export function clear(element: Element): void {
  while (element.firstChild) {
    element.removeChild(element.firstChild);
  }
}

/**
 * RichText as nodes: plain runs as text nodes, code runs as <code> (a code run of several lines,
 * a fenced block the LLM wrote, as <pre><code>). Nothing in either is parsed. A string (a thread
 * saved by an older version) is read as its Markdown once, like any other.
 */
export function richNodes(text: RichText | string): Node[] {
  return toRichText(text).map((span) => {
    if (typeof span === "string") {
      return document.createTextNode(span);
    }
    return span.code.includes("\n") ? h("pre", { class: "code-block" }, h("code", {}, span.code)) : h("code", {}, span.code);
  });
}
