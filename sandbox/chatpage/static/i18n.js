"use strict";
// The page's own words (its header, text box, invoices, service messages) in the user's language, as a
// Telegram app shows them in its own: ?lang=<language code>, mapped as the bot maps it (Russian for ru,
// uk, be, kk; English otherwise). What the bot says comes from the bot, not from here.
const ChatI18n = (() => {
  const WORDS = {
    en: {
      page_title: "Chat with the bot (Telegram stand-in)",
      bot: "Bot",
      status_bot: "bot",
      status_connecting: "connecting…",
      status_no_webhook: "bot · no webhook set: the bot gets updates only by getUpdates",
      action_typing: "typing…",
      action_upload_photo: "sending a photo…",
      action_upload_document: "sending a file…",
      user_box_title: "You write as this user (click to switch; or ?chat=<id>&name=<name>&lang=<code>)",
      attach_title: "Attach a photo, an album or a file",
      attach_photo: "🖼 Photo or album",
      attach_file: "📄 File",
      message_placeholder: "Message",
      send_title: "Send",
      not_sent: "Not sent: {error}",
      payment_failed: "Payment failed: {error}",
      sending_photos: "Sending photos: {count}…",
      sending_files: "Sending files: {count}…",
      switch_user_id: "Write as the user with id (a private chat's id is the user's id):",
      switch_user_name: "Their first name:",
      pay: "Pay {amount}",
      paying: "Paying…",
      paid: "✅ Paid",
      payment_status: "Payment {status}",
      you_paid: "You paid {amount}",
      refunded: "Refunded {amount}",
      not_simulated: "not simulated by the stand-in",
      edited: "edited",
      photo: "Photo",
      file: "File",
      message: "Message",
      chat_title: "{bot}: chat",
    },
    ru: {
      page_title: "Чат с ботом (стенд Telegram)",
      bot: "Бот",
      status_bot: "бот",
      status_connecting: "соединение…",
      status_no_webhook: "бот · вебхук не задан: бот получает обновления только через getUpdates",
      action_typing: "печатает…",
      action_upload_photo: "отправляет фото…",
      action_upload_document: "отправляет файл…",
      user_box_title: "Вы пишете от имени этого пользователя (нажмите, чтобы сменить; или ?chat=<id>&name=<имя>&lang=<код>)",
      attach_title: "Прикрепить фото, альбом или файл",
      attach_photo: "🖼 Фото или альбом",
      attach_file: "📄 Файл",
      message_placeholder: "Сообщение",
      send_title: "Отправить",
      not_sent: "Не отправлено: {error}",
      payment_failed: "Оплата не прошла: {error}",
      sending_photos: "Отправка фото: {count}…",
      sending_files: "Отправка файлов: {count}…",
      switch_user_id: "Писать от имени пользователя с id (id личного чата — это id пользователя):",
      switch_user_name: "Его имя:",
      pay: "Оплатить {amount}",
      paying: "Оплата…",
      paid: "✅ Оплачено",
      payment_status: "Платёж: {status}",
      you_paid: "Вы оплатили {amount}",
      refunded: "Возврат {amount}",
      not_simulated: "стенд этого не умеет",
      edited: "изменено",
      photo: "Фото",
      file: "Файл",
      message: "Сообщение",
      chat_title: "{bot}: чат",
    },
  };
  const RUSSIAN_READERS = ["ru", "uk", "be", "kk"];

  function languageFor(code) {
    const primary = String(code || "").trim().toLowerCase().replace("_", "-").split("-")[0];
    return RUSSIAN_READERS.includes(primary) ? "ru" : "en";
  }

  const lang = languageFor(new URLSearchParams(location.search).get("lang") || "en");

  function t(key, values) {
    const template = WORDS[lang][key] ?? WORDS.en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
  }

  // The static page: elements marked data-i18n (text), data-i18n-title, data-i18n-placeholder.
  function applyToPage() {
    document.documentElement.lang = lang;
    document.title = t("page_title");
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
  }

  return { lang, t, languageFor, applyToPage, WORDS };
})();
