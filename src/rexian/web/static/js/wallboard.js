// The wallboard: polls the live snapshot every 2 s and paints big numbers, red where a target is missed.
(function () {
  "use strict";
  const board = document.getElementById("wallboard");
  const every = Number(board.dataset.refreshMs) || 2000;
  const pct = (x) => (x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%");

  function tile(id, text, missed) {
    const el = document.getElementById(id);
    el.querySelector(".wb-value").textContent = text;
    el.classList.toggle("wb-missed", Boolean(missed));
  }

  function paint(s) {
    const day = s.last_24h;
    tile("wb-waiting", String(s.calls_waiting));
    tile("wb-longest", Math.round(s.longest_wait_s) + " s", s.longest_wait_s > 15);
    tile("wb-within", pct(s.answered_within_rate), !s.meets_service_level);
    tile("wb-connection", pct(s.connection_rate), !s.meets_connection_target);
    tile("wb-offered", String(day.offered));
    tile("wb-abandoned", String(day.abandoned));
    for (const [state, n] of Object.entries(s.agents_by_state)) {
      const el = document.getElementById("wb-agents-" + state);
      if (el) tile(el.id, String(n));
    }
    const plan = s.staffing;
    tile("wb-needed", String(plan.agents_needed));
    tile("wb-logged-in", String(plan.agents_logged_in), plan.short_by > 0);
    tile("wb-forecast", plan.forecast_calls.toFixed(0));
    document.getElementById("wb-half-hour").textContent = plan.half_hour;
    document.getElementById("wb-at").textContent = new Date(s.at).toLocaleTimeString();
  }

  async function refresh() {
    try {
      const response = await fetch("/api/v1/cti/snapshot", { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      paint(await response.json());
      document.getElementById("wb-error").hidden = true;
    } catch (e) {
      document.getElementById("wb-error").hidden = false;
    }
    setTimeout(refresh, every);
  }
  refresh();
})();
