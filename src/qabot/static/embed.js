/*! qabot embed kit, served by qabot itself at /embed.js (no CDN). One line in a portal's HTML:

  <script src="https://qabot.example.edu/embed.js" data-title="Ask the notes" async></script>

adds a chat bubble that opens the chat in a panel; with data-target="#some-element" the chat is
shown inline in that element instead. Options (data- attributes, all optional):
  data-target    CSS selector of an element to hold an inline chat (default: a bubble)
  data-primary   primary colour, #rgb or #rrggbb (bubble, panel header, the chat's buttons)
  data-theme     light | dark | auto (default auto: the visitor's system setting)
  data-position  bottom-right | bottom-left (bubble only; default bottom-right)
  data-title     the panel's title and the bubble's label (default "Ask the notes")
  data-height    inline chat height: a CSS length (default 600px) or "auto" (grows with the chat)
The chat runs in an iframe from qabot's origin (/?embed=1); it sends
{source: "qabot", type: "ready" | "height" | "answer", ...} messages, see docs/portal.md. When the
frame is refused (QABOT_FRAME_ANCESTORS does not list this page's origin) or qabot cannot be
reached, the panel says so in plain words and the console names the setting. */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.src) return;
  const base = new URL(".", script.src); // qabot's root, sub-path included
  const qabotOrigin = base.origin;
  const here = location.origin;
  const opt = script.dataset;
  const title = opt.title || "Ask the notes";
  const theme = ["light", "dark"].includes(opt.theme) ? opt.theme : "auto";
  const primary = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(opt.primary || "") ? opt.primary : "";
  const autoHeight = opt.height === "auto";
  const target = opt.target ? document.querySelector(opt.target) : null;
  if (opt.target && !target) {
    console.error(`qabot embed: data-target="${opt.target}" matches no element; showing a bubble`);
  }

  const src = new URL(base);
  src.searchParams.set("embed", "1");
  if (primary) src.searchParams.set("primary", primary);
  if (theme !== "auto") src.searchParams.set("__theme", theme);
  if (target && autoHeight) src.searchParams.set("height", "auto");

  // Its styles come from qabot too (/embed.css), so a portal's CSP needs no 'unsafe-inline'.
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("embed.css", base).href;
  document.head.appendChild(css);

  const onPrimary = (hex) => {
    const full = hex.length === 4 ? "#" + [...hex.slice(1)].map((c) => c + c).join("") : hex;
    const ch = (i) => {
      const v = parseInt(full.slice(i, i + 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    const lum = 0.2126 * ch(1) + 0.7152 * ch(3) + 0.0722 * ch(5);
    return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000" : "#fff";
  };

  const frame = document.createElement("iframe");
  frame.title = title;
  frame.src = src.href;
  frame.setAttribute("allow", "clipboard-write");
  frame.referrerPolicy = "no-referrer";

  // The frame says "ready" as soon as the chat page runs. A frame that loads without saying it was
  // refused (frame-ancestors) or is an error page: then the page shows why, in plain words.
  let ready = false;
  let explained = false;
  const explain = async (holder) => {
    if (ready || explained) return;
    explained = true;
    let reachable = true;
    try {
      await fetch(new URL("api/health", base), { mode: "no-cors", cache: "no-store" });
    } catch {
      reachable = false;
    }
    const box = document.createElement("div");
    box.className = "qabot-refused";
    box.setAttribute("role", "alert");
    const p = (text) => {
      const para = document.createElement("p");
      para.style.margin = "0 0 .5em";
      para.textContent = text;
      return para;
    };
    if (reachable) {
      box.append(
        p(`The chat cannot be shown on this page: the qabot server at ${qabotOrigin} does not allow ` +
          `pages from ${here} to embed it.`),
        p(`Whoever runs that qabot server must add this exact origin, ${here}, to ` +
          `QABOT_FRAME_ANCESTORS (and to QABOT_CORS_ORIGINS for API calls), then restart it. ` +
          "Origins must match exactly: scheme, host and port; localhost and 127.0.0.1 are different."));
      console.error(`qabot embed: ${qabotOrigin} refused to be framed by ${here}. Start qabot with ` +
        `QABOT_FRAME_ANCESTORS="'self' ${here}" (and QABOT_CORS_ORIGINS=${here} for the API); ` +
        "origins must match exactly (scheme://host:port).");
    } else {
      box.append(p(`The chat cannot be reached: the qabot server at ${qabotOrigin} does not answer. ` +
                   "Try again later, or tell whoever runs it."));
      console.error(`qabot embed: ${base.href} could not be reached from ${here}.`);
    }
    frame.replaceWith(box);
    holder.dataset.qabotState = "refused";
  };
  const watch = (holder) => {
    frame.addEventListener("load", () => {
      if (!ready) setTimeout(() => explain(holder), 1500); // "ready" may arrive just after load
    });
  };

  window.addEventListener("message", (event) => {
    if (event.origin !== qabotOrigin || event.source !== frame.contentWindow) return;
    const data = event.data;
    if (!data || data.source !== "qabot") return;
    if (data.type === "ready") {
      ready = true;
      frame.dataset.qabotReady = "1";
    } else if (data.type === "height" && target && autoHeight && Number.isFinite(data.height)) {
      frame.style.height = `${Math.max(320, Math.min(Math.round(data.height), 20000))}px`;
    } else if (data.type === "answer" && target && autoHeight && Number.isFinite(data.top)) {
      const top = frame.getBoundingClientRect().top + window.scrollY + data.top - 12;
      window.scrollTo({ top, behavior: "smooth" });
    }
  });

  if (target) {
    frame.className = "qabot-inline";
    frame.style.height = autoHeight ? "480px" : (opt.height || "600px");
    if (primary) target.style.setProperty("--qabot-primary", primary);
    target.appendChild(frame);
    watch(target);
    return;
  }

  // The bubble and its panel.
  const side = opt.position === "bottom-left" ? "qabot-left" : "qabot-right";
  const panel = document.createElement("div");
  panel.className = `qabot-panel ${side}`;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  const head = document.createElement("div");
  head.className = "qabot-head";
  const heading = document.createElement("h2");
  heading.textContent = title;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "qabot-close";
  close.setAttribute("aria-label", `Close ${title}`);
  close.textContent = "×";
  head.append(heading, close);
  frame.className = "qabot-frame";
  panel.append(head);
  const bubble = document.createElement("button");
  bubble.type = "button";
  bubble.className = `qabot-bubble ${side}`;
  bubble.setAttribute("aria-label", title);
  bubble.setAttribute("aria-expanded", "false");
  bubble.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true" fill="currentColor"><path d="M4 4h16a2 ' +
    "2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 3 1.5 " +
    "1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z" +
    '"/></svg>';
  for (const el of [panel, bubble]) {
    if (primary) {
      el.style.setProperty("--qabot-primary", primary);
      el.style.setProperty("--qabot-on-primary", onPrimary(primary));
    }
  }
  const open = (show) => {
    if (show && !frame.isConnected && !panel.dataset.qabotState) {
      panel.append(frame); // the chat loads on first open, not with the portal
      watch(panel);
    }
    panel.classList.toggle("qabot-open", show);
    bubble.classList.toggle("qabot-hidden", show);
    bubble.setAttribute("aria-expanded", String(show));
    if (show) close.focus();
    else bubble.focus();
  };
  bubble.addEventListener("click", () => open(!panel.classList.contains("qabot-open")));
  close.addEventListener("click", () => open(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") open(false);
  });
  const mount = () => document.body.append(panel, bubble);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
