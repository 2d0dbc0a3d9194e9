// The console's few interactive parts, in the htmx style: fetch a server-rendered fragment and
// swap it in. No framework; every fetch sends the session's CSRF token.
(function () {
  "use strict";
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const FRAGMENT = { "X-Console-Fragment": "1" };

  async function fetchFragment(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options || {}));
    if (response.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search); return null; }
    return response.text();
  }

  // data-poll="url" data-every="ms": replace the element's content with the fragment, on a timer.
  function poll(element) {
    const every = parseInt(element.dataset.every || "3000", 10);
    const tick = async () => {
      if (!document.hidden && !element.contains(document.activeElement)) {
        try {
          const html = await fetchFragment(element.dataset.poll, { headers: FRAGMENT });
          if (html !== null) { element.innerHTML = html; }
        } catch (e) { /* offline for a moment: try again on the next tick */ }
      }
      setTimeout(tick, every);
    };
    setTimeout(tick, every);
  }

  // data-check-url on a textarea: as one types, post its text and show the verdict; the submit
  // button named by data-check-submit stays disabled while the verdict says forbidden wording.
  function checkAsTyped(area) {
    const target = document.querySelector(area.dataset.checkTarget);
    const submit = document.querySelector(area.dataset.checkSubmit);
    let timer = null, sequence = 0;
    const check = async () => {
      const mine = ++sequence;
      const body = new URLSearchParams({ text: area.value });
      const html = await fetchFragment(area.dataset.checkUrl, { method: "POST", body, headers: Object.assign({ "X-CSRF-Token": csrf() }, FRAGMENT) });
      if (html === null || mine !== sequence) { return; }
      target.innerHTML = html;
      const verdict = target.querySelector("[data-passed]");
      if (submit) { submit.disabled = !verdict || verdict.dataset.passed !== "true"; }
    };
    area.addEventListener("input", () => { clearTimeout(timer); if (submit) { submit.disabled = true; } timer = setTimeout(check, 250); });
    if (submit) { submit.disabled = true; }
    if (area.value) { check(); }
  }

  // data-due="ISO time": a live countdown (hh:mm:ss), red once the deadline has passed.
  function countdown(element) {
    const due = Date.parse(element.dataset.due);
    const words = element.textContent;
    const render = () => {
      const seconds = Math.round((due - Date.now()) / 1000), a = Math.abs(seconds);
      const clock = [Math.floor(a / 3600), Math.floor(a % 3600 / 60), a % 60].map((n, i) => i ? String(n).padStart(2, "0") : String(n)).join(":");
      element.textContent = (seconds < 0 ? "−" : "") + clock;
      element.title = words;
      element.classList.toggle("overdue", seconds < 0);
    };
    render();
    setInterval(render, 1000);
  }

  // The inbox's translation toggle, remembered in this browser.
  function translationToggle(button) {
    const apply = (on) => { document.body.classList.toggle("show-translation", on); button.setAttribute("aria-pressed", String(on)); };
    apply(localStorage.getItem("rg-translation") === "1");
    button.addEventListener("click", () => {
      const on = !document.body.classList.contains("show-translation");
      localStorage.setItem("rg-translation", on ? "1" : "0");
      apply(on);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("[data-check-url]").forEach(checkAsTyped);
    document.querySelectorAll("[data-due]").forEach(countdown);
    document.querySelectorAll("[data-toggle-translation]").forEach(translationToggle);
  });
})();
