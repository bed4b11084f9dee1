// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
// The landing page of my.*: rendered on the server, hydrated, bilingual, usable without JavaScript.
import { expect, test } from "@playwright/test";

const ORGANISATION = process.env.CDB_SITE__ORGANISATION ?? "Community Database";

test("the landing page is complete before any script runs", async ({ request }) => {
  const response = await request.get("/", { headers: { "Accept-Language": "en" } });
  expect(response.status()).toBe(200);
  // Leptos puts hydration markers (<!>) between text fragments; a reader never sees them.
  const html = (await response.text()).replaceAll("<!>", "");
  expect(html).toContain(`<h1>Support ${ORGANISATION}</h1>`);
  expect(html).toContain('href="/register"');
  expect(html).toContain('href="/login"');
  expect(html).toContain('data-hydrated="false"');
});

test("the amount picker works once the page is hydrated, and the choice carries over", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator(".amount-picker")).toHaveAttribute("data-hydrated", "true");
  const summary = page.locator(".amount-summary");
  await expect(summary).toHaveText("€10 a month adds up to €120 a year for free software.");
  await page.getByLabel("€25 a month").check();
  await expect(summary).toHaveText("€25 a month adds up to €300 a year for free software.");
  // It changed in place: no navigation happened.
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole("button", { name: "Continue with this amount" }).click();
  // On to the donate form, prefilled with the amount through the address.
  await expect(page).toHaveURL(/\/donate\?(?=.*\bamount=25\b)(?=.*\bperiod=monthly\b)/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Donate");
  await expect(page.getByRole("radio", { name: "€25", exact: true })).toBeChecked();
  await expect(page.getByRole("radio", { name: "monthly", exact: true })).toBeChecked();
});

test("switching the language keeps the reader on the page, and the choice is remembered", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator(".amount-picker")).toHaveAttribute("data-hydrated", "true");
  await page.getByRole("button", { name: "Deutsch" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${ORGANISATION} unterstützen`);
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  await expect(page).toHaveURL(/\/$/);
  // A new page from the server: its island hydrates again.
  await expect(page.locator(".amount-picker")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("25 € im Monat").check();
  await expect(page.locator(".amount-summary")).toHaveText("25 € im Monat sind 300 € im Jahr für Freie Software.");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${ORGANISATION} unterstützen`);
  await page.getByRole("button", { name: "English" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Support ${ORGANISATION}`);
});

test("the browser's language is the default", async ({ browser }) => {
  const context = await browser.newContext({ locale: "de-DE" });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${ORGANISATION} unterstützen`);
  await expect(page.getByRole("link", { name: "Förderer werden" }).first()).toBeVisible();
  await context.close();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the language switch and the amount form still work", async ({ page }) => {
    await page.goto("/register");
    await page.getByRole("button", { name: "Deutsch" }).click();
    // The form posted, the server set the cookie and sent us back to the same page.
    await expect(page).toHaveURL(/\/register$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Förderer werden");

    await page.goto("/");
    await expect(page.locator(".amount-picker")).toHaveAttribute("data-hydrated", "false");
    await page.getByLabel("50 € im Monat").check();
    await page.getByRole("button", { name: "Mit diesem Betrag weiter" }).click();
    // A plain GET form: the choice travels in the address, so a reload shows it again.
    await expect(page).toHaveURL(/\/donate\?(?=.*\bamount=50\b)(?=.*\bperiod=monthly\b)/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Spenden");
    await expect(page.getByRole("radio", { name: "50 €", exact: true })).toBeChecked();
    await expect(page.getByRole("radio", { name: "monatlich", exact: true })).toBeChecked();
    await page.reload();
    await expect(page.getByRole("radio", { name: "50 €", exact: true })).toBeChecked();
  });
});

test("an unknown path gets a friendly 404 page", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await page.getByRole("link", { name: "Back to the home page" }).click();
  await expect(page).toHaveURL(/\/$/);
});
