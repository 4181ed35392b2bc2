// The conversation list: open, rename (inline), delete.
import { h, iconButton } from "./dom.js";

export class ConversationSidebar {
  constructor(list, emptyNote, { onOpen, onRename, onDelete }) {
    this.list = list;
    this.emptyNote = emptyNote;
    this.handlers = { onOpen, onRename, onDelete };
    this.conversations = [];
    this.currentId = null;
  }

  show(conversations, currentId) {
    this.conversations = conversations;
    this.currentId = currentId;
    this.emptyNote.hidden = conversations.length > 0;
    this.list.replaceChildren(...conversations.map((c) => this.#item(c)));
  }

  select(currentId) {
    this.show(this.conversations, currentId);
  }

  #item(conversation) {
    const current = conversation.id === this.currentId;
    const open = h("button", { class: "conversation-open", type: "button", title: conversation.title,
      "aria-current": current ? "page" : null, onclick: () => this.handlers.onOpen(conversation.id) }, conversation.title);
    const item = h("li", { class: "conversation", "data-id": conversation.id, "aria-current": current ? "true" : null },
      open,
      h("span", { class: "conversation-actions" },
        iconButton("pencil", `Rename “${conversation.title}”`, () => this.#startRename(item, conversation)),
        iconButton("trash", `Delete “${conversation.title}”`, () => this.handlers.onDelete(conversation))));
    return item;
  }

  #startRename(item, conversation) {
    const input = h("input", { class: "conversation-rename", value: conversation.title, maxlength: 200,
      "aria-label": "New conversation title" });
    let done = false;
    const finish = (save) => {
      if (done) return;
      done = true;
      const title = input.value.trim();
      if (save && title && title !== conversation.title) this.handlers.onRename(conversation, title);
      else this.show(this.conversations, this.currentId);
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); finish(true); }
      if (event.key === "Escape") { event.preventDefault(); finish(false); }
    });
    input.addEventListener("blur", () => finish(true));
    item.replaceChildren(input);
    input.focus();
    input.select();
  }
}
