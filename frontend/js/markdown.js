// Model output -> safe DOM. Raw HTML in the output is shown as text (never parsed), and the
// HTML produced from the Markdown is sanitised by DOMPurify before it reaches the page.
import { Marked } from "../vendor/marked.esm.js";
import DOMPurify from "../vendor/purify.es.mjs";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

const markdown = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    html: (token) => escapeHtml(token.text),
  },
});

const PURIFY_OPTIONS = {
  USE_PROFILE: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "img", "video", "audio", "iframe"],
  FORBID_ATTR: ["style", "class", "id"],
  RETURN_DOM_FRAGMENT: true,
};

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

export function renderMarkdown(text) {
  return DOMPurify.sanitize(markdown.parse(text), PURIFY_OPTIONS);
}

const MARKER = /\[(\d{1,2})\]/g;
const SKIP = new Set(["CODE", "PRE", "A", "BUTTON"]);

// Turn "[n]" in text into buttons for the citations that exist.
export function linkCitations(root, numbers, onOpen) {
  if (!numbers.size) return;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let parent = node.parentNode; parent && parent !== root; parent = parent.parentNode) {
        if (SKIP.has(parent.nodeName)) return NodeFilter.FILTER_REJECT;
      }
      MARKER.lastIndex = 0;
      return MARKER.test(node.data) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
    },
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const pieces = [];
    let last = 0;
    for (const match of node.data.matchAll(MARKER)) {
      const n = Number(match[1]);
      if (!numbers.has(n)) continue;
      pieces.push(node.data.slice(last, match.index), citeButton(n, onOpen));
      last = match.index + match[0].length;
    }
    if (!pieces.length) continue;
    pieces.push(node.data.slice(last));
    node.replaceWith(...pieces.filter((piece) => piece !== ""));
  }
}

export function citeButton(n, onOpen) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "cite";
  button.textContent = String(n);
  button.setAttribute("aria-label", `Open source ${n}`);
  button.addEventListener("click", () => onOpen(n));
  return button;
}
