// The agent desk: start or replay a call, follow its draft over server-sent events, edit, finish.
(function () {
  "use strict";
  const root = document.getElementById("desk");
  const csrf = root.dataset.csrf;
  const demos = JSON.parse(document.getElementById("demo-calls").textContent);
  const text = JSON.parse(document.getElementById("desk-text").textContent);
  const speed = Number(new URLSearchParams(location.search).get("speed")) || 4;
  const $ = (id) => document.getElementById(id);
  let callId = null, stream = null, started = null, tick = null, suggestions = [];

  async function api(method, path, body) {
    const response = await fetch("/api/v1/calls" + path, {
      method, headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || data.detail || response.statusText);
    return data;
  }

  function li(parent, content, cls) {
    const item = document.createElement("li");
    if (cls) item.className = cls;
    item.append(...content);
    parent.append(item);
    return item;
  }

  function render(d) {
    const transcript = $("transcript");
    transcript.replaceChildren();
    for (const u of d.transcript) {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = u.speaker === "caller" ? "市民" : "坐席";
      li(transcript, [who, u.text], u.speaker);
    }
    transcript.scrollTop = transcript.scrollHeight;
    for (const [name, value] of Object.entries(d.fields)) {
      const input = $("f-" + name);
      if (!input) continue;
      if (document.activeElement !== input) input.value = value == null ? "" : value;
      const auto = d.auto_filled.includes(name);
      input.parentElement.classList.toggle("auto", auto);
      input.parentElement.querySelector(".auto-mark").hidden = !auto;
    }
    const r = d.routing;
    $("routing").textContent = r ? `${r.unit_name || "—"}：${r.explanation}` : "—";
    $("routing").dataset.unit = r && r.unit_code ? r.unit_code : "";
    suggestions = d.knowledge;
    const list = $("knowledge");
    list.replaceChildren();
    d.knowledge.forEach((k, i) => {
      const title = document.createElement("strong");
      title.textContent = k.title;
      const use = document.createElement("button");
      use.type = "button";
      use.textContent = text.use_answer;
      use.addEventListener("click", () => answer(k.doc_id));
      li(list, [title, " ", k.snippet, " ", use]).dataset.kind = k.kind;
    });
    const e = d.emergency;
    $("emergency").hidden = !(e && e.is_emergency);
    $("emergency-reason").textContent = e && e.is_emergency ? e.reasons.join("；") + " → " + e.transfer_to.join("/") : "";
    if (e && e.is_emergency && e.transfer_to.length) $("transfer-service").value = e.transfer_to[0];
    $("elderly").hidden = !d.elderly.priority;
    if (d.history) {
      $("history").replaceChildren();
      for (const h of d.history) li($("history"), [`${h.code} · ${h.title} · ${h.status}`]);
    }
  }

  function follow(id) {
    if (stream) stream.close();
    callId = id;
    started = Date.now();
    clearInterval(tick);
    tick = setInterval(() => {
      const s = Math.floor((Date.now() - started) / 1000);
      $("timer").textContent = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
    }, 500);
    $("result").textContent = "";
    stream = new EventSource(`/api/v1/calls/${id}/stream`);
    stream.addEventListener("draft", (event) => {
      const d = JSON.parse(event.data);
      render(d);
      if (d.status !== "live") { stream.close(); clearInterval(tick); }
    });
  }

  async function start(number) {
    const d = await api("POST", "", {caller_number: number || null});
    render(d);
    follow(d.call_id);
    return d.call_id;
  }

  async function replay() {
    const call = demos[Number($("demo-call").value)];
    $("caller-number").value = call.caller_number;
    const id = await start(call.caller_number);
    let last = 0;
    for (const u of call.utterances) {
      await new Promise((ok) => setTimeout(ok, Math.max(0, (u.at - last) * 1000 / speed)));
      last = u.at;
      if (callId !== id) return;  // the agent picked up another call
      await api("POST", `/${id}/utterances`, {speaker: u.speaker, text: u.text});
    }
  }

  function finished(order) {
    const unit = order.unit ? order.unit.name : (order.transferred_to || "");
    const result = $("result");
    result.textContent = `${text.result}：${order.code} · ${order.status} · ${unit}`;
    result.dataset.orderId = order.id;
    result.dataset.status = order.status;
  }

  async function act(path, body) {
    if (!callId) return;
    try { finished(await api("POST", `/${callId}/${path}`, body)); }
    catch (err) { $("result").textContent = err.message; }
  }

  function answer(docId) {
    return act("answer", docId ? {article_id: docId} : {answer: suggestions.length ? undefined : $("f-content").value,
                                                         article_id: suggestions.length ? suggestions[0].doc_id : undefined});
  }

  $("call-start").addEventListener("submit", (ev) => { ev.preventDefault(); start($("caller-number").value); });
  $("replay").addEventListener("click", () => replay().catch((err) => { $("result").textContent = err.message; }));
  $("say").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!callId || !$("say-text").value.trim()) return;
    await api("POST", `/${callId}/utterances`, {speaker: "agent", text: $("say-text").value});
    $("say-text").value = "";
  });
  $("draft").addEventListener("change", (ev) => {
    if (!callId || !ev.target.name) return;
    api("PATCH", `/${callId}/draft`, {[ev.target.name]: ev.target.value}).then(render)
      .catch((err) => { $("result").textContent = err.message; });
  });
  $("submit").addEventListener("click", () => act("submit"));
  $("answer").addEventListener("click", () => answer(null));
  $("transfer").addEventListener("click", () => act("transfer", {service: $("transfer-service").value}));
  for (const b of document.querySelectorAll("#emergency .transfer")) {
    b.addEventListener("click", () => act("transfer", {service: b.dataset.service}));
  }
})();
