// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
// The unsubscribe link of a campaign mail (/u/{token}), in German, with and without JavaScript:
// the page names the list and changes nothing; its one button posts RFC 8058's
// `List-Unsubscribe=One-Click` and the answer says so in German.
//
// A supporter registers with the newsletter ticked and confirms by the mailed link (as in
// registration.spec.ts); a mailing to the newsletter and that supporter's token come from
// `cdb-admin mailing create` and `cdb-admin mailing token` (no campaign mail needs sending).
// Needs what scripts/test.sh sets up: MAILDIR, DATABASE_URL (the e2e database, for cdb-admin),
// CDB_HTTP__PUBLIC_URL (a loopback address: the server and cdb-admin then share the
// development key file .local/mailing.keys, so cdb-admin runs in the directory the server runs
// in, the repository's), and a built target/debug/cdb-admin.
import { test, expect, type Page } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { expectAccessible, mailTo, uniqueAddress } from "./support";

const ROOT = resolve(__dirname, "../..");
const CDB_ADMIN = resolve(ROOT, "target/debug/cdb-admin");

/** Runs cdb-admin as an administrator would; its standard output and error. */
function cdbAdmin(...args: string[]): { stdout: string; stderr: string } {
  const run = spawnSync(CDB_ADMIN, args, { cwd: ROOT, env: process.env, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`cdb-admin ${args.join(" ")} failed:\n${run.stderr}`);
  return { stdout: run.stdout.trim(), stderr: run.stderr };
}

/** A draft mailing to the newsletter, and how many subscribers it would reach now. */
function newsletterMailing(): { id: string; recipients: number } {
  const { stdout, stderr } = cdbAdmin("mailing", "create", "--title", "E2E unsubscribe", "--list", "newsletter");
  const match = stderr.match(/(\d+) recipients match now/);
  if (!match) throw new Error(`no recipient count in:\n${stderr}`);
  return { id: stdout, recipients: Number(match[1]) };
}

/** A new supporter subscribed to the newsletter (registered and confirmed in English). */
async function subscribedSupporter(page: Page): Promise<string> {
  const address = uniqueAddress("unsubscribe");
  await page.goto("/register");
  await page.getByLabel("Your name", { exact: true }).fill("Ida Unsubscriber");
  await page.getByLabel("Email address", { exact: true }).fill(address);
  await page.getByRole("checkbox", { name: "Newsletter" }).check();
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: "Check your mail" })).toBeVisible();
  const link = (await mailTo(address)).match(/https?:\/\/[^\s]+\/c\/[A-Za-z0-9_-]+/);
  if (!link) throw new Error(`no command link in the mail to ${address}`);
  await page.goto(new URL(link[0]).pathname);
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByText(/you are supporter number \d+/)).toBeVisible();
  return address;
}

async function unsubscribeInGerman(page: Page, javaScript: boolean) {
  const address = await subscribedSupporter(page);
  const before = newsletterMailing();
  const token = cdbAdmin("mailing", "token", "--mailing", before.id, "--person", address).stdout;
  expect(token).toMatch(/^[A-Za-z0-9_-]{64}$/);

  // A German reader (the language cookie, as the language switch sets it: for the whole site;
  // a cookie given only a page's URL would be scoped to that page's folder).
  await page.context().addCookies([{ name: "i18n_pref_locale", value: "de", url: new URL("/", page.url()).href }]);
  const response = await page.goto(`/u/${token}`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()["referrer-policy"]).toBe("no-referrer");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Abbestellen");
  await expect(page.getByText("Möchten Sie die Informations-E-Mails „Newsletter“ nicht mehr erhalten?")).toBeVisible();
  if (javaScript) await expectAccessible(page);
  // Showing the page (as a mail scanner fetching it) unsubscribed nobody.
  expect(newsletterMailing().recipients).toBe(before.recipients);

  await page.getByRole("button", { name: "Abbestellen" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Abbestellt");
  await expect(page.getByRole("status")).toContainText("Sie sind von „Newsletter“ abgemeldet.");
  if (javaScript) await expectAccessible(page);
  expect(newsletterMailing().recipients).toBe(before.recipients - 1);

  // A link that is not ours: the same page in German, as 404, naming nothing.
  const forged = await page.goto(`/u/${token.slice(0, 63)}`);
  expect(forged?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dieser Link ist nicht gültig");
}

test("unsubscribe in one click, in German", async ({ page }) => {
  await unsubscribeInGerman(page, true);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("unsubscribe in one click, in German, as a plain form", async ({ page }) => {
    await unsubscribeInGerman(page, false);
  });
});
