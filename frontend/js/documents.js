// The documents panel: upload (picker or drag and drop), live ingestion status, delete.
import { h, iconButton, toast } from "./dom.js";
import * as format from "./format.js";

const POLL_MS = 1000;
const MAX_POLL_MS = 10000;
const SETTLED = new Set(["READY", "FAILED"]);

export class DocumentsPanel {
  constructor(elements, api) {
    this.el = elements;
    this.api = api;
    this.documents = [];
    this.uploading = [];
    this.timer = 0;
    this.pollMs = POLL_MS;
    this.el.input.addEventListener("change", () => {
      this.upload([...this.el.input.files]);
      this.el.input.value = "";
    });
    this.#acceptDrops();
  }

  async refresh() {
    try {
      const { documents } = await this.api.documents();
      this.documents = documents;
    } catch (error) {
      toast(`Documents: ${error.message}`, { error: true });
    }
    this.#render();
    this.#pollWhilePending();
  }

  // Polls only while a document is still on its way, slowing down the longer it takes; a
  // document whose upload never arrives ends FAILED on the server, which ends the polling.
  #pollWhilePending() {
    clearTimeout(this.timer);
    if (!this.#pending().length) {
      this.pollMs = POLL_MS;
      return;
    }
    this.timer = setTimeout(() => this.refresh(), this.pollMs);
    this.pollMs = Math.min(this.pollMs * 2, MAX_POLL_MS);
  }

  #pending() {
    return this.documents.filter((d) => !SETTLED.has(d.status));
  }

  byId(id) {
    return this.documents.find((d) => d.id === id);
  }

  async upload(files) {
    this.pollMs = POLL_MS;
    for (const file of files) {
      const placeholder = { id: `uploading-${crypto.randomUUID()}`, filename: file.name, size_bytes: file.size, status: "UPLOADING" };
      this.uploading.push(placeholder);
      this.#render();
      try {
        const { upload } = await this.api.createDocument(file);
        await this.api.upload(upload, file);
      } catch (error) {
        toast(error.message, { error: true });
      } finally {
        this.uploading = this.uploading.filter((u) => u !== placeholder);
      }
      await this.refresh();
    }
  }

  async remove(document) {
    try {
      await this.api.deleteDocument(document.id);
    } catch (error) {
      toast(error.message, { error: true });
    }
    await this.refresh();
  }

  #render() {
    // Once the service lists a document (the upload form creates its record), the list shows
    // that record rather than the placeholder: one row per file, whatever a poll catches.
    const listed = new Set(this.documents.map((d) => d.filename));
    const all = [...this.uploading.filter((u) => !listed.has(u.filename)), ...this.documents];
    this.el.empty.hidden = all.length > 0;
    this.el.count.hidden = this.documents.length === 0;
    this.el.count.textContent = String(this.documents.length);
    this.el.list.replaceChildren(...all.map((d) => this.#item(d)));
    const pending = this.#pending().length;
    this.el.indexing.hidden = pending === 0;
    this.el.indexing.textContent = pending === 1
      ? "Still indexing 1 document: answers quote it once it is ready."
      : `Still indexing ${pending} documents: answers quote them once they are ready.`;
  }

  #item(document) {
    const status = h("span", { class: `status status-${document.status}` }, statusLabel(document.status));
    const meta = [status, h("span", {}, format.bytes(document.size_bytes ?? 0))];
    if (document.status === "PROCESSING" && document.chunks_total) {
      const done = Math.min(document.chunks_embedded ?? 0, document.chunks_total);
      meta.push(h("span", { class: "document-progress" },
        h("progress", { max: String(document.chunks_total), value: String(done), "aria-label": `Embedding ${document.filename}` }),
        `${done}/${document.chunks_total} chunks`));
    }
    if (document.status === "READY" && document.chunk_count) {
      meta.push(h("span", {}, document.chunk_count === 1 ? "1 passage" : `${document.chunk_count} passages`));
    }
    return h("li", { class: "document", "data-status": document.status, "data-filename": document.filename },
      h("span", { class: "document-name", title: document.filename }, document.filename),
      h("span", { class: "document-meta" }, meta),
      document.status === "UPLOADING" ? null : iconButton("trash", `Delete ${document.filename}`, () => this.remove(document)),
      document.status === "FAILED" && document.reason ? h("span", { class: "document-reason" }, document.reason) : null);
  }

  #acceptDrops() {
    const zone = this.el.dropzone;
    const setDragging = (value) => { zone.dataset.dragging = String(value); };
    zone.addEventListener("dragover", (event) => { event.preventDefault(); setDragging(true); });
    zone.addEventListener("dragleave", () => setDragging(false));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      setDragging(false);
      this.upload([...event.dataTransfer.files]);
    });
  }
}

function statusLabel(status) {
  return { UPLOADING: "Uploading", PENDING: "Pending", PROCESSING: "Processing", READY: "Ready", FAILED: "Failed" }[status] ?? status;
}
