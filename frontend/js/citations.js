// The citation dialog: the cited passage and the document it comes from.
import { h } from "./dom.js";

export class CitationDialog {
  constructor(dialog, documentById) {
    this.dialog = dialog;
    this.documentById = documentById;
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
  }

  open(citation) {
    const $ = (id) => this.dialog.querySelector(`#${id}`);
    $("citation-number").textContent = String(citation.n);
    $("citation-number").className = "cite citation-number";
    $("citation-title").textContent = citation.title;
    $("citation-heading").textContent = citation.heading ?? "";
    $("citation-heading").hidden = !citation.heading;
    $("citation-snippet").textContent = citation.snippet;
    const document = this.documentById(citation.document_id);
    const facts = [["Document", document?.filename ?? citation.title], ["Relevance", citation.score.toFixed(2)]];
    if (document?.chunk_count) facts.push(["Passages", String(document.chunk_count)]);
    if (document?.status) facts.push(["Status", document.status]);
    $("citation-document").replaceChildren(...facts.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
    this.dialog.showModal();
  }
}
