// The live lab page: progress frames (JSON) update the bars in place; HTML frames are
// swapped by htmx's websocket extension by id. The terminal keeps a command history.
(function () {
  "use strict";
  const run = document.getElementById("run");
  if (!run) return;
  let seen = { epoch: -1, t: -1 };

  function setField(flowEl, name, text) {
    const el = flowEl.querySelector('[data-field="' + name + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  }

  function applyProgress(frame) {
    if (frame.epoch < seen.epoch || (frame.epoch === seen.epoch && frame.t_us < seen.t)) return;
    seen = { epoch: frame.epoch, t: frame.t_us };
    const clock = document.getElementById("clock");
    if (clock) clock.textContent = frame.clock;
    // The chart's end label follows the clock between its redraws.
    for (const end of document.querySelectorAll('[data-field="chart-now"]')) end.textContent = frame.clock;
    const speed = document.getElementById("speed-now");
    if (speed) speed.textContent = frame.speed;
    // The server says when this run cannot keep its speed (its CPU budget) or when a
    // frame left flows out (the websocket size limit).
    const lag = document.getElementById("lag");
    if (lag) {
      const notes = [frame.lag, frame.flows_left_out ? frame.flows_left_out + " more flows not shown live: reload the page" : ""];
      lag.textContent = notes.filter(Boolean).join(" · ");
      lag.hidden = !lag.textContent;
    }
    const seek = document.getElementById("seek");
    if (seek && document.activeElement !== seek) seek.value = Math.floor(frame.t_us / 1e6);
    for (const f of frame.flows) {
      const el = document.getElementById("flow-" + f.id);
      if (!el) continue;
      el.className = "flow flow-" + f.state;
      setField(el, "label", f.label);
      setField(el, "bytes", f.bytes_text);
      setField(el, "pct", f.pct + "%");
      setField(el, "rate", f.rate_text);
      setField(el, "eta", f.eta);
      const bar = el.querySelector('[data-field="bar"]');
      if (bar) {
        bar.setAttribute("aria-valuenow", f.pct);
        bar.setAttribute("aria-valuetext", f.pct + "% " + f.label);
        bar.firstElementChild.style.width = f.pct + "%";
      }
      const label = el.querySelector('[data-field="label"]');
      if (label) label.className = "flow-label state-" + f.state;
    }
  }

  function notice(text) {
    const el = document.getElementById("notice");
    if (!el) return;
    el.textContent = text;
    el.classList.add("shown");
    clearTimeout(notice.timer);
    notice.timer = setTimeout(() => el.classList.remove("shown"), 6000);
  }

  document.body.addEventListener("htmx:wsBeforeMessage", (event) => {
    const text = event.detail.message;
    if (typeof text !== "string" || text[0] !== "{") return;
    event.preventDefault(); // JSON: ours, not a region for htmx to swap
    const frame = JSON.parse(text);
    if (frame.type === "progress") applyProgress(frame);
    else if (frame.type === "error") notice(frame.error);
  });
  // The class poll of the teaching panel waits while an answer is ticked but not yet
  // locked in (a CSP-safe stand-in for an hx-trigger filter, which needs eval).
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    if (elt && elt.id === "teaching-panel" && event.detail.requestConfig.verb === "get" &&
        elt.querySelector("input[type=radio]:checked")) {
      event.preventDefault();
    }
  });
  // A teaching panel refresh that was already on its way must not wipe out an answer the
  // student has just ticked (the poll itself waits while one is ticked).
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "teaching-panel" && event.detail.requestConfig.verb === "get" &&
        target.querySelector("input[type=radio]:checked")) {
      event.detail.shouldSwap = false;
    }
  });

  // A control that needs a yes first (Reset): ask, and send nothing unless confirmed.
  // (hx-confirm does not apply to the websocket extension's ws-send.)
  document.body.addEventListener("htmx:wsConfigSend", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  // At the device's Password: prompt, type blind.
  function passwordMode() {
    for (const form of document.querySelectorAll(".terminal-input")) {
      const out = document.getElementById("dev-" + form.dataset.device + "-terminal");
      const prompt = out && out.querySelector(".prompt");
      const blind = !!prompt && prompt.dataset.prompt.trim().endsWith("Password:");
      form.querySelector(".cli-line").type = blind ? "password" : "text";
    }
  }
  document.body.addEventListener("htmx:wsAfterMessage", () => {
    applyLevelFilters();
    passwordMode();
    // Newest lines at the bottom, as on the console.
    for (const out of document.querySelectorAll(".terminal-output, .syslog")) out.scrollTop = out.scrollHeight;
  });
  const connection = document.getElementById("connection");
  document.body.addEventListener("htmx:wsOpen", () => {
    if (connection) { connection.textContent = connection.dataset.openText || "live"; connection.className = "pill ok"; }
  });
  document.body.addEventListener("htmx:wsClose", () => {
    if (connection) { connection.textContent = "reconnecting…"; connection.className = "pill warn"; }
  });

  // Syslog level filter: show lines at or below the chosen severity, like `logging buffered N`.
  function applyLevelFilters() {
    for (const select of document.querySelectorAll("select[data-syslog]")) {
      const list = document.getElementById(select.dataset.syslog);
      if (!list) continue;
      const max = Number(select.value);
      for (const li of list.children) li.hidden = Number(li.dataset.level) > max;
    }
  }
  document.addEventListener("change", (e) => {
    if (e.target.matches("select[data-syslog]")) applyLevelFilters();
  });

  // Terminal: history with up/down, `?` answers at once like the real CLI, input kept.
  for (const form of document.querySelectorAll(".terminal-input")) {
    const input = form.querySelector(".cli-line");
    const key = "lab-history-" + form.dataset.device;
    const history = JSON.parse(sessionStorage.getItem(key) || "[]");
    let pos = history.length;
    let keep = "";
    form.addEventListener("htmx:wsConfigSend", () => {
      const line = input.value;
      if (line.trim() && !line.endsWith("?") && input.type !== "password") {
        history.push(line);
        sessionStorage.setItem(key, JSON.stringify(history.slice(-100)));
      }
      pos = history.length;
    });
    form.addEventListener("htmx:wsAfterSend", () => {
      input.value = keep;
      keep = "";
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowUp" && pos > 0) {
        input.value = history[--pos];
        e.preventDefault();
      } else if (e.key === "ArrowDown") {
        pos = Math.min(pos + 1, history.length);
        input.value = history[pos] || "";
        e.preventDefault();
      } else if (e.key === "z" && e.ctrlKey) {
        e.preventDefault(); // Ctrl-Z: like the console, run the line and leave config mode
        input.value = input.value + "\x1a";
        htmx.trigger(form, "submit");
      } else if (e.key === "Tab" && !e.shiftKey && input.value.trim() && input.type !== "password") {
        e.preventDefault(); // Tab completes the word, as on the console
        const url = run.dataset.complete + "?" + new URLSearchParams({ device: form.dataset.device, line: input.value });
        fetch(url, { credentials: "same-origin" })
          .then((r) => (r.ok ? r.json() : null))
          .then((answer) => { if (answer && answer.line) input.value = answer.line; });
      } else if (e.key === "?") {
        e.preventDefault();
        keep = input.value;
        input.value = input.value + "?";
        htmx.trigger(form, "submit");
      }
    });
  }
  applyLevelFilters();
  for (const out of document.querySelectorAll(".terminal-output, .syslog")) out.scrollTop = out.scrollHeight;
})();
