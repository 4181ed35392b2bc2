// Entry point: wires the runtime config, sign-in, the API, the stream and the views together.
import { AdminView } from "./admin.js";
import { Api } from "./api.js";
import { createAuth } from "./auth.js";
import { CitationDialog } from "./citations.js";
import { DocumentsPanel } from "./documents.js";
import { h, toast } from "./dom.js";
import * as format from "./format.js";
import { MessageList } from "./messages.js";
import { ConversationSidebar } from "./sidebar.js";
import { StreamClient } from "./stream.js";
import { initTheme } from "./theme.js";
import { UsagePanel } from "./usage.js";

const $ = (id) => document.getElementById(id);
const SUGGESTIONS = [
  "What is Amazon Bedrock and when would I use it?",
  "How is the cost of a model call calculated?",
  "What is retrieval-augmented generation?",
  "Explain the difference between tokens and words.",
];

class ChatApp {
  constructor(api, stream, auth) {
    this.api = api;
    this.stream = stream;
    this.auth = auth;
    this.conversationId = null;
    this.active = null;
    this.models = [];
    this.prompt = $("prompt");
    this.documents = new DocumentsPanel({
      list: $("document-list"), empty: $("documents-empty"), count: $("documents-count"),
      input: $("file-input"), dropzone: $("dropzone"), indexing: $("indexing-note"),
    }, api);
    this.usage = new UsagePanel({
      figures: $("usage-figures"), today: $("usage-today"), month: $("usage-month"),
      budget: $("budget"), remaining: $("budget-remaining"), meter: $("budget-meter"), resets: $("budget-resets"),
    }, api);
    this.admin = new AdminView($("open-admin"), $("admin-dialog"), api);
    this.citations = new CitationDialog($("citation-dialog"), (id) => this.documents.byId(id));
    this.messages = new MessageList($("messages"), $("empty-state"), {
      onCite: (citation) => this.citations.open(citation),
      onRetry: (question) => this.send(question),
    });
    this.sidebar = new ConversationSidebar($("conversation-list"), $("conversations-empty"), {
      onOpen: (id) => this.open(id),
      onRename: (conversation, title) => this.rename(conversation, title),
      onDelete: (conversation) => this.remove(conversation),
    });
  }

  async start() {
    this.#bindControls();
    this.#showUser();
    this.#showSuggestions();
    await Promise.all([
      this.#loadServiceInfo(), this.refreshConversations(), this.documents.refresh(), this.usage.refresh(),
      this.admin.start(),
    ]);
    const fromUrl = decodeURIComponent(location.hash.replace(/^#\/c\//, ""));
    if (fromUrl && location.hash.startsWith("#/c/")) await this.open(fromUrl);
    this.prompt.focus();
  }

  async send(text) {
    const message = text.trim();
    if (!message || this.active) return;
    this.prompt.value = "";
    this.#autosize();
    this.messages.addUser(message);
    const model = $("model-select").value || undefined;
    const view = this.messages.startAnswer(message, this.#modelName(model));
    this.#setBusy(true);
    const settle = () => {
      this.active = null;
      this.#setBusy(false);
      this.refreshConversations();
      this.usage.refresh();
    };
    try {
      this.active = await this.stream.send(
        { message, conversation_id: this.conversationId ?? undefined, model },
        {
          onDelta: (delta) => view.append(delta),
          onDone: (result) => {
            view.finish(result);
            this.#setConversation(result.conversation_id);
            settle();
          },
          onError: (error) => { view.fail(error); settle(); },
          onStopped: () => { view.stopped(); settle(); },
        },
      );
    } catch (error) {
      view.fail(error);
      settle();
    }
  }

  async open(id) {
    if (this.active) this.active.stop();
    try {
      const { conversation, messages } = await this.api.conversation(id);
      this.#setConversation(conversation.id, conversation.title);
      this.messages.showConversation(messages);
    } catch (error) {
      toast(error.status === 404 ? "That conversation no longer exists." : error.message, { error: true });
      this.newChat();
    }
    this.#closeSidebar();
  }

  newChat() {
    if (this.active) this.active.stop();
    this.#setConversation(null);
    this.messages.clear();
    this.#closeSidebar();
    this.prompt.focus();
  }

  async rename(conversation, title) {
    try {
      await this.api.rename(conversation.id, title);
      if (conversation.id === this.conversationId) $("chat-title").textContent = title;
    } catch (error) {
      toast(error.message, { error: true });
    }
    await this.refreshConversations();
  }

  async remove(conversation) {
    if (!confirm(`Delete “${conversation.title}”? This cannot be undone.`)) return;
    try {
      await this.api.deleteConversation(conversation.id);
      if (conversation.id === this.conversationId) this.newChat();
    } catch (error) {
      toast(error.message, { error: true });
    }
    await this.refreshConversations();
  }

  async refreshConversations() {
    try {
      const { conversations } = await this.api.conversations();
      this.sidebar.show(conversations, this.conversationId);
      const current = conversations.find((c) => c.id === this.conversationId);
      if (current) $("chat-title").textContent = current.title;
    } catch (error) {
      toast(`Conversations: ${error.message}`, { error: true });
    }
  }

  #setConversation(id, title) {
    this.conversationId = id;
    $("chat-title").textContent = title ?? (id ? $("chat-title").textContent : "New chat");
    history.replaceState(null, "", id ? `#/c/${encodeURIComponent(id)}` : location.pathname + location.search);
    this.sidebar.select(id);
  }

  #setBusy(busy) {
    $("send").hidden = busy;
    $("stop").hidden = !busy;
    $("composer").setAttribute("aria-busy", String(busy));
  }

  async #loadServiceInfo() {
    try {
      const [health, catalog] = await Promise.all([this.api.health(), this.api.models()]);
      if (health.provider === "extractive") {
        const badge = $("mode-badge");
        badge.textContent = "Extractive answers · no model configured";
        badge.title = "Answers quote the best matching passages. Set LLM_BASE_URL or LLM_PROVIDER=bedrock for generated answers.";
        badge.hidden = false;
      }
      this.models = catalog.models;
      $("model-select").replaceChildren(...catalog.models.map((model) => h("option", {
        value: model.id, selected: model.id === catalog.default_model,
      }, `${model.display_name} · ${format.pricePer1k(model)}`)));
    } catch (error) {
      toast(`Service: ${error.message}`, { error: true });
    }
  }

  #modelName(id) {
    return this.models.find((m) => m.id === id)?.display_name ?? id;
  }

  #showUser() {
    const user = this.auth.user;
    const initials = user.name.replace(/[^A-Za-z0-9]/g, "").slice(0, 2).toUpperCase() || "?";
    $("user-badge").replaceChildren(
      h("span", { class: "user-avatar", "aria-hidden": "true" }, initials),
      h("span", { class: "user-text" }, h("strong", {}, user.name), h("small", {}, user.detail),
        this.auth.canSignOut ? h("button", { class: "link-button", type: "button", onclick: () => this.auth.signOut() }, "Sign out") : null));
  }

  #showSuggestions() {
    $("suggestions").replaceChildren(...SUGGESTIONS.map((text) =>
      h("button", { class: "suggestion", type: "button", onclick: () => this.send(text) }, text)));
  }

  #bindControls() {
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.send(this.prompt.value);
    });
    this.prompt.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send(this.prompt.value);
      }
    });
    this.prompt.addEventListener("input", () => this.#autosize());
    $("stop").addEventListener("click", () => this.active?.stop());
    $("new-chat").addEventListener("click", () => this.newChat());
    $("open-sidebar").addEventListener("click", () => this.#openSidebar());
    $("close-sidebar").addEventListener("click", () => this.#closeSidebar());
    $("scrim").addEventListener("click", () => { this.#closeSidebar(); this.#toggleDocuments(false); });
    $("open-documents").addEventListener("click", () => this.#toggleDocuments());
    $("close-documents").addEventListener("click", () => this.#toggleDocuments(false));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { this.#closeSidebar(); this.#toggleDocuments(false); }
    });
  }

  #autosize() {
    this.prompt.style.height = "auto";
    this.prompt.style.height = `${this.prompt.scrollHeight}px`;
  }

  #openSidebar() {
    $("app").dataset.sidebar = "open";
    $("scrim").hidden = false;
  }

  #closeSidebar() {
    $("app").dataset.sidebar = "closed";
    $("scrim").hidden = $("documents").hidden || window.innerWidth > 1100;
  }

  #toggleDocuments(show = $("documents").hidden) {
    $("documents").hidden = !show;
    $("open-documents").setAttribute("aria-expanded", String(show));
    $("scrim").hidden = !(show && window.innerWidth <= 1100) && $("app").dataset.sidebar !== "open";
    if (show) this.documents.refresh();
  }
}

async function main() {
  initTheme($("theme-toggle"));
  let config;
  try {
    config = await fetch("config.json").then((response) => response.json());
  } catch {
    toast("The runtime configuration (config.json) could not be loaded.", { error: true });
    return;
  }
  let auth;
  try {
    auth = createAuth(config, $("sign-in"));
    await auth.ready();
  } catch (error) {
    toast(error.message, { error: true });
    return;
  }
  const api = new Api(config.apiUrl, auth);
  await new ChatApp(api, new StreamClient(config.webSocketUrl, auth), auth).start();
}

main();
