// The light or dark theme, chosen per user and kept in this browser (control rooms are dark).
// observablehq.config.ts applies the kept choice before the page paints; this is the switch.

export const THEME_KEY = "runboard.theme";

export type Theme = "light" | "dark";

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

export function setTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Storage may be off (a locked-down browser): the choice lasts for this page only.
  }
}

/** A button that switches between the themes and says which one it switches to. */
export function themeToggle(): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "theme-toggle";
  const label = () => {
    const dark = currentTheme() === "dark";
    button.textContent = dark ? "Light theme" : "Dark theme";
    button.setAttribute("aria-pressed", String(dark));
  };
  label();
  button.addEventListener("click", () => {
    setTheme(currentTheme() === "dark" ? "light" : "dark");
    label();
  });
  return button;
}
