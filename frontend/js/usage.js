// Usage at a glance: tokens and cost today and this month (GET /usage), and what is left of
// today's token budget (GET /limits; hidden where the API has no such route).
import * as format from "./format.js";

export class UsagePanel {
  constructor(elements, api) {
    this.el = elements;
    this.api = api;
  }

  async refresh() {
    await Promise.all([this.#showUsage(), this.#showBudget()]);
  }

  async #showUsage() {
    // Usage days are UTC days.
    const today = new Date().toISOString().slice(0, 10);
    try {
      const report = await this.api.usage(`${today.slice(0, 8)}01`, today);
      const day = report.days.find((d) => d.day === today);
      this.el.today.textContent = summary(day);
      this.el.month.textContent = summary(report.totals);
      this.el.figures.hidden = false;
    } catch {
      this.el.figures.hidden = true;
    }
  }

  async #showBudget() {
    let limits;
    try {
      limits = await this.api.limits();
    } catch {
      this.el.budget.hidden = true;
      return;
    }
    this.el.budget.hidden = false;
    const limited = limits.daily_tokens !== null && limits.daily_tokens !== undefined;
    this.el.meter.hidden = !limited;
    if (!limited) {
      this.el.remaining.textContent = "No daily limit";
      this.el.resets.textContent = "";
      return;
    }
    const left = limits.daily_tokens_remaining ?? 0;
    this.el.remaining.textContent = format.count(left);
    this.el.meter.max = limits.daily_tokens;
    this.el.meter.value = left;
    this.el.meter.dataset.low = String(left < limits.daily_tokens * 0.1);
    this.el.resets.textContent = `of ${format.count(limits.daily_tokens)} · renews ${format.clockTime(limits.resets_at)}`;
  }
}

function summary(totals) {
  if (!totals) return "0 tokens · $0";
  const cached = (totals.cache_read_tokens ?? 0) + (totals.cache_write_tokens ?? 0);
  return `${format.count(totals.input_tokens + cached + totals.output_tokens)} tokens · ${format.cost(totals.cost_usd)}`;
}
