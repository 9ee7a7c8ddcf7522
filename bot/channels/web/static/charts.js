// The overview's charts (Chart.js, vendored), drawn from the page's JSON; series names come from the
// server, so the chart, the stats and the CSV say the same thing.
(function () {
  "use strict";
  var COLORS = { answered: "#2e7d32", confirm: "#f9a825", refused: "#c62828", confirmed: "#1565c0", suggested: "#6a1b9a", bar: "#b71c1c" };

  function draw() {
    var el = document.getElementById("chart-data");
    if (!el || typeof Chart === "undefined") return;
    var d = JSON.parse(el.textContent);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.maintainAspectRatio = false;
    var s = d.series;
    var canvas = document.getElementById("chart-days");
    if (canvas) {
      var bars = ["answered", "confirm", "refused"].map(function (k) {
        return { label: s[k], data: d.days[k], backgroundColor: COLORS[k], stack: "q" };
      });
      var lines = ["confirmed", "suggested"].map(function (k) {
        return { label: s[k], data: d.days[k], type: "line", borderColor: COLORS[k], backgroundColor: COLORS[k], tension: 0.3 };
      });
      new Chart(canvas, {
        type: "bar",
        data: { labels: d.days.labels, datasets: bars.concat(lines) },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    canvas = document.getElementById("chart-top");
    if (canvas && d.top.values.length) {
      new Chart(canvas, {
        type: "bar",
        data: { labels: d.top.labels, datasets: [{ label: "Số lần được trích", data: d.top.values, backgroundColor: COLORS.bar }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    canvas = document.getElementById("chart-quiz");
    if (canvas && d.quiz.labels.length) {
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: d.quiz.labels,
          datasets: [
            { label: "Lượt trả lời", data: d.quiz.answers, backgroundColor: COLORS.confirmed, yAxisID: "y" },
            { label: "Tỉ lệ đúng (%)", data: d.quiz.share, type: "line", borderColor: COLORS.answered, backgroundColor: COLORS.answered, yAxisID: "pct" },
          ],
        },
        options: {
          scales: {
            y: { beginAtZero: true, ticks: { precision: 0 } },
            pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
          },
        },
      });
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
