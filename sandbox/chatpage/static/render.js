"use strict";
// Bubbles from Bot API Message objects as the stand-in stores them: text with entities, photos and
// albums, documents, invoices, service messages, inline keyboards. No state here: chat.js owns it.
const ChatRender = (() => {
  const FILES = "/_sandbox/files/";
  const t = ChatI18n.t;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function safeUrl(url) {
    return /^(https?:|tg:|mailto:)/i.test(url || "") ? url : null;
  }

  // One entity as an element around `inner` (entity offsets are UTF-16 units, as JS strings are).
  function wrap(entity, inner, segment, actions) {
    const tags = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
      blockquote: "blockquote", expandable_blockquote: "blockquote" };
    let node;
    if (tags[entity.type]) {
      node = el(tags[entity.type]);
    } else if (entity.type === "text_link" || entity.type === "url") {
      node = el("a");
      const href = safeUrl(entity.type === "url" ? segment : entity.url);
      if (href) { node.href = href; node.target = "_blank"; node.rel = "noopener"; }
    } else if (entity.type === "bot_command") {
      node = el("span", "command");
      node.addEventListener("click", () => actions.onCommand(segment));
    } else if (entity.type === "spoiler") {
      node = el("span", "spoiler");
      node.addEventListener("click", () => node.classList.add("shown"));
    } else {
      node = el("span", entity.type.replace(/[^a-z_]/g, ""));
    }
    node.appendChild(inner);
    return node;
  }

  // Telegram marks /commands in bot messages as bot_command entities; the stand-in's HTML parser does not.
  function withCommands(text, given) {
    const entities = [...(given || [])];
    if (entities.some((e) => e.type === "bot_command")) return entities;
    for (const match of text.matchAll(/(^|[\s(])(\/[a-zA-Z0-9_]{1,32})(?=$|[\s.,;:!?)])/g)) {
      const offset = match.index + match[1].length;
      const length = match[2].length;
      if (!entities.some((e) => offset < e.offset + e.length && e.offset < offset + length)) {
        entities.push({ type: "bot_command", offset, length });
      }
    }
    return entities.sort((a, b) => a.offset - b.offset);
  }

  function formatted(text, given, actions) {
    const box = el("div", "text");
    const entities = withCommands(text, given);
    if (!entities || !entities.length) { box.textContent = text; return box; }
    const cuts = new Set([0, text.length]);
    for (const e of entities) { cuts.add(e.offset); cuts.add(Math.min(e.offset + e.length, text.length)); }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i++) {
      const [from, to] = [points[i], points[i + 1]];
      const segment = text.slice(from, to);
      let node = document.createTextNode(segment);
      const covering = entities.filter((e) => e.offset <= from && e.offset + e.length >= to);
      for (const entity of covering.reverse()) {
        const whole = text.slice(entity.offset, entity.offset + entity.length);
        node = wrap(entity, node, whole, actions);
      }
      box.appendChild(node);
    }
    return box;
  }

  function clock(seconds) {
    const at = new Date(seconds * 1000);
    return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
  }

  function meta(message) {
    const box = el("span", "meta");
    if (message.edit_date) box.appendChild(el("span", "edited", t("edited")));
    box.appendChild(document.createTextNode(clock(message.date)));
    return box;
  }

  // The PhotoSize to show: the smallest at least `width` px wide, else the largest.
  function pickSize(sizes, width) {
    const sorted = [...sizes].sort((a, b) => a.width - b.width);
    return sorted.find((s) => s.width >= width) || sorted[sorted.length - 1];
  }

  function photoGrid(messages) {
    const photos = messages.filter((m) => m.photo && m.photo.length);
    const grid = el("div", "photos " + (photos.length === 1 ? "n1" : photos.length <= 4 && photos.length !== 3 ? `n${photos.length}` : "many"));
    for (const message of photos) {
      const shown = pickSize(message.photo, photos.length === 1 ? 800 : 320);
      const full = pickSize(message.photo, 100000);
      const img = el("img", "photo");
      img.src = FILES + encodeURIComponent(shown.file_id);
      img.alt = "photo";
      img.dataset.messageId = message.message_id;
      img.width = shown.width; img.height = shown.height;
      img.addEventListener("click", () => window.open(FILES + encodeURIComponent(full.file_id), "_blank"));
      grid.appendChild(img);
    }
    return grid;
  }

  function size(bytes) {
    if (!bytes && bytes !== 0) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function documentCard(doc) {
    const card = el("a", "document");
    card.href = FILES + encodeURIComponent(doc.file_id);
    card.download = doc.file_name || "file";
    const icon = el("div", "icon", doc.thumbnail ? null : "📄");
    if (doc.thumbnail) {
      const thumb = el("img");
      thumb.src = FILES + encodeURIComponent(doc.thumbnail.file_id);
      thumb.alt = "";
      icon.appendChild(thumb);
    }
    const about = el("div");
    about.appendChild(el("div", "name", doc.file_name || "file"));
    about.appendChild(el("div", "size", size(doc.file_size)));
    card.append(icon, about);
    return card;
  }

  function invoiceBox(message, payment, actions) {
    const inv = message.invoice;
    const box = el("div", "invoice");
    box.appendChild(el("div", "invoice-title", inv.title));
    box.appendChild(el("div", "invoice-description", inv.description));
    const stars = inv.currency === "XTR" ? `⭐ ${inv.total_amount}` : `${inv.total_amount} ${inv.currency}`;
    box.appendChild(el("div", "amount", stars));
    if (payment && payment.status === "paid") {
      box.appendChild(el("div", "paid", t("paid")));
    } else {
      const pay = el("button", "pay", t("pay", { amount: stars }));
      pay.type = "button";
      pay.dataset.invoice = message.message_id;
      if (payment && payment.status === "pending") { pay.disabled = true; pay.textContent = t("paying"); }
      if (payment && payment.status !== "pending") {
        box.appendChild(el("div", "payment-error", payment.error_message || t("payment_status", { status: payment.status })));
      }
      pay.addEventListener("click", () => actions.onPay(message.message_id, pay));
      box.appendChild(pay);
    }
    return box;
  }

  function keyboard(message, actions) {
    const rows = (message.reply_markup || {}).inline_keyboard || [];
    const box = el("div", "keyboard");
    for (const row of rows) {
      const line = el("div", "kb-row");
      for (const button of row) {
        let node;
        if (button.url) {
          node = el("a", "kb-btn", `${button.text} ↗`);
          const href = safeUrl(button.url);
          if (href) { node.href = href; node.target = "_blank"; node.rel = "noopener"; }
        } else {
          node = el("button", "kb-btn", button.text);
          node.type = "button";
          if (button.callback_data !== undefined) {
            node.dataset.callback = button.callback_data;
            node.addEventListener("click", () => actions.onButton(message.message_id, button, node));
          } else if (button.pay) {
            node.addEventListener("click", () => actions.onPay(message.message_id, node));
          } else {
            node.disabled = true;
            node.title = t("not_simulated");
          }
        }
        line.appendChild(node);
      }
      box.appendChild(line);
    }
    return rows.length ? box : null;
  }

  function replyQuote(message) {
    const target = message.reply_to_message;
    if (!target) return null;
    const box = el("div", "reply-quote");
    box.appendChild(el("div", "reply-name", (target.from && target.from.first_name) || ""));
    const about = target.text || target.caption || t(target.photo ? "photo" : target.document ? "file" : "message");
    box.appendChild(el("div", "reply-text", about));
    return box;
  }

  function serviceText(message) {
    const paid = message.successful_payment;
    if (paid) {
      const amount = paid.currency === "XTR" ? `⭐ ${paid.total_amount}` : `${paid.total_amount} ${paid.currency}`;
      return t("you_paid", { amount });
    }
    const refunded = message.refunded_payment;
    if (refunded) return t("refunded", { amount: `⭐ ${refunded.total_amount}` });
    return null;
  }

  function unknownKind(message) {
    const kinds = ["sticker", "voice", "video", "audio", "animation", "location", "contact", "poll", "dice"];
    const kind = kinds.find((k) => message[k]);
    return kind ? `[${kind}]` : "[message]";
  }

  // A row for one message, or for an album (messages sharing a media_group_id, in order).
  function row(messages, direction, payments, actions) {
    const first = messages[0];
    const service = serviceText(first);
    if (service) {
      const node = el("div", "service", service);
      node.dataset.messageId = first.message_id;
      return node;
    }
    const line = el("div", `row ${direction === "out" ? "from-bot" : "from-user"}`);
    line.dataset.messageId = first.message_id;
    line.dataset.direction = direction === "out" ? "bot" : "user";
    if (first.media_group_id) line.dataset.mediaGroup = first.media_group_id;
    const bubble = el("div", "bubble");
    const quote = replyQuote(first);
    if (quote) bubble.appendChild(quote);
    const captioned = messages.find((m) => m.caption) || first;
    const text = captioned.text ?? captioned.caption;
    const entities = captioned.entities || captioned.caption_entities;
    if (messages.some((m) => m.photo)) {
      bubble.classList.add("media");
      bubble.appendChild(photoGrid(messages));
    }
    for (const m of messages) if (m.document) bubble.appendChild(documentCard(m.document));
    if (first.invoice) bubble.appendChild(invoiceBox(first, payments.get(first.message_id), actions));
    if (text) bubble.appendChild(formatted(text, entities, actions));
    if (bubble.childNodes.length === (quote ? 1 : 0)) bubble.appendChild(el("div", "text", unknownKind(first)));
    bubble.appendChild(meta(messages[messages.length - 1]));
    line.appendChild(bubble);
    const buttons = keyboard(first, actions);
    if (buttons) line.appendChild(buttons);
    return line;
  }

  return { el, row };
})();
