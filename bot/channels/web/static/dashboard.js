// Dashboard: charts (Chart.js, vendored) from the page's JSON, removal confirmations, build progress.
(function () {
  "use strict";
  var COLORS = { answered: "#2e7d32", confirm: "#f9a825", refused: "#c62828", confirmed: "#1565c0", bar: "#b71c1c" };

  function data() {
    var el = document.getElementById("chart-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function charts(d) {
    if (!d || typeof Chart === "undefined") return;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.maintainAspectRatio = false;
    var el = document.getElementById("chart-days");
    if (el && d.days) {
      new Chart(el, {
        type: "bar",
        data: {
          labels: d.days.labels,
          datasets: [
            { label: "Đã trả lời", data: d.days.answered, backgroundColor: COLORS.answered, stack: "q" },
            { label: "Hỏi lại “Có phải…”", data: d.days.confirm, backgroundColor: COLORS.confirm, stack: "q" },
            { label: "Chưa có câu trả lời", data: d.days.refused, backgroundColor: COLORS.refused, stack: "q" },
            { label: "Xác nhận “Đúng”", data: d.days.confirmed, type: "line", borderColor: COLORS.confirmed, backgroundColor: COLORS.confirmed, tension: 0.3 },
          ],
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    el = document.getElementById("chart-top");
    if (el && d.top && d.top.values.length) {
      new Chart(el, {
        type: "bar",
        data: { labels: d.top.labels, datasets: [{ label: "Số lần", data: d.top.values, backgroundColor: COLORS.bar }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    el = document.getElementById("chart-quiz");
    if (el && d.quiz && d.quiz.labels.length) {
      new Chart(el, {
        type: "bar",
        data: {
          labels: d.quiz.labels,
          datasets: [
            { label: "Lượt tham gia", data: d.quiz.participants, backgroundColor: COLORS.confirmed, yAxisID: "y" },
            { label: "Tỉ lệ đúng (%)", data: d.quiz.accuracy, type: "line", borderColor: COLORS.answered, backgroundColor: COLORS.answered, yAxisID: "pct" },
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

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  function progress() {
    var box = document.getElementById("job");
    if (!box || box.getAttribute("data-finished") === "yes") return;
    var stage = document.getElementById("job-stage");
    var bar = document.getElementById("job-bar");
    var results = document.getElementById("job-results");
    function tick() {
      fetch(box.getAttribute("data-url"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
        if (j.finished) {
          stage.textContent = j.failed ? "Có lỗi — xem nhật ký máy chủ." : "Xong.";
          bar.max = 1; bar.value = 1;
          results.textContent = "";
          j.results.forEach(function (text) {
            var p = document.createElement("p");
            p.className = "result";
            p.textContent = text;  // text, never HTML
            results.appendChild(p);
          });
          box.setAttribute("data-finished", "yes");
          return;
        }
        stage.textContent = (j.stage || "Đang bắt đầu") + (j.total ? ": " + j.done + "/" + j.total : "");
        bar.max = j.total || 1; bar.value = j.done;
        setTimeout(tick, 700);
      }).catch(function () { setTimeout(tick, 2000); });
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    charts(data());
    confirmations();
    progress();
  });
})();
