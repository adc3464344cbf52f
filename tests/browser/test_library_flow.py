"""A designer builds a cast in Chromium: project, library, three subjects with dropped
images (one file refused next to its name), quick edit, and the library attached."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from library.models import Subject
from tests.conftest import screenshot
from tests.factories import PASSWORD, make_image

pytestmark = pytest.mark.browser


def portrait(background: tuple, accent: tuple, *, size=(640, 800), fmt="PNG") -> bytes:
    """A simple, recognisable picture: a gradient with a figure-like shape."""
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = tuple(int(c * (0.65 + 0.35 * y / height)) for c in background)
        draw.line([(0, y), (width, y)], fill=shade)
    draw.ellipse([width * 0.32, height * 0.18, width * 0.68, height * 0.46], fill=accent)
    draw.rounded_rectangle(
        [width * 0.2, height * 0.5, width * 0.8, height * 1.05], radius=80, fill=accent
    )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def drop_files(page, selector: str, files: list[tuple[str, str, bytes]]) -> None:
    """Dispatch a real drop event carrying these files on the drop zone."""
    page.locator(f"{selector}[data-enhanced]").wait_for(state="attached")  # library.js is ready
    payload = [
        {"name": name, "type": mime, "data": base64.b64encode(content).decode()}
        for name, mime, content in files
    ]
    page.evaluate(
        """([selector, files]) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, {type: f.type}));
            }
            const zone = document.querySelector(selector);
            const init = {bubbles: true, cancelable: true, dataTransfer: transfer};
            zone.dispatchEvent(new DragEvent("dragover", init));
            zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        [selector, payload],
    )


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Start your first project").wait_for()


def test_building_a_cast_and_using_it_in_a_project(page, alice):
    log_in(page)
    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("Name").fill("Spring campaign")
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("heading", name="Spring campaign").wait_for()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Libraries").click()
    page.get_by_role("heading", name="Build your cast").wait_for()
    screenshot(page, "libraries-empty")
    page.get_by_role("link", name="New library").first.click()
    page.get_by_label("Name").fill("Main cast")
    page.get_by_role("button", name="Create library").click()
    page.get_by_role("heading", name="No subjects yet").wait_for()
    screenshot(page, "library-empty")

    # 1. Mia: two images dropped on the zone.
    page.get_by_role("link", name="New subject").first.click()
    page.wait_for_load_state("load")  # the drop zone works once library.js is in
    page.get_by_label("Name").fill("Mia")
    page.get_by_label("Description").fill("Red coat, short dark hair, freckles")
    drop_files(
        page,
        "[data-dropzone]",
        [
            ("mia-front.png", "image/png", portrait((235, 120, 90), (120, 30, 40))),
            ("mia-side.jpg", "image/jpeg", portrait((250, 170, 120), (90, 20, 30), fmt="JPEG")),
        ],
    )
    assert page.locator(".upload-item").count() == 2
    screenshot(page, "subject-new-dropped")
    page.get_by_role("button", name="Save subject").click()
    page.get_by_role("heading", name="@Mia").wait_for()
    page.locator(".image-gallery img").nth(1).wait_for()
    screenshot(page, "subject-page")

    # 2. Hana: one good image and one GIF pretending to be a PNG, dropped together.
    page.goto(Subject.objects.get(name="Mia").library.get_absolute_url())
    page.get_by_role("link", name="New subject").first.click()
    page.wait_for_load_state("load")
    page.get_by_label("Name").fill("Hana")
    drop_files(
        page,
        "[data-dropzone]",
        [
            ("hana.webp", "image/webp", portrait((110, 150, 230), (30, 40, 110), fmt="WEBP")),
            ("beach.png", "image/png", make_image(300, 300, fmt="GIF")),
        ],
    )
    page.get_by_role("button", name="Save subject").click()
    rejected = page.locator(".upload-item.rejected", has_text="beach.png")
    rejected.get_by_text("GIF is not supported. Use PNG, JPEG or WebP.").wait_for()
    page.locator(".upload-item.done", has_text="hana.webp").wait_for()
    screenshot(page, "subject-new-rejected-file")
    page.get_by_role("link", name="Open the subject").click()
    page.get_by_role("heading", name="@Hana").wait_for()

    # 3. Beach: a scene, its image picked with the file input on the subject page.
    page.goto(Subject.objects.get(name="Mia").library.get_absolute_url())
    page.get_by_role("link", name="New subject").first.click()
    page.get_by_label("Name").fill("Beach")
    page.get_by_label("Kind").select_option("scene")
    page.get_by_role("button", name="Save subject").click()
    page.get_by_role("heading", name="@Beach").wait_for()
    page.wait_for_load_state("load")  # the picker uploads once library.js is in
    page.get_by_label("Images").set_input_files(
        [
            {
                "name": "beach-wide.jpg",
                "mimeType": "image/jpeg",
                "buffer": portrait((90, 190, 210), (240, 215, 150), size=(1200, 700), fmt="JPEG"),
            }
        ]
    )
    page.locator(".upload-item.done", has_text="beach-wide.jpg").wait_for()
    page.locator(".image-gallery img").first.wait_for()
    assert Subject.objects.get(name="Beach").images.count() == 1

    # The library grid, search and keyboard quick edit.
    page.get_by_role("link", name="Main cast").first.click()
    page.locator(".subject-card").nth(2).wait_for()
    screenshot(page, "library-grid")
    page.wait_for_load_state("load")  # the search reacts once the page's scripts are in
    page.get_by_label("Search subjects by name").fill("ha")
    page.wait_for_url("**?q=ha")
    page.locator(".subject-card").first.wait_for()
    assert page.locator(".subject-card").count() == 1
    page.get_by_label("Search subjects by name").fill("")
    expect(page.locator(".subject-card")).to_have_count(3)  # no eval under the page's CSP

    page.get_by_role("button", name="Quick edit @Hana").click()
    name_field = page.locator(".quick-edit").get_by_label("Name")
    expect(name_field).to_be_focused()
    name_field.fill("Hana Blue")
    page.locator(".quick-edit").get_by_role("button", name="Save subject").click()
    page.locator(".quick-edit .field-errors").get_by_text("Names can use letters").wait_for()
    screenshot(page, "library-quick-edit-error")
    name_field = page.locator(".quick-edit").get_by_label("Name")
    name_field.fill("Hana_Blue")
    name_field.press("Enter")
    page.get_by_role("link", name="@Hana_Blue").wait_for()
    page.get_by_role("button", name="Quick edit @Mia").click()
    name_field = page.locator(".quick-edit").get_by_label("Name")
    expect(name_field).to_be_focused()  # htmx has settled the form in
    name_field.press("Escape")
    page.get_by_role("button", name="Quick edit @Mia").wait_for()
    assert page.locator(".quick-edit").count() == 0

    # Attach the library to the project.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.get_by_role("link", name="Spring campaign").click()
    page.get_by_label("Attach a library").select_option(label="Main cast")
    page.get_by_role("button", name="Attach").click()
    page.get_by_role("link", name="@Hana_Blue").wait_for()
    screenshot(page, "project-with-library")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.locator(".tile-cover img").wait_for()
    screenshot(page, "projects-with-cover")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Libraries").click()
    screenshot(page, "libraries-list")
    page.emulate_media(color_scheme="dark")
    page.get_by_role("link", name="Main cast").click()
    page.locator(".subject-card").nth(2).wait_for()
    screenshot(page, "library-grid-dark")
