// The message list: user turns, answers (streaming or stored), their sources and metrics.
import { h, icon, iconButton, toast } from "./dom.js";
import * as format from "./format.js";
import { linkCitations, renderMarkdown } from "./markdown.js";
import { blockedNote } from "./verdicts.js";

export class MessageList {
  constructor(container, emptyState, { onCite, onRetry }) {
    this.container = container;
    this.emptyState = emptyState;
    this.onCite = onCite;
    this.onRetry = onRetry;
  }

  clear() {
    this.container.replaceChildren(this.emptyState);
    this.emptyState.hidden = false;
  }

  showConversation(messages) {
    this.container.replaceChildren();
    let question = "";
    for (const message of messages) {
      if (message.role === "user") {
        question = message.content;
        this.addUser(message.content);
      } else {
        const view = new AnswerView(this, question, message.model);
        view.render(message.content);
        view.finish(message);
      }
    }
    this.scrollToEnd("instant");
  }

  addUser(text) {
    this.emptyState.hidden = true;
    if (this.emptyState.isConnected) this.emptyState.remove();
    this.container.append(h("article", { class: "message user" }, h("div", { class: "content" }, text)));
    this.scrollToEnd();
  }

  startAnswer(question, model) {
    const view = new AnswerView(this, question, model);
    view.element.dataset.state = "streaming";
    this.scrollToEnd();
    return view;
  }

  scrollToEnd(behavior = "smooth") {
    this.container.scrollTo({ top: this.container.scrollHeight, behavior });
  }

  isNearEnd() {
    const { scrollTop, scrollHeight, clientHeight } = this.container;
    return scrollHeight - scrollTop - clientHeight < 120;
  }
}

class AnswerView {
  constructor(list, question, model) {
    this.list = list;
    this.question = question;
    this.text = "";
    this.frame = 0;
    this.citations = new Map();
    this.content = h("div", { class: "content" });
    this.foot = h("div", { class: "message-foot" });
    this.element = h("article", { class: "message assistant", "aria-busy": "true" },
      h("div", { class: "assistant-head" }, h("span", { class: "assistant-avatar", "aria-hidden": "true" }),
        h("span", { class: "assistant-model" }, model ?? "Assistant")),
      this.content, this.foot);
    list.container.append(this.element);
  }

  append(delta) {
    this.text += delta;
    // One render per animation frame, however fast deltas arrive.
    if (!this.frame) this.frame = requestAnimationFrame(() => this.#renderNow());
  }

  render(text) {
    this.text = text;
    this.#renderNow();
  }

  #renderNow() {
    this.frame = 0;
    const follow = this.list.isNearEnd();
    this.content.replaceChildren(renderMarkdown(this.text));
    linkCitations(this.content, new Set(this.citations.keys()), (n) => this.list.onCite(this.citations.get(n)));
    if (follow) this.list.scrollToEnd("instant");
  }

  finish(result) {
    cancelAnimationFrame(this.frame);
    this.citations = new Map((result.citations ?? []).map((c) => [c.n, c]));
    this.element.querySelector(".assistant-model").textContent = result.model ?? "";
    this.render(result.answer ?? result.content ?? this.text);
    this.element.dataset.state = result.complete === false ? "incomplete" : "done";
    this.element.removeAttribute("aria-busy");
    if (result.blocked) {
      this.element.dataset.blocked = "true";
      this.content.before(blockedNote(result.reason));
    }
    if (this.citations.size) this.element.insertBefore(this.#sources(), this.foot);
    this.foot.replaceChildren(this.#actions(), this.#metrics(result));
    if (result.complete === false) this.foot.append(h("span", { class: "flag" }, "Incomplete answer"));
  }

  stopped() {
    this.finish({ answer: this.text, complete: false, model: this.element.querySelector(".assistant-model").textContent });
  }

  fail(error) {
    cancelAnimationFrame(this.frame);
    if (this.text) this.render(this.text);
    this.element.dataset.state = "error";
    this.element.removeAttribute("aria-busy");
    const retry = h("button", { type: "button", onclick: () => this.list.onRetry(this.question) }, "Retry");
    const limited = error.code === "rate_limited";
    const box = h("div", { class: "error-box", role: "alert" },
      h("span", {}, limited ? h("strong", {}, "Usage limit reached. ") : null, error.message ?? "Something went wrong."),
      retry);
    this.foot.replaceChildren(box);
    if (limited && error.retry_after_seconds > 0) holdUntilAllowed(retry, error.retry_after_seconds);
    if (this.text) this.foot.append(h("span", { class: "flag" }, "Incomplete answer"));
  }

  #sources() {
    const sources = [...this.citations.values()].map((citation) => {
      const chip = h("button", { class: "source", type: "button", title: citation.title,
        onclick: () => this.list.onCite(citation) });
      chip.append(h("span", { class: "cite", "aria-hidden": "true" }, String(citation.n)),
        h("span", { class: "source-title" }, citation.title));
      return chip;
    });
    return h("div", { class: "sources", "aria-label": "Sources" }, sources);
  }

  #actions() {
    const copy = iconButton("copy", "Copy answer", async () => {
      try {
        await navigator.clipboard.writeText(this.text);
        copy.replaceChildren(icon("check"));
        setTimeout(() => copy.replaceChildren(icon("copy")), 1500);
      } catch {
        toast("Copying needs clipboard permission.", { error: true });
      }
    });
    const retry = iconButton("retry", "Ask again", () => this.list.onRetry(this.question));
    return h("span", { class: "actions" }, copy, retry);
  }

  #metrics(result) {
    const items = [
      ["Tokens", format.tokens(result.usage)],
      ["Cost", format.cost(result.cost_usd)],
      ["Time", format.latency(result.latency_ms)],
    ].filter(([, value]) => value);
    return h("span", { class: "metrics" },
      items.map(([label, value]) => h("span", { class: "metric", title: label }, h("strong", {}, `${label} `), value)));
  }
}

// Keeps Retry disabled, counting down, until the service will accept the question again.
function holdUntilAllowed(button, seconds) {
  const allowedAt = Date.now() + seconds * 1000;
  const tick = () => {
    const left = (allowedAt - Date.now()) / 1000;
    if (left > 0 && button.isConnected) {
      button.disabled = true;
      button.textContent = `Retry in ${format.wait(left)}`;
      setTimeout(tick, (left % 1 || 1) * 1000); // next whole second
    } else {
      button.disabled = false;
      button.textContent = "Retry";
    }
  };
  tick();
}
