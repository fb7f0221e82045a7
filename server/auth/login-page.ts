// The sign-in page of RUNBOARD_AUTH=local: plain HTML and a form, so it works before any of the
// site's scripts may load, and in the control room's dark as well as in daylight.
const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const MESSAGES: Record<string, (wait?: number) => string> = {
  wrong: (wait) => (wait ? `Too many failed sign-ins: wait ${wait} s and try again.` : "Wrong name or password."),
  busy: (wait) => `The server is busy signing others in: try again in ${wait ?? 1} s.`,
};

export function loginPage(options: { next: string; error?: string; wait?: number }): string {
  const message = options.error ? (MESSAGES[options.error]?.(options.wait) ?? "Sign-in failed.") : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · runboard</title>
<style>
  :root { color-scheme: light dark; --fg: #1b1e23; --bg: #f6f7f9; --card: #fff; --line: #d0d5dd; --accent: #3b6fd8; --bad: #b42318; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --bg: #101317; --card: #181c22; --line: #343a44; --accent: #7aa2f7; --bad: #f97066; } }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg);
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
  main { width: min(22rem, calc(100vw - 2rem)); background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 2rem; }
  h1 { margin: 0 0 0.25rem; font-size: 1.4rem; }
  p.lead { margin: 0 0 1.5rem; opacity: 0.75; font-size: 0.95rem; }
  label { display: block; margin: 0 0 1rem; font-size: 0.9rem; }
  input { display: block; box-sizing: border-box; width: 100%; margin-top: 0.3rem; padding: 0.55rem 0.7rem; font: inherit;
          color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
  button { width: 100%; padding: 0.6rem; font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: 6px; cursor: pointer; }
  [role="alert"] { color: var(--bad); margin: 0 0 1rem; font-size: 0.95rem; }
</style>
</head>
<body>
<main>
  <h1>runboard</h1>
  <p class="lead">Sign in to see this experiment's dashboards.</p>
  ${message ? `<p role="alert">${escape(message)}</p>` : ""}
  <form method="post" action="/api/login">
    <label>Name <input name="name" autocomplete="username" required autofocus maxlength="64"></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
    <input type="hidden" name="next" value="${escape(options.next)}">
    <button type="submit">Sign in</button>
  </form>
</main>
</body>
</html>
`;
}
