/* Dashboard and report charts (ECharts, vendored). Each chart counts itself on ECharts' 'finished'
   in the container's data-charts attribute, so tests and the wall screen know when all are drawn. */
(function () {
  "use strict";
  var labels = window.ANALYTICS_LABELS || {};

  function chart(id, option, host) {
    var el = document.getElementById(id);
    if (!el) return;
    var c = echarts.init(el);
    var counted = false;
    c.on("finished", function () {
      if (counted) return;
      counted = true;
      host.dataset.charts = String(Number(host.dataset.charts || 0) + 1);
    });
    c.setOption(Object.assign({ animation: false }, option));
    window.addEventListener("resize", function () { c.resize(); });
  }

  function volumeOption(volume) {
    var days = [], channels = {};
    volume.forEach(function (v) {
      if (days.indexOf(v.day) < 0) days.push(v.day);
      channels[v.channel] = channels[v.channel] || {};
      channels[v.channel][v.day] = v.count;
    });
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 24 },
      xAxis: { type: "category", data: days }, yAxis: { type: "value" },
      series: Object.keys(channels).map(function (name) {
        return { name: name, type: "bar", stack: "all", data: days.map(function (d) { return channels[name][d] || 0; }) };
      })
    };
  }

  function percent(rate) { return rate === null || rate === undefined ? "–" : (rate * 100).toFixed(1) + "%"; }

  function paintMap(districts) {
    var max = 1, counts = {};
    districts.forEach(function (d) { counts[d.name] = d.count; max = Math.max(max, d.count); });
    document.querySelectorAll(".district-map .tile").forEach(function (tile) {
      var n = counts[tile.dataset.district] || 0;
      var light = 95 - Math.round(55 * n / max);
      tile.querySelector("rect").style.fill = "hsl(205, 70%, " + light + "%)";
      tile.classList.toggle("dark", light < 62);
      tile.querySelector(".count").textContent = String(n);
    });
  }

  function rows(tableId, items, cells) {
    var table = document.getElementById(tableId);
    var body = table.querySelector("tbody");
    body.textContent = "";
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      cells(item).forEach(function (value) {
        var td = document.createElement("td");
        td.textContent = value;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.parentNode.querySelector(".empty").hidden = items.length > 0;
  }

  function dashboard(host) {
    fetch("/api/v1/analytics/dashboard?days=" + encodeURIComponent(host.dataset.days), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        document.getElementById("kpi-total").textContent = String(d.total);
        document.getElementById("kpi-on-time").textContent = percent(d.on_time.rate);
        document.getElementById("kpi-satisfaction").textContent = percent(d.satisfaction.rate);
        document.getElementById("kpi-surges").textContent = String(d.surges.length);
        chart("chart-volume", volumeOption(d.volume), host);
        chart("chart-categories", {
          tooltip: { trigger: "item" },
          series: [{ type: "pie", radius: ["35%", "70%"], data: d.categories.slice(0, 12).map(function (c) { return { name: c.name, value: c.count }; }) }]
        }, host);
        var sat = d.satisfaction.counts;
        chart("chart-satisfaction", {
          tooltip: { trigger: "item" },
          series: [{ type: "pie", radius: "65%", data: Object.keys(sat).map(function (k) { return { name: labels[k] || k, value: sat[k] }; }) }]
        }, host);
        var units = d.units.slice(0, 10).reverse();
        chart("chart-units", {
          tooltip: { trigger: "axis" }, legend: { top: 0 },
          grid: { left: 120, right: 16, top: 28, bottom: 24 },
          xAxis: { type: "value" }, yAxis: { type: "category", data: units.map(function (u) { return u.unit_name; }) },
          series: [
            { name: labels.orders || "orders", type: "bar", data: units.map(function (u) { return u.orders; }) },
            { name: labels.on_time || "on time", type: "bar", data: units.map(function (u) { return u.on_time; }) }
          ]
        }, host);
        paintMap(d.districts);
        rows("hotspots", d.hotspots, function (h) { return [h.rank, h.heat, h.place, h.summary + "（" + h.problem + "）", h.appeals]; });
        rows("surges", d.surges, function (s) { return [s.key, s.observed, s.expected, s.ratio + "×"]; });
        host.dataset.loaded = "1";
      });
  }

  var host = document.getElementById("dashboard");
  if (host) dashboard(host);
  var report = document.getElementById("report");
  if (report) {
    var data = JSON.parse(document.getElementById("report-data").textContent);
    chart("chart-volume", volumeOption(data.volume), report);
  }
})();
