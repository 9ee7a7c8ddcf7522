// The web chat: questions and taps are posted with fetch and the server's HTML fragment (already
// escaped) is appended to the conversation. Without JavaScript the same forms post normally.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var ask = document.getElementById("ask");
  var box = document.getElementById("q");

  function typing(on) {
    var el = document.getElementById("typing");
    if (on && !el) {
      el = document.createElement("div");
      el.id = "typing";
      el.className = "msg bot typing";
      el.setAttribute("aria-label", "Đang tìm câu trả lời");
      el.innerHTML = "<span></span><span></span><span></span>";
      log.appendChild(el);
      el.scrollIntoView({ block: "end", behavior: "smooth" });
    } else if (!on && el) {
      el.remove();
    }
  }

  function show(html) {
    var start = log.children.length;
    log.insertAdjacentHTML("beforeend", html);
    var first = log.children[start];
    if (first) first.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function post(form, submitter) {
    var data = new FormData(form, submitter);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    if (form === ask) {
      var text = (data.get("q") || "").trim();
      if (!text) { buttons.forEach(function (b) { b.disabled = false; }); return; }
      box.value = "";
      resize();
    }
    typing(true);
    return fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    }).then(function (r) { return r.text(); }).then(function (html) {
      typing(false);
      show(html);
      if (submitter && submitter.classList.contains("feedback")) {
        submitter.classList.add("chosen");  // 👍/👎 stay disabled: one vote shown
      } else if (form !== ask) {
        buttons.forEach(function (b) { b.disabled = false; });
      }
      if (submitter && submitter.classList.contains("letter")) {
        submitter.classList.add("chosen");
      }
    }).catch(function () {
      typing(false);
      show('<div class="msg bot note alert"><p>Không gửi được. Bạn kiểm tra kết nối rồi thử lại nhé.</p></div>');
      buttons.forEach(function (b) { b.disabled = false; });
    }).finally(function () {
      ask.querySelector("button").disabled = false;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !(form.action.endsWith("/ask") || form.action.endsWith("/tap"))) return;
    event.preventDefault();
    post(form, event.submitter);
  });

  function resize() {
    box.style.height = "auto";
    box.style.height = Math.min(box.scrollHeight, 160) + "px";
  }
  box.addEventListener("input", resize);
  box.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line (as in chat apps).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask.requestSubmit();
    }
  });
})();
