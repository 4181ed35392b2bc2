// The note on an answer the service blocked. The API's `reason` is `prompt_injection:<family>`
// (with `+<disguise>` when the attack was encoded), `guardrail` or `system_prompt_leak`; the
// refusal itself stays in the answer, this only says which safeguard wrote it and why.
import { h, icon } from "./dom.js";

const SAFEGUARDS = {
  prompt_injection: {
    title: "Blocked by the input guard",
    why: "the question reads as an attempt to override the service's instructions",
  },
  guardrail: {
    title: "Blocked by the content guardrail",
    why: "the content guardrail stopped this exchange",
  },
  system_prompt_leak: {
    title: "Blocked by the output check",
    why: "the answer would have disclosed the service's configuration",
  },
};
const UNKNOWN = { title: "Blocked", why: "a safeguard stopped this answer" };

export function blockedNote(reason) {
  const [kind, detail = ""] = String(reason ?? "").split(":");
  const safeguard = SAFEGUARDS[kind] ?? UNKNOWN;
  const specifics = describe(detail);
  // Screen readers hear the whole explanation; sighted users see the title and hover for it.
  const explanation = `Answer blocked: ${safeguard.why}${specifics ? ` (${specifics})` : ""}.`;
  return h("p", { class: "blocked-note", role: "note", "aria-label": explanation, title: explanation },
    icon("shield"), h("strong", {}, safeguard.title), specifics ? h("span", {}, specifics) : null);
}

// "instruction_override+base64" -> "instruction override, hidden with base64".
function describe(detail) {
  const [family, disguise] = detail.split("+");
  const words = (text) => text.replaceAll("_", " ");
  if (!family) return "";
  return disguise ? `${words(family)}, hidden with ${words(disguise)}` : words(family);
}
