// Light and dark themes: the user's choice is remembered; otherwise the system's is followed.
const KEY = "genai-chat.theme";

export function initTheme(toggle) {
  const saved = localStorage.getItem(KEY);
  const system = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  apply(saved ?? system, toggle);
  toggle.addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    localStorage.setItem(KEY, next);
    apply(next, toggle);
  });
}

function apply(theme, toggle) {
  document.documentElement.dataset.theme = theme;
  toggle.setAttribute("aria-label", theme === "dark" ? "Switch to light theme" : "Switch to dark theme");
}
