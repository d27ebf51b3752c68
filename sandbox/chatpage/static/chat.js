"use strict";
// The chat's state and actions: the user (from the query string), the live feed (long polling of
// /_sandbox/chats/{id}/feed), writing, pressing buttons, sending photos, albums and files, paying.
(() => {
  const API = "/_sandbox";
  const query = new URLSearchParams(location.search);
  const chatId = parseInt(query.get("chat") || "1001", 10);
  const profile = { first_name: query.get("name") || "Developer", language_code: query.get("lang") || "en" };
  if (query.get("username")) profile.username = query.get("username");
  if (query.get("last_name")) profile.last_name = query.get("last_name");

  const $ = (id) => document.getElementById(id);
  const list = $("messages");
  const records = new Map(); // message_id -> {direction, message, deleted}
  const payments = new Map(); // invoice message_id -> checkout
  const pressed = new Map(); // callback_query_id -> button element
  let rev = 0;
  let typingTimer = null;
  let toastTimer = null;
  const t = ChatI18n.t;
  let idle = t("status_bot"); // the header's subtitle when nothing happens

  async function call(method, path, body) {
    const init = { method, headers: {} };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
    const response = await fetch(API + path, init);
    const answer = await response.json().catch(() => ({ ok: false, error: { message: response.statusText } }));
    if (!answer.ok) throw new Error((answer.error && answer.error.message) || `HTTP ${response.status}`);
    return answer.result;
  }

  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
  }

  function alertBox(text) {
    $("alert-text").textContent = text;
    $("alert").hidden = false;
  }

  function status(text, cls) {
    const node = $("bot-status");
    node.textContent = text;
    node.className = cls || "";
  }

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  }

  function scrollDown() {
    list.scrollTop = list.scrollHeight;
  }

  // -- rendering -------------------------------------------------------------------------------------
  const actions = {
    onButton: press,
    onPay: pay,
    onCommand: (text) => sendText(text),
  };

  function place(node, order) {
    node.dataset.order = order;
    const next = [...list.children].find((child) => Number(child.dataset.order) > order);
    list.insertBefore(node, next || null);
  }

  function members(group) {
    return [...records.values()].filter((r) => !r.deleted && r.message.media_group_id === group)
      .sort((a, b) => a.message.message_id - b.message.message_id);
  }

  function renderRecord(record) {
    const message = record.message;
    const group = message.media_group_id;
    const selector = group ? `[data-media-group="${CSS.escape(group)}"]` : `[data-message-id="${message.message_id}"]`;
    const old = list.querySelector(`:scope > ${selector}`);
    const items = group ? members(group) : record.deleted ? [] : [record];
    if (old) old.remove();
    if (!items.length) return;
    const node = ChatRender.row(items.map((r) => r.message), items[0].direction, payments, actions);
    if (group) node.dataset.mediaGroup = group;
    place(node, items[0].message.message_id);
    for (const img of node.querySelectorAll("img")) {
      img.addEventListener("load", () => { if (nearBottom()) scrollDown(); });
    }
  }

  function renderReplyKeyboard(markup) {
    const box = $("reply-keyboard");
    box.replaceChildren();
    const rows = (markup && markup.keyboard) || [];
    box.hidden = !rows.length;
    for (const row of rows) {
      const line = ChatRender.el("div", "kb-row");
      for (const button of row) {
        const label = typeof button === "string" ? button : button.text;
        const node = ChatRender.el("button", "kb-btn", label);
        node.type = "button";
        node.addEventListener("click", () => {
          sendText(label);
          if (markup.one_time_keyboard) box.hidden = true;
        });
        line.appendChild(node);
      }
      box.appendChild(line);
    }
  }

  function showAction(chat) {
    const action = chat && chat.last_action;
    if (!action || action.rev <= rev) return;
    const known = ["typing", "upload_photo", "upload_document"].includes(action.action);
    status(known ? t(`action_${action.action}`) : `${action.action.replace(/_/g, " ")}…`, "active");
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => status(idle), 5000);
  }

  function apply(feed) {
    const stick = nearBottom();
    showAction(feed.chat);
    if (feed.chat) renderReplyKeyboard(feed.chat.reply_keyboard);
    for (const payment of feed.payments) payments.set(payment.invoice_message_id, payment);
    let botSpoke = false;
    for (const item of feed.messages) {
      records.set(item.message_id, { direction: item.direction, message: item.message, deleted: item.deleted });
      botSpoke = botSpoke || item.direction === "out";
    }
    for (const item of feed.messages) renderRecord(records.get(item.message_id));
    for (const payment of feed.payments) {
      const record = records.get(payment.invoice_message_id);
      if (record) renderRecord(record);
    }
    for (const answer of feed.callback_answers) {
      const button = pressed.get(answer.id);
      if (!button) continue;
      pressed.delete(answer.id);
      button.classList.remove("pending");
      const text = answer.answer && answer.answer.text;
      if (text) (answer.answer.show_alert ? alertBox : toast)(text);
    }
    if (botSpoke) { clearTimeout(typingTimer); status(idle); }
    rev = feed.rev;
    document.body.dataset.rev = String(rev);
    if (stick || feed.messages.some((m) => m.direction === "in")) scrollDown();
  }

  async function poll() {
    let wait = 0; // the first read answers at once (a new chat has nothing to wait for); later ones long-poll
    for (;;) {
      try {
        const feed = await call("GET", `/chats/${chatId}/feed?since_rev=${rev}&wait=${wait}`);
        wait = 25;
        if (feed.rev < rev) { // the stand-in was reset: start over
          records.clear(); payments.clear(); list.replaceChildren(); rev = 0;
          continue;
        }
        if ($("bot-status").classList.contains("offline")) status(idle);
        apply(feed);
        document.body.dataset.ready = "1";
      } catch (error) {
        status(t("status_connecting"), "offline");
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
    }
  }

  // -- actions ---------------------------------------------------------------------------------------
  async function sendText(text) {
    if (!text.trim()) return;
    try {
      await call("POST", `/chats/${chatId}/messages`, { text, from: profile });
    } catch (error) {
      toast(t("not_sent", { error: error.message }));
      throw error;
    }
  }

  async function press(messageId, button, node) {
    node.classList.add("pending");
    try {
      const answer = await call("POST", `/chats/${chatId}/callback`, { message_id: messageId, data: button.callback_data });
      pressed.set(answer.callback_query_id, node);
      setTimeout(() => node.classList.remove("pending"), 15000);
    } catch (error) {
      node.classList.remove("pending");
      toast(error.message);
    }
  }

  async function pay(messageId, node) {
    node.disabled = true;
    try {
      await call("POST", `/chats/${chatId}/pay`, { message_id: messageId });
    } catch (error) {
      node.disabled = false;
      toast(t("payment_failed", { error: error.message }));
    }
  }

  async function sendFiles(kind, files) {
    const caption = $("text").value.trim();
    const batches = [];
    for (let i = 0; i < files.length; i += 10) batches.push(files.slice(i, i + 10));
    const note = ChatRender.el("div", "uploading", t(kind === "photos" ? "sending_photos" : "sending_files", { count: files.length }));
    note.dataset.order = String(Number.MAX_SAFE_INTEGER);
    list.appendChild(note);
    scrollDown();
    try {
      for (const [index, batch] of batches.entries()) {
        const form = new FormData();
        batch.forEach((file, i) => form.append(`file${i}`, file, file.name));
        if (caption && index === 0) form.append("caption", caption);
        await call("POST", `/chats/${chatId}/${kind}`, form);
      }
      if (caption) $("text").value = "";
    } catch (error) {
      toast(t("not_sent", { error: error.message }));
    } finally {
      note.remove();
    }
  }

  function wire() {
    const text = $("text");
    $("composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = text.value;
      if (!value.trim()) return;
      text.value = "";
      try { await sendText(value); } catch { text.value = value; }
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("composer").requestSubmit(); }
    });
    $("attach").addEventListener("click", () => { $("attach-menu").hidden = !$("attach-menu").hidden; });
    $("attach-photo").addEventListener("click", () => { $("attach-menu").hidden = true; $("photo-input").click(); });
    $("attach-file").addEventListener("click", () => { $("attach-menu").hidden = true; $("file-input").click(); });
    for (const [id, kind] of [["photo-input", "photos"], ["file-input", "documents"]]) {
      const input = $(id);
      input.addEventListener("change", async () => {
        const files = [...input.files];
        input.value = "";
        if (files.length) await sendFiles(kind, files);
      });
    }
    $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
    $("user-box").addEventListener("click", switchUser);
  }

  // Write as another user: the page reloads with ?chat=<id>&name=<name> (the other query values kept).
  function switchUser() {
    const id = window.prompt(t("switch_user_id"), String(chatId));
    if (!id || !/^[1-9][0-9]{0,14}$/.test(id.trim())) return;
    const name = window.prompt(t("switch_user_name"), id.trim() === String(chatId) ? profile.first_name : "");
    const next = new URLSearchParams(location.search);
    next.set("chat", id.trim());
    if (name && name.trim()) next.set("name", name.trim()); else next.delete("name");
    location.search = next.toString();
  }

  async function start() {
    ChatI18n.applyToPage();
    wire();
    $("user-box").textContent = `${profile.first_name} · ${chatId}`;
    try {
      const info = await call("GET", "");
      const bot = info.bot || {};
      $("bot-name").textContent = bot.first_name || bot.username || t("bot");
      $("bot-avatar").textContent = (bot.first_name || "B").slice(0, 1).toUpperCase();
      document.title = t("chat_title", { bot: bot.first_name || t("bot") });
      if (!(info.webhook && info.webhook.url)) idle = t("status_no_webhook");
      await call("POST", `/chats/${chatId}/user`, profile);
      status(idle);
    } catch (error) {
      status(t("status_connecting"), "offline");
    }
    poll();
  }

  start();
})();
