// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
// Becoming a supporter: the form, the confirmation mail (read from the real SMTP server that
// scripts/test.sh starts; its Maildir is MAILDIR), the command link (GET shows, POST does), with
// and without JavaScript and in German. axe-core checks every page of the journey.
import { test, expect, type Page } from "@playwright/test";
import { expectAccessible, mailTo, uniqueAddress } from "./support";

// Set by the describe block that turns JavaScript off.
let noScript = false;

function linkIn(mail: string): string {
  const match = mail.match(/https?:\/\/[^\s]+\/c\/[A-Za-z0-9_-]+/);
  if (!match) throw new Error(`no command link in:\n${mail}`);
  return new URL(match[0]).pathname;
}

async function registerAndConfirm(page: Page, address: string, labels: Record<string, string | RegExp>) {
  // axe runs as a script in the page: without JavaScript it cannot (the same pages are checked
  // in the runs with JavaScript).
  const javaScript = !noScript;
  const check = async () => {
    if (javaScript) await expectAccessible(page);
  };
  await page.goto("/register?referrer=e2e");
  await check();
  await page.getByLabel(labels.name, { exact: true }).fill("Grace <b>Hopper</b>");
  await page.getByLabel(labels.email, { exact: true }).fill(address);
  await page.getByLabel(labels.street).fill("Hauptstraße 1");
  await page.getByLabel(labels.city, { exact: true }).fill("Berlin");
  await page.getByRole("checkbox", { name: labels.newsletter }).check();
  await page.getByRole("button", { name: labels.submit }).click();
  await expect(page).toHaveURL(/\/register$/);
  await expect(page.getByRole("heading", { name: labels.sent })).toBeVisible();
  await check();

  const mail = await mailTo(address);
  // The name was typed with the address, by whoever typed it: mail to an unconfirmed address
  // carries no text the sender chose (app/src/mails.rs).
  expect(mail).not.toContain("Hopper");
  const link = linkIn(mail);
  await page.goto(link);
  await expect(page.getByText(labels.confirmText)).toBeVisible();
  await check();
  await page.getByRole("button", { name: labels.confirm }).click();
  await expect(page).toHaveURL(new RegExp(`${link}$`));
  await expect(page.getByText(labels.done)).toBeVisible();
  await check();
  // The link is spent: following it again says so in words.
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(labels.invalid);
  return mail;
}

const english = {
  name: "Your name",
  email: "Email address",
  street: "Street and number",
  city: "City",
  newsletter: "Newsletter",
  submit: "Register",
  sent: "Check your mail",
  confirmText: "Confirm your registration as a supporter.",
  confirm: "Confirm",
  done: /you are supporter number \d+/,
  invalid: "This link is not valid",
};

test("register, confirm by the mailed link, and see the supporter number", async ({ page }) => {
  const mail = await registerAndConfirm(page, uniqueAddress("grace"), english);
  expect(mail).toContain("Please confirm your registration");
});

/**
 * The whole journey after registering: choose a password at the idp through a mailed link, come
 * back logged in, edit the address, switch to German, add a second address and confirm it, make
 * it the primary one and remove the first, log out, and log in again with the new password.
 */
async function supporterJourney(page: Page, prefix: string) {
  const javaScript = !noScript;
  const address = uniqueAddress(prefix);
  const second = uniqueAddress(`${prefix}-second`);
  await registerAndConfirm(page, address, english);

  // A protected page leads to the idp, which can mail a link to choose a password.
  await page.goto("/settings");
  await page.getByLabel("Login name or email address").fill(address);
  await page.getByRole("button", { name: "I forgot my password" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  const mail = await mailTo(address, "/link?t=");
  const link = mail.match(/https?:\/\/\S+\/link\?t=[A-Za-z0-9_-]+/);
  if (!link) throw new Error(`no login link in:\n${mail}`);
  await page.goto(link[0]);
  await page.getByLabel("New password", { exact: true }).fill("correct horse battery staple");
  await page.getByLabel("New password again").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Save the password and log in" }).click();

  // Back at my.*, on the page the login started from.
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("My data");
  await expect(page.getByText(address)).toBeVisible();
  if (javaScript) await expectAccessible(page);

  // The address.
  const profile = page.getByRole("region", { name: "Name and postal address" });
  await profile.getByLabel("Street and number").fill("Jungfernstieg 1");
  await profile.getByLabel("City", { exact: true }).fill("Hamburg");
  await profile.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(profile.getByLabel("City", { exact: true })).toHaveValue("Hamburg");
  await expect(profile.getByLabel("Your name", { exact: true })).toHaveValue("Grace <b>Hopper</b>");

  // The language: the pages switch, and so do the mails.
  const language = page.getByRole("region", { name: "Language for our mails" });
  await language.locator("select").selectOption("de");
  await language.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Meine Daten");

  // A second address counts only once it is confirmed.
  const email = page.getByRole("region", { name: "E-Mail-Adresse hinzufügen" });
  await email.getByLabel("E-Mail-Adresse").fill(second);
  await email.getByRole("button", { name: "Link schicken" }).click();
  await expect(page.getByText(`Wir haben einen Link an ${second} geschickt.`)).toBeVisible();
  const confirmation = await mailTo(second, "/c/");
  expect(confirmation).toContain("bitte bestätigen Sie über diesen Link, dass diese Adresse Ihnen gehört");
  await page.goto(linkIn(confirmation));
  await expect(page.getByText(`${second} zu Ihren E-Mail-Adressen hinzufügen.`)).toBeVisible();
  if (javaScript) await expectAccessible(page);
  await page.getByRole("button", { name: "Bestätigen" }).click();
  await expect(page.getByText(`${second} ist jetzt eine Ihrer E-Mail-Adressen.`)).toBeVisible();
  await page.goto("/settings");
  await expect(page.getByText(second)).toBeVisible();

  // The new address becomes the primary one, and the first one is removed.
  const addresses = page.getByRole("region", { name: "E-Mail-Adressen" });
  await addresses.getByRole("button", { name: `${second} zur Hauptadresse machen` }).click();
  await expect(page.getByText(`${second} ist jetzt Ihre Hauptadresse`)).toBeVisible();
  await addresses.getByRole("button", { name: `${address} entfernen` }).click();
  await expect(page.getByText(`${address} wurde entfernt`)).toBeVisible();
  await expect(addresses.getByText(address, { exact: true })).toHaveCount(0);
  await expect(addresses.getByRole("button", { name: `${second} entfernen` })).toHaveCount(0);
  if (javaScript) await expectAccessible(page);

  await page.getByRole("button", { name: "Abmelden" }).click();
  await expect(page.getByText("Sie sind abgemeldet, hier und beim Anmeldedienst.")).toBeVisible();
  if (javaScript) await expectAccessible(page);
  await page.goto("/settings");
  await expect(page.getByLabel(/Login name or email address|Anmeldename oder E-Mail-Adresse/)).toBeVisible();

  // The new password works, with the address that is left.
  await page.getByLabel(/Login name or email address|Anmeldename oder E-Mail-Adresse/).fill(second);
  await page.getByLabel(/^(Password|Passwort)$/).fill("correct horse battery staple");
  await page.getByRole("button", { name: /^(Log in|Anmelden)$/ }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Meine Daten");
}

test("a supporter sets a password, logs in, edits their data, adds an address and logs out", async ({ page }) => {
  await supporterJourney(page, "ada");
});

test("a mistake comes back on the form, tied to its field", async ({ page }) => {
  await page.goto("/register");
  await page.getByLabel("Your name", { exact: true }).fill("Grace");
  await page.getByLabel("Email address", { exact: true }).fill("grace@");
  await page.getByLabel("Street and number").fill("Somewhere 1");
  // The browser's own checks would stop this address; the server must catch it too.
  await page.locator("form.form").evaluate((form: HTMLFormElement) => (form.noValidate = true));
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("alert")).toContainText("Please check these fields");
  const email = page.getByLabel("Email address", { exact: true });
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await expect(email).toHaveAccessibleDescription(/does not look right/);
  await expect(email).toHaveValue("grace@");
  await expectAccessible(page);
});

test("once hydrated, a field is checked as it is left, and the message goes as it is fixed", async ({ page }) => {
  await page.goto("/register");
  const name = page.getByLabel("Your name", { exact: true });
  const email = page.getByLabel("Email address", { exact: true });
  // Leaving a field is what asks for the check; retried until the form is hydrated.
  await expect(async () => {
    await email.fill("grace@");
    await page.locator("#language").focus();
    await expect(email).toHaveAttribute("aria-invalid", "true", { timeout: 1000 });
  }).toPass();
  await expect(email).toHaveAccessibleDescription(/does not look right/);
  // Fields not reached yet are not marked.
  await expect(name).not.toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("City", { exact: true })).not.toHaveAttribute("aria-invalid", "true");
  // Leaving the name empty marks it; fixing the address clears its message while typing.
  await name.focus();
  await email.fill("grace@example.org");
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveAccessibleDescription(/Please fill this in/);
  await expect(email).not.toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#email-error")).toHaveCount(0);
  await expectAccessible(page);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });
  test.beforeEach(() => {
    noScript = true;
  });
  test.afterEach(() => {
    noScript = false;
  });

  test("the whole registration works as plain forms", async ({ page }) => {
    await registerAndConfirm(page, uniqueAddress("nojs"), english);
  });

  test("the whole supporter journey works as plain forms", async ({ page }) => {
    await supporterJourney(page, "ada-nojs");
  });
});

test.describe("in German", () => {
  test.use({ locale: "de-DE" });

  test("the form, the mail and the confirmation speak German", async ({ page }) => {
    const mail = await registerAndConfirm(page, uniqueAddress("hilde"), {
      name: "Ihr Name",
      email: "E-Mail-Adresse",
      street: "Straße und Hausnummer",
      city: "Ort",
      newsletter: "Newsletter",
      submit: "Registrieren",
      sent: "Bitte sehen Sie in Ihr Postfach",
      confirmText: "Bestätigen Sie Ihre Registrierung als Unterstützer*in.",
      confirm: "Bestätigen",
      done: /Sie sind Unterstützer\*in Nummer \d+/,
      invalid: "Dieser Link ist nicht gültig",
    });
    expect(mail).toContain("Bitte bestätigen Sie Ihre E-Mail-Adresse");
  });
});
