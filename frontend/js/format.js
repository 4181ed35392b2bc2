// How numbers are shown: tokens, money, durations, prices, dates.

const integer = new Intl.NumberFormat("en-US");

export function tokens(usage) {
  if (!usage) return "";
  const approx = usage.estimated ? "≈" : "";
  const cached = (usage.cache_read_tokens ?? 0) + (usage.cache_write_tokens ?? 0);
  const cache = cached ? ` (+${integer.format(cached)} cached)` : "";
  return `${approx}${integer.format(usage.input_tokens)} in${cache} · ${approx}${integer.format(usage.output_tokens)} out`;
}

export function cost(usd) {
  if (usd === undefined || usd === null) return "";
  if (usd === 0) return "$0";
  if (usd < 0.0001) return "<$0.0001";
  return `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(3)}`;
}

export function latency(ms) {
  if (!ms) return "";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

// A wait in words: "42 s", "12 min", "5 h 20 min".
export function wait(seconds) {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.ceil(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return rest ? `${Math.floor(minutes / 60)} h ${rest} min` : `${minutes / 60} h`;
}

export function pricePer1k(model) {
  if (!model.input_per_1k_usd && !model.output_per_1k_usd) return "free";
  return `$${model.input_per_1k_usd} / $${model.output_per_1k_usd} per 1K`;
}

export function bytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(0)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

export function count(value) {
  return integer.format(value);
}

// "at 01:00", or "tomorrow at 01:00", in the reader's time zone.
export function clockTime(iso) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return date.toDateString() === new Date().toDateString() ? `at ${time}` : `tomorrow at ${time}`;
}
