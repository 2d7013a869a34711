// qabot's chat page script (ui.py, served inline in the page's <head>): scrolls to the start of
// each new answer, copies an answer's Markdown, puts keyboard focus back in the question box after
// a suggestion, and runs the embed mode (/?embed=1): compact, primary colour from ?primary=,
// auto-height (?height=auto) and a "ready" message through postMessage (see docs/portal.md).
(() => {
  "use strict";
  const params = new URLSearchParams(location.search);
  const root = document.documentElement;
  const embed = params.get("embed") === "1";
  const autoHeight = embed && params.get("height") === "auto";
  if (embed) root.classList.add("qa-embed");
  if (autoHeight) root.classList.add("qa-autoheight");

  // A primary colour from the portal: only a hex colour is accepted; text on it is black or white,
  // whichever contrasts more.
  const primary = params.get("primary") || "";
  if (/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(primary)) {
    const hex = primary.length === 4 ? "#" + [...primary.slice(1)].map((c) => c + c).join("") : primary;
    const channel = (i) => {
      const v = parseInt(hex.slice(i, i + 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    const lum = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    const text = (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
    const style = document.createElement("style");
    style.id = "qa-primary";
    style.textContent = `:root, .dark, body, gradio-app {
  --qa-primary: ${hex}; --qa-on-primary: ${text};
  --color-accent: ${hex} !important; --color-accent-soft: ${hex}22 !important;
  --button-primary-background-fill: ${hex} !important;
  --button-primary-background-fill-hover: ${hex} !important;
  --button-primary-border-color: ${hex} !important; --button-primary-text-color: ${text} !important;
  --button-primary-text-color-hover: ${text} !important;
  --border-color-accent: ${hex} !important; --input-border-color-focus: ${hex} !important;
  --color-accent-copied: ${hex} !important; }
html.qa-primary #qa-input#qa-input .submit-button { background: ${hex} !important; color: ${text} !important;
  border-color: ${hex} !important; }`;
    document.head.appendChild(style);
    root.classList.add("qa-primary");
  }

  const focusInput = () => {
    const box = document.querySelector("#qa-input textarea");
    if (box) box.focus({ preventScroll: true });
  };
  window.qabot = { focusInput };

  // Scroll to the start of a new answer (its heading), not to the end of the chat.
  let last = 0;
  const scrollToNewAnswer = () => {
    const answers = document.querySelectorAll('article.qa-answer[id^="qa-turn-"]');
    if (!answers.length) {
      last = 0;
      return;
    }
    const newest = answers[answers.length - 1];
    const turn = parseInt(newest.id.slice("qa-turn-".length), 10);
    if (turn > last) {
      last = turn;
      const message = newest.closest(".message-row, .message-wrap > div, .message") || newest;
      message.scrollIntoView({ block: "start", inline: "nearest" });
      if (autoHeight) post({ type: "answer", top: Math.round(newest.getBoundingClientRect().top + scrollY) });
    }
  };
  new MutationObserver(scrollToNewAnswer).observe(root, { childList: true, subtree: true });

  // "Copy answer": the answer's own Markdown, as written in the notes.
  document.addEventListener("click", async (event) => {
    const button = event.target instanceof Element ? event.target.closest("button.qa-copy") : null;
    if (!button) return;
    const source = button.closest("article.qa-answer")?.querySelector("pre.qa-md");
    const markdown = source ? source.textContent : "";
    try {
      await navigator.clipboard.writeText(markdown);
    } catch {
      const area = document.createElement("textarea");
      area.value = markdown;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy answer"; }, 2000);
  });

  // Embed mode: tell the page around the frame that it loaded (embed.js shows a readable message
  // when it never hears this: the frame was refused), and its height when it is auto.
  function post(message) {
    if (window.parent !== window) window.parent.postMessage({ source: "qabot", ...message }, "*");
  }
  if (embed) {
    const start = () => {
      post({ type: "ready" });
      if (autoHeight && "ResizeObserver" in window) {
        let sent = 0;
        const report = () => {
          const app = document.querySelector(".gradio-container") || document.body;
          const height = Math.ceil(app.getBoundingClientRect().height);
          if (height && height !== sent) {
            sent = height;
            post({ type: "height", height });
          }
        };
        new ResizeObserver(report).observe(document.body);
        new MutationObserver(() => {
          const app = document.querySelector(".gradio-container");
          if (app && !app.dataset.qaObserved) {
            app.dataset.qaObserved = "1";
            new ResizeObserver(report).observe(app);
          }
        }).observe(document.body, { childList: true, subtree: true });
        report();
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})();
