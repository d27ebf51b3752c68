"""The chat page (sandbox.chatpage) in headless Chromium, used as a person would: /start, create an avatar
from 10 photos sent as an album through the page's file input, wait for the training, generate 2 images
and see them on the page. Screenshots of each step go to the test's tmp dir and to build/screenshots/.

Debian's chromium and chromedriver are used (CHROMIUM_PATH / CHROMEDRIVER_PATH override the paths); if they
are missing the test fails and says how to install them.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aisha.db import Database
from aisha.models import LedgerKind
from aisha.services import ledger
from aisha.texts import text as catalogue
from PIL import Image, ImageDraw
from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests import web

ROOT = Path(__file__).resolve().parents[3]
BOT_TIMEOUT = 60.0  # two cores shared with other test runs
TRAINING_TIMEOUT = 180.0
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=900,1000")
_FLAKY = (StaleElementReferenceException, ElementClickInterceptedException, ElementNotInteractableException)

# the newest bot bubble whose text contains arguments[0]: its message id, or null
_FIND_TEXT = """
const rows = [...document.querySelectorAll('#messages > .row.from-bot')]
  .filter((row) => row.querySelector('.bubble').textContent.includes(arguments[0]));
return rows.length ? Number(rows[rows.length - 1].dataset.messageId) : null;
"""
# the images of the newest bot album, once every one of them has loaded
_ALBUM_IMAGES = """
const albums = document.querySelectorAll('#messages > .row.from-bot[data-media-group]');
if (!albums.length) return null;
const images = [...albums[albums.length - 1].querySelectorAll('img.photo')];
return images.every((img) => img.complete && img.naturalWidth > 0)
  ? images.map((img) => [img.naturalWidth, img.naturalHeight]) : null;
"""

# the bot bubble with this message id: [its text, whether it shows "edited", its buttons' callback data]
_BUBBLE = """
const row = document.querySelector(`#messages > .row.from-bot[data-message-id="${arguments[0]}"]`);
if (!row) return null;
return [row.querySelector('.bubble').textContent, !!row.querySelector('.edited'),
        [...row.querySelectorAll('button.kb-btn')].map((b) => b.dataset.callback)];
"""


def _binary(variable: str, default: str) -> str:
    path = os.environ.get(variable, default)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is missing: the chat page test needs Debian's chromium and chromedriver "
                    f"(apt-get install -y chromium chromium-driver) or {variable} pointing at them", pytrace=False)
    return path


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One browser for the module: a Chromium start costs more CPU than most of these tests' steps."""
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("CHROMIUM_PATH", "/usr/bin/chromium")
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(_binary("CHROMEDRIVER_PATH", "/usr/bin/chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium: WebDriver) -> WebDriver:
    """The browser as a test finds it: a blank page at the default size, no console messages of the one
    before (the page keeps nothing in storage or cookies; each test opens its own chat)."""
    chromium.get("about:blank")
    chromium.set_window_size(900, 1000)
    chromium.get_log("browser")
    return chromium


class ChatPage:
    """The page as a person uses it: type, press buttons, attach photos; look at the bubbles."""

    def __init__(self, driver: WebDriver, shots: Path) -> None:
        self.driver, self.shots = driver, shots
        self.taken: list[Path] = []
        shots.mkdir(parents=True, exist_ok=True)

    def wait(self, check: Any, timeout: float = BOT_TIMEOUT, what: str = "it") -> Any:
        waiter = WebDriverWait(self.driver, timeout, poll_frequency=0.05, ignored_exceptions=_FLAKY)
        return waiter.until(lambda _: check(), message=f"timed out waiting for {what}")

    def open(self, url: str) -> None:
        self.driver.get(url)
        # under the feed's 25 s long poll: the first read of a new, empty chat answers at once
        self.wait(lambda: self.driver.find_elements(By.CSS_SELECTOR, "body[data-ready='1']"), 20.0, "the page")

    def say(self, text: str) -> None:
        box = self.driver.find_element(By.ID, "text")
        box.send_keys(text)
        self.driver.find_element(By.ID, "send").click()
        self.wait(lambda: box.get_attribute("value") == "", what=f"{text!r} to be sent")

    def see(self, fragment: str, timeout: float = BOT_TIMEOUT) -> int:
        """Wait for a bot bubble containing `fragment` (new, or an edit); its message id."""
        return int(self.wait(lambda: self.driver.execute_script(_FIND_TEXT, fragment), timeout, repr(fragment)))

    def press(self, data_prefix: str) -> None:
        """Click the newest inline button whose callback data starts with `data_prefix`."""
        selector = f'#messages button.kb-btn[data-callback^="{data_prefix}"]'

        def click() -> bool:
            found = self.driver.find_elements(By.CSS_SELECTOR, selector)
            if not found:
                return False
            found[-1].click()
            return True

        self.wait(click, what=f"a button {data_prefix!r}")

    def attach_photos(self, paths: list[Path]) -> None:
        """📎 -> "Photo or album" -> pick the files (the file chooser is the input the menu opens)."""
        self.driver.find_element(By.ID, "attach").click()
        self.wait(lambda: self.driver.find_element(By.ID, "attach-photo").is_displayed(), what="the attach menu")
        self.driver.find_element(By.ID, "attach").click()  # close the menu again: no native dialog headless
        self.driver.find_element(By.ID, "photo-input").send_keys("\n".join(str(p) for p in paths))

    def shot(self, name: str) -> Path:
        path = self.shots / f"{len(self.taken) + 1:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        self.taken.append(path)
        return path

    def album_sizes(self) -> list[list[int]]:
        return list(self.wait(lambda: self.driver.execute_script(_ALBUM_IMAGES), BOT_TIMEOUT, "the album's images"))


def _photos(folder: Path, count: int) -> list[Path]:
    """Distinct JPEGs over 512 px on the short side, as a person's photos would be."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        image = Image.new("RGB", (640, 800), (40 + index * 20, 120, 200 - index * 15))
        draw = ImageDraw.Draw(image)
        draw.ellipse((170, 150 + index * 8, 470, 500 + index * 8), fill=(235, 200, 170))
        draw.text((20, 20), f"photo {index + 1}", fill=(255, 255, 255))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        path = folder / f"me-{index + 1:02d}.jpg"
        path.write_bytes(out.getvalue())
        paths.append(path)
    return paths


def _credit(stack: Any, user_id: int, coins: int) -> None:
    database = Database(stack.env["DATABASE_URL"])
    try:
        with database.transaction() as conn:
            ledger.credit(conn, user_id, coins, LedgerKind.TOPUP, reason="chat page test")
    finally:
        database.close()


@contextlib.contextmanager
def _session(browser: WebDriver, tmp_path: Path, name: str) -> Iterator[ChatPage]:
    """The page for one test: a screenshot of the moment it failed, and its screenshots kept either way."""
    page = ChatPage(browser, tmp_path / "screenshots")
    try:
        yield page
    except Exception:
        with contextlib.suppress(Exception):
            page.shot("failure")
        raise
    finally:
        _keep(name, page.taken)


def _keep(name: str, shots: list[Path]) -> None:
    """Copy a test's screenshots to build/screenshots/ (gitignored), replacing its previous run's."""
    target = ROOT / "build" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob(f"chat-page-{name}-*.png"):
        old.unlink()
    for shot in shots:
        shutil.copy(shot, target / f"chat-page-{name}-{shot.name}")


def test_the_page_and_its_files_are_served_next_to_the_bot_api(stack: Any) -> None:
    base = stack.telegram.url
    for path in ("/", "/chat"):
        page = web.get(base + path, timeout=30)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "/chat/static/chat.js" in page.text and "http" not in page.text.split("<body>")[1]  # no CDN
    script = web.get(f"{base}/chat/static/chat.js", timeout=30)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    for missing in ("/chat/static/nope.js", "/chat/static/..%2froutes.py", "/chat/static/../routes.py"):
        assert web.get(base + missing, timeout=30).status_code == 404, missing
    assert web.get(f"{stack.telegram.base_url}{stack.telegram.token}/getMe", timeout=30).json()["ok"]


def test_an_avatar_and_two_images_through_the_chat_page(stack: Any, browser: WebDriver, tmp_path: Path) -> None:
    chat_id = random.randint(10**8, 10**9)
    with _session(browser, tmp_path, "avatar") as page:
        page.open(f"{stack.chat_page_url}?chat={chat_id}&name=Tess&lang=en")
        assert browser.find_element(By.ID, "bot-name").text, "the header shows the bot's name"

        page.say("/start")
        page.see("Main menu")
        _credit(stack, chat_id, 200)  # training 150 + 2 images 10
        page.shot("menu")

        page.press("avatar:new")
        page.see("What should it be called")
        page.say("Tess")
        page.see("Who is in the photos")
        page.press("avatar:gender:female")
        page.see("Which kind of avatar")
        page.press("avatar:type:portrait")
        page.see("Training quality")
        page.press("avatar:preset:balanced")
        page.see("created. Send 10 to 20 photos")
        page.shot("photos-asked")

        page.attach_photos(_photos(tmp_path / "photos", 10))
        page.see("Photos: 10 of", timeout=2 * BOT_TIMEOUT)
        uploaded = browser.find_elements(By.CSS_SELECTOR, "#messages > .row.from-user[data-media-group] img.photo")
        assert len(uploaded) == 10, "the album shows as one bubble of 10 photos"
        page.shot("album-counted")

        page.press("avatar:review:")
        page.see("Review before training")
        page.shot("review")
        page.press("avatar:confirm:")
        started = page.see("has started")
        page.see("is ready!", timeout=TRAINING_TIMEOUT)
        page.shot("avatar-ready")
        started_text, edited, _ = browser.execute_script(_BUBBLE, started)
        assert "has started" in started_text and not edited, "the milestone stays as it was sent"

        page.press("generate:")
        page.see("Describe")
        page.say("on a beach at sunset")
        page.press("gen:size:portrait_4_3")
        page.press("gen:count:2")
        page.see("Price: 10 coins")
        page.shot("generation-order")
        page.press("gen:confirm")
        page.see("They will arrive here")
        sizes = page.album_sizes()
        assert len(sizes) == 2 and all(w > 0 and h > 0 for w, h in sizes), sizes
        page.see("Done! Your prompt")
        what_next = page.see(catalogue("en", "generation_next"))
        callbacks = browser.execute_script(_BUBBLE, what_next)[2]
        assert [c.rsplit(":", 1)[0] for c in callbacks] == ["gallery:regen", "generate", "gallery:images"], callbacks
        browser.set_window_size(900, 1600)  # the last steps at once
        browser.execute_script("document.getElementById('messages').scrollTop = 1e9")
        page.shot("images")
        errors = [e for e in browser.get_log("browser") if e.get("source") == "javascript"]
        assert not errors, f"the page's script failed: {errors}"


def test_a_stars_top_up_and_a_file_through_the_chat_page(stack: Any, browser: WebDriver, tmp_path: Path) -> None:
    chat_id = random.randint(10**8, 10**9)
    with _session(browser, tmp_path, "stars") as page:
        page.open(f"{stack.chat_page_url}?chat={chat_id}&name=Max&lang=en")
        page.say("/start")
        page.see("Main menu")
        page.press("balance:show")
        page.see("Your balance: 0 coins")
        page.press("balance:topup")
        page.see("Choose a package")
        page.press("balance:buy:250")
        pay = page.wait(lambda: browser.find_element(By.CSS_SELECTOR, "#messages .invoice button.pay"),
                        what="the invoice's Pay button")
        assert pay.text.startswith("Pay ⭐"), pay.text
        page.shot("invoice")
        pay.click()
        page.see("Payment received: +250 coins")
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#messages .invoice .paid"), what="'Paid'")
        assert browser.find_element(By.CSS_SELECTOR, "#messages > .service").text.startswith("You paid ⭐")
        page.shot("paid")

        photo = _photos(tmp_path / "files", 1)[0]
        browser.find_element(By.ID, "file-input").send_keys(str(photo))
        page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#messages > .row.from-user .document .name"),
                  what="the file's bubble")
        assert browser.find_element(By.CSS_SELECTOR, "#messages > .row.from-user .document .name").text == photo.name
        page.see("while an avatar is being created")
        page.shot("file")


def _fragment(language: str, key: str, **values: Any) -> str:
    """The first line of a catalogue entry, as the page shows it in a bubble."""
    from aisha.texts import text

    return text(language, key, **values).splitlines()[0]


def test_the_page_and_the_bot_speak_russian_to_a_russian_user(stack: Any, browser: WebDriver,
                                                              tmp_path: Path) -> None:
    """lang=uk: the bot answers from the Russian catalogue, the page's own words are Russian too (text box,
    invoice, payment), an unknown command is named, a style preset and a Cyrillic prompt read as Russian."""
    from aisha.texts import text

    chat_id = random.randint(10**8, 10**9)
    with _session(browser, tmp_path, "russian") as page:
        page.open(f"{stack.chat_page_url}?chat={chat_id}&name=Оксана&lang=uk")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru"
        assert browser.find_element(By.ID, "text").get_attribute("placeholder") == "Сообщение"
        assert browser.find_element(By.ID, "attach-photo").get_attribute("textContent") == "🖼 Фото или альбом"
        page.say("/start")
        page.see(_fragment("ru", "welcome", name="Оксана", bonus=stack.env.get("WELCOME_BONUS", "0")))
        page.see(_fragment("ru", "menu_title", balance=0))
        page.shot("menu")

        page.say("/foo")
        page.see(_fragment("ru", "unknown_command", command="foo", commands=""))
        page.see(f"/paysupport — {text('ru', 'command_paysupport')}")
        page.shot("unknown-command")

        page.press("balance:show")
        page.press("balance:topup")
        page.press("balance:buy:250")
        pay = page.wait(lambda: browser.find_element(By.CSS_SELECTOR, "#messages .invoice button.pay"),
                        what="the invoice's Pay button")
        assert pay.text == "Оплатить ⭐ 50", pay.text
        page.shot("invoice")
        pay.click()
        page.see(_fragment("ru", "balance_paid", coins=250, balance=250))
        paid = page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#messages .invoice .paid"), what="paid")
        assert paid[0].text == "✅ Оплачено"
        assert browser.find_element(By.CSS_SELECTOR, "#messages > .service").text == "Вы оплатили ⭐ 50"
        page.shot("paid")

        known = {job["request_id"] for job in stack.fal.jobs()}
        page.say("/generate")
        page.press("gen:avatar:none")
        page.press("gen:style:fantasy")
        shown = text("ru", "gen_style_fantasy_prompt")
        page.see(shown)
        page.press("gen:size:square_hd")
        page.press("gen:count:1")
        page.press("gen:confirm")
        page.see(_fragment("ru", "generation_done", prompt=shown))  # the result's caption, in Russian too
        jobs = [job for job in stack.fal.jobs() if job["request_id"] not in known]
        assert len(jobs) == 1 and jobs[0]["arguments"]["prompt"].startswith("epic fantasy character portrait")
        assert not browser.execute_script(_FIND_TEXT, "epic fantasy"), "the English prompt is FAL's only"
        page.shot("style-in-russian")

        page.say("/generate")
        page.press("gen:avatar:none")
        page.say("Кот в шляпе на луне")
        page.press("gen:size:landscape_4_3")
        page.press("gen:count:1")
        page.press("gen:confirm")
        page.see(_fragment("ru", "generation_done", prompt="Кот в шляпе на луне"))
        picture = page.wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#messages > .row.from-bot img.photo"),
                            what="the generated picture")
        page.wait(lambda: browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                                                 picture[-1]), what="the picture to load")
        browser.execute_script("document.getElementById('messages').scrollTop = 1e9")
        page.shot("cyrillic-prompt-image")
        errors = [e for e in browser.get_log("browser") if e.get("source") == "javascript"]
        assert not errors, f"the page's script failed: {errors}"


def test_a_german_user_gets_english_from_the_page_and_the_bot(stack: Any, browser: WebDriver,
                                                              tmp_path: Path) -> None:
    chat_id = random.randint(10**8, 10**9)
    with _session(browser, tmp_path, "german") as page:
        page.open(f"{stack.chat_page_url}?chat={chat_id}&name=Jonas&lang=de")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        assert browser.find_element(By.ID, "text").get_attribute("placeholder") == "Message"
        page.say("/start")
        page.see(_fragment("en", "menu_title", balance=0))
        page.press("lang:choose")
        page.press("lang:set:ru")  # the bot switches; the page stays in the app's language, as Telegram's does
        page.see(_fragment("ru", "language_set"))
        assert browser.find_element(By.ID, "text").get_attribute("placeholder") == "Message"
        page.shot("switched-to-russian")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_payment_receipt_stays_when_its_buttons_are_used(stack: Any, browser: WebDriver, tmp_path: Path,
                                                             lang: str) -> None:
    """Issue 14: the receipt is a milestone. Its Balance button opens a new message below it, and the
    balance's Promo button edits that one, never the receipt."""
    chat_id = random.randint(10**8, 10**9)
    with _session(browser, tmp_path, f"receipt-{lang}") as page:
        page.open(f"{stack.chat_page_url}?chat={chat_id}&name=Rita&lang={lang}")
        page.say("/start")
        page.see(catalogue(lang, "menu_title", balance=0))
        page.press("balance:show")
        page.press("balance:topup")
        page.see(catalogue(lang, "balance_topup_title"))
        page.press("balance:buy:250")
        page.wait(lambda: browser.find_element(By.CSS_SELECTOR, "#messages .invoice button.pay"),
                  what="the invoice's Pay button").click()
        receipt_text = catalogue(lang, "balance_paid", coins=250, balance=250)
        receipt = page.see(receipt_text)

        page.press("balance:show")  # the newest one: the receipt's own Balance button
        balance = page.see(catalogue(lang, "balance_title", balance=250, training=150, image=5).split("\n")[0])
        assert balance > receipt, "the balance opens below the receipt"
        page.press("balance:promo")
        assert page.see(catalogue(lang, "balance_promo_ask")) == balance, "the balance step is edited"
        page.wait(lambda: browser.execute_script(_BUBBLE, balance)[1], what="the balance bubble marked edited")

        text, edited, callbacks = browser.execute_script(_BUBBLE, receipt)
        assert receipt_text in text and not edited, (text, edited)
        assert callbacks == ["balance:show", "menu:show"]  # still there, still leading to new messages
        browser.execute_script("document.getElementById('messages').scrollTop = 1e9")
        page.shot(f"receipt-stays-{lang}")
