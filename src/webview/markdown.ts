// LLM text (summaries, findings, answers) as Markdown: markdown-it with raw HTML off, then DOMPurify
// with a short allow-list. The model's text derives from attacker-controlled alarm text and command
// output, so nothing it writes may become script, style, a form or a remote fetch.
import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

const ALLOWED_TAGS = [
  "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote",
  "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "hr", "del", "s",
];

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("rel", "noopener noreferrer");
  }
});

function sanitize(html: string): DocumentFragment {
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title", "rel"],
    ALLOWED_URI_REGEXP: /^https?:\/\//i,
    RETURN_DOM_FRAGMENT: true,
  });
}

/** Block Markdown (paragraphs, lists, code) as sanitized DOM. */
export function markdownBlock(text: string): DocumentFragment {
  return sanitize(md.render(text));
}

/** One line of inline Markdown (a list item, a title) as sanitized DOM. */
export function markdownInline(text: string): DocumentFragment {
  return sanitize(md.renderInline(text));
}
