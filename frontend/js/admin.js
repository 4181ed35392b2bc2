// The administrators' view: usage and cost per user and model over a period, and a user's daily
// token budget and rate limits, with the audit trail of every change. The API answers 404 to
// anyone outside the admins group, so the view's button stays hidden for them.
import { h, toast } from "./dom.js";
import * as format from "./format.js";

const DAY_MS = 86_400_000;
const LIMIT_FIELDS = [
  ["daily_tokens", "Daily token budget"],
  ["requests_per_minute", "Requests per minute"],
  ["tokens_per_minute", "Tokens per minute"],
];

const PROBE_ATTEMPTS = 4;
const PROBE_PAUSE_MS = 1000;

export class AdminView {
  constructor(button, dialog, api) {
    this.button = button;
    this.dialog = dialog;
    this.api = api;
    this.#build();
  }

  // Shows the button only when the API lets this user in: a 404 says it does not; any other
  // failure (the service still starting, a dropped connection) is asked again a few times.
  async start() {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#usage();
        break;
      } catch (error) {
        if (error.status === 404 || attempt === PROBE_ATTEMPTS) return;
        await new Promise((resolve) => setTimeout(resolve, PROBE_PAUSE_MS * attempt));
      }
    }
    this.button.hidden = false;
    this.button.addEventListener("click", () => this.open());
  }

  async open() {
    this.dialog.showModal();
    await Promise.all([this.#showUsage(), this.#showAudit()]);
  }

  #build() {
    const today = new Date().toISOString().slice(0, 10);
    const monthAgo = new Date(Date.now() - 29 * DAY_MS).toISOString().slice(0, 10);
    this.from = h("input", { type: "date", id: "admin-from", value: monthAgo, "aria-label": "From" });
    this.to = h("input", { type: "date", id: "admin-to", value: today, "aria-label": "To" });
    this.usageRows = h("tbody", { id: "admin-usage" });
    this.user = h("input", { type: "text", id: "admin-user", required: true, maxlength: 128, "aria-label": "User id" });
    this.inputs = Object.fromEntries(LIMIT_FIELDS.map(([field]) =>
      [field, h("input", { type: "number", id: `admin-${field}`, min: 0, step: 1, placeholder: "default" })]));
    this.status = h("p", { class: "admin-status", id: "admin-limits-status", "aria-live": "polite" });
    this.audit = h("ul", { class: "admin-audit", id: "admin-audit" });
    const form = h("form", { class: "admin-limits", id: "admin-limits-form", onsubmit: (event) => { event.preventDefault(); this.#save(); } },
      h("label", {}, "User ", this.user),
      h("button", { type: "button", onclick: () => this.#showLimits() }, "Load"),
      ...LIMIT_FIELDS.map(([field, label]) => h("label", {}, `${label} `, this.inputs[field])),
      h("small", {}, "Empty: the deployment's default · 0: no limit"),
      h("button", { type: "submit", id: "admin-save" }, "Save"),
      this.status);
    this.dialog.replaceChildren(
      h("header", {}, h("h2", { id: "admin-title" }, "Administration"),
        h("button", { class: "icon-button", type: "button", "aria-label": "Close administration", onclick: () => this.dialog.close() }, "×")),
      h("section", { "aria-label": "Usage by user" },
        h("h3", {}, "Usage by user"),
        h("div", { class: "admin-period" }, this.from, this.to, h("button", { type: "button", onclick: () => this.#showUsage() }, "Show")),
        h("table", { class: "admin-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "User"), h("th", {}, "Model"), h("th", {}, "Requests"), h("th", {}, "Tokens"), h("th", {}, "Cost"))),
          this.usageRows)),
      h("section", { "aria-label": "User limits" }, h("h3", {}, "User limits"), form),
      h("section", { "aria-label": "Changes" }, h("h3", {}, "Changes"), this.audit));
  }

  #usage() {
    return this.api.request("GET", `/admin/usage?${new URLSearchParams({ from: this.from.value, to: this.to.value })}`);
  }

  async #showUsage() {
    try {
      const report = await this.#usage();
      this.usageRows.replaceChildren(...report.users.flatMap((user) => user.models.map((model) =>
        h("tr", { onclick: () => { this.user.value = user.user; this.#showLimits(); } },
          h("td", {}, user.user), h("td", {}, model.model), h("td", {}, format.count(model.requests)),
          h("td", {}, format.count(tokenTotal(model))), h("td", {}, format.cost(model.cost_usd))))));
    } catch (error) {
      toast(error.message, { error: true });
    }
  }

  async #showLimits() {
    if (!this.user.value.trim()) return;
    try {
      this.#show(await this.api.request("GET", this.#limitsPath()));
    } catch (error) {
      toast(error.message, { error: true });
    }
  }

  async #save() {
    const body = Object.fromEntries(LIMIT_FIELDS.map(([field]) =>
      [field, this.inputs[field].value === "" ? null : Number(this.inputs[field].value)]));
    try {
      this.#show(await this.api.request("PUT", this.#limitsPath(), body));
      toast(`Limits of ${this.user.value.trim()} saved.`);
      await this.#showAudit();
    } catch (error) {
      toast(error.message, { error: true });
    }
  }

  #limitsPath() {
    return `/admin/users/${encodeURIComponent(this.user.value.trim())}/limits`;
  }

  #show(limits) {
    for (const [field] of LIMIT_FIELDS) this.inputs[field].value = limits.override[field] ?? "";
    const effective = limits.effective;
    const budget = effective.daily_tokens === null ? "no daily limit" : `budget ${format.count(effective.daily_tokens)} tokens`;
    this.status.textContent = `${limits.user}: ${budget}, ${format.count(effective.daily_tokens_used)} used today`;
  }

  async #showAudit() {
    try {
      const { entries } = await this.api.request("GET", "/admin/audit");
      this.audit.replaceChildren(...entries.map((entry) => h("li", {},
        h("time", { datetime: entry.at }, entry.at.replace("T", " ").slice(0, 16)),
        ` ${entry.actor} set ${entry.user}: `,
        LIMIT_FIELDS.filter(([field]) => entry.old[field] !== entry.new[field])
          .map(([field]) => `${field} ${shown(entry.old[field])} → ${shown(entry.new[field])}`).join(", ") || "no change")));
    } catch (error) {
      toast(error.message, { error: true });
    }
  }
}

function tokenTotal(totals) {
  return totals.input_tokens + totals.output_tokens + (totals.cache_read_tokens ?? 0) + (totals.cache_write_tokens ?? 0);
}

function shown(value) {
  return value === null || value === undefined ? "default" : format.count(value);
}
