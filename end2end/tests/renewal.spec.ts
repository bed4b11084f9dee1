// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
// A pledge outlives its collector, in the browser, with and without JavaScript: the demo
// supporter gives monthly by card (Stripe Checkout against the local stand-in), Stripe's
// webhooks (signed here exactly as Stripe signs them) complete the checkout, pay a month and
// then delete the subscription; the renewal mail arrives at the SMTP sink, its link shows the
// pledge and the ways to pay, an abandoned card checkout leaves it usable, and two clicks from
// the mail the donor pays by bank transfer and sees the transfer details.
//
// Needs what scripts/test.sh sets up: MAILDIR, STRIPE_REQUESTS (the stand-in's request log) and
// the webhook secret, read from STRIPE_WEBHOOK_SECRET or else from `stripe.whsec` beside the
// request log (where scripts/test.sh writes it). Skipped without the Stripe stand-in.
import { test, expect, type Page } from "@playwright/test";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { countMailsTo, expectAccessible, nextMailTo } from "./support";

const STRIPE_REQUESTS = process.env.STRIPE_REQUESTS ?? "";
const FIXTURES = resolve(__dirname, "../../providers/tests/fixtures/stripe");
const ADA = "ada@example.org";

function webhookSecret(): string {
  if (process.env.STRIPE_WEBHOOK_SECRET) return process.env.STRIPE_WEBHOOK_SECRET;
  const file = join(dirname(STRIPE_REQUESTS), "stripe.whsec");
  if (!existsSync(file)) throw new Error(`no STRIPE_WEBHOOK_SECRET and no ${file}`);
  return readFileSync(file, "utf8").trim();
}

/** A Stripe-documented event from the fixtures, to be changed per test. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function fixture(name: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));
}

/** Posts an event to the webhook with a `Stripe-Signature` made as Stripe makes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function deliver(page: Page, event: any) {
  const body = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", webhookSecret()).update(`${t}.${body}`).digest("hex");
  const response = await page.request.post("/webhooks/stripe", {
    headers: { "content-type": "application/json", "stripe-signature": `t=${t},v1=${v1}` },
    data: body,
  });
  expect(response.status(), `${event.type}: ${await response.text()}`).toBe(200);
}

interface StripeRequest {
  method: string;
  path: string;
  params: [string, string][];
  idempotency_key: string | null;
}

function checkoutRequests(): StripeRequest[] {
  // The stand-in writes its log on its first request.
  if (!existsSync(STRIPE_REQUESTS)) return [];
  return readFileSync(STRIPE_REQUESTS, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as StripeRequest)
    .filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions");
}

function param(request: StripeRequest, key: string): string | undefined {
  return request.params.find(([k]) => k === key)?.[1];
}

/** The Checkout Session request after the first `seen`; waits 5 s. */
async function newCheckoutRequest(seen: number): Promise<StripeRequest> {
  for (let i = 0; i < 100; i++) {
    const sessions = checkoutRequests();
    if (sessions.length > seen) return sessions[seen];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no new Checkout Session request in ${STRIPE_REQUESTS}`);
}

/** Clicks `button` and expects to be sent to Checkout (answered here, another site); the request. */
async function toCheckout(page: Page, click: () => Promise<void>): Promise<StripeRequest> {
  const seen = checkoutRequests().length;
  await page.route(/^https:\/\/checkout\.stripe\.com\//, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: "<title>Checkout</title>Checkout" }),
  );
  const arrival = page.waitForRequest(/^https:\/\/checkout\.stripe\.com\//, { timeout: 10_000 });
  await click();
  await arrival;
  // Wait until the browser is there, so that the next navigation does not cut this one off.
  await expect(page).toHaveURL(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
  await expect(page).toHaveTitle("Checkout");
  return newCheckoutRequest(seen);
}

async function logInAsAda(page: Page) {
  await page.goto("/donations");
  await page.getByLabel("Login name or email address").fill("ada");
  await page.getByLabel(/^Password$/).fill("ada-lovelace-1815");
  await page.getByRole("button", { name: "Log in", exact: true }).click();
  await expect(page).toHaveURL(/\/donations$/);
}

/**
 * Ada gives `amount` a month by card; Stripe completes the checkout, collects a month and then
 * deletes the subscription after failed payments. Returns the pledge id.
 */
async function cardDonorWhoseSubscriptionEnded(page: Page, amount: string): Promise<string> {
  await logInAsAda(page);
  await page.goto("/donate?period=monthly");
  await page.getByRole("radio", { name: "Card or other methods (Stripe)" }).check();
  await page.getByLabel("Your own amount").fill(amount);
  const request = await toCheckout(page, () => page.getByRole("button", { name: "Donate", exact: true }).click());
  const pledge = param(request, "metadata[pledge]") ?? "";
  expect(pledge).toMatch(/^[0-9a-f-]{36}$/);
  const minor = Math.round(Number(amount) * 100);
  const suffix = randomBytes(6).toString("hex");
  const [subscription, customer] = [`sub_e2e_${suffix}`, `cus_e2e_${suffix}`];
  const now = Math.floor(Date.now() / 1000);

  const completed = fixture("checkout_session_completed_subscription.json");
  completed.id = `evt_cs_${suffix}`;
  completed.created = now;
  Object.assign(completed.data.object, { subscription, customer, client_reference_id: pledge });
  completed.data.object.metadata.pledge = pledge;
  await deliver(page, completed);

  const paid = fixture("invoice_paid.json");
  paid.id = `evt_in_${suffix}`;
  paid.created = now;
  Object.assign(paid.data.object, {
    id: `in_${suffix}`,
    customer,
    amount_paid: minor,
    amount_due: minor,
    total: minor,
    subtotal: minor,
  });
  paid.data.object.status_transitions.paid_at = now;
  paid.data.object.parent.subscription_details.subscription = subscription;
  paid.data.object.parent.subscription_details.metadata.pledge = pledge;
  await deliver(page, paid);

  const deleted = fixture("customer_subscription_deleted.json");
  deleted.id = `evt_del_${suffix}`;
  deleted.created = now;
  Object.assign(deleted.data.object, { id: subscription, customer });
  deleted.data.object.metadata.pledge = pledge;
  deleted.data.object.cancellation_details.reason = "payment_failed";
  await deliver(page, deleted);
  return pledge;
}

/** The path of the command link in a mail. */
function linkPath(mail: string): string {
  const match = mail.match(/https?:\/\/[^\s]+(\/c\/[A-Za-z0-9_-]+)/);
  if (!match) throw new Error(`no link in:\n${mail}`);
  return match[1];
}

async function journey(page: Page, javaScript: boolean) {
  const amount = javaScript ? "8" : "9";
  const seen = countMailsTo(ADA, "choose a way to pay here");
  const pledge = await cardDonorWhoseSubscriptionEnded(page, amount);

  // "My donations" says so and leads to the renewal page.
  await page.goto("/donations");
  const article = page.locator(`#pledge-${pledge}`);
  await expect(article.locator(".pledge-status")).toHaveText("needs a new way to pay");
  await expect(article.getByRole("link", { name: "Choose a new way to pay" })).toHaveAttribute(
    "href",
    `/donations/${pledge}/renew`,
  );
  if (javaScript) await expectAccessible(page);

  // The mail's link, followed in a browser that is not logged in (the mail is enough).
  const mail = await nextMailTo(ADA, "choose a way to pay here", seen);
  const link = linkPath(mail);
  const donor = await page.context().browser()!.newContext({ javaScriptEnabled: javaScript });
  const tab = await donor.newPage();
  await tab.goto(link);
  await expect(tab.getByRole("heading", { level: 1 })).toHaveText("Keep your donation going");
  await expect(tab.getByRole("status").filter({ hasText: "gave up collecting this donation" })).toBeVisible();
  await expect(tab.locator(".renew-pledge h2")).toHaveText(`€${amount} · monthly`);
  const reference = ((await tab.locator(".renew-pledge .reference").textContent()) ?? "").trim();
  expect(reference).toMatch(/^RF\d{2}( [0-9A-Z]{1,4})+$/);
  expect(mail.includes(reference) || mail.includes(reference.replaceAll(" ", ""))).toBe(true);
  await expect(tab.locator("table.payments .amount")).toHaveText([`€${amount}`]);
  if (javaScript) await expectAccessible(tab);

  // Card first, then abandoned: nothing changed, and the same link offers the choice again.
  const request = await toCheckout(tab, () =>
    tab.getByRole("button", { name: "Pay by card or other methods (Stripe)" }).click(),
  );
  expect(param(request, "metadata[pledge]")).toBe(pledge);
  expect(param(request, "mode")).toBe("subscription");
  expect(request.idempotency_key).toMatch(new RegExp(`^renew-${pledge}-`));
  expect(param(request, "cancel_url")).toMatch(/\/renew\/cancelled$/);
  await tab.goto("/renew/cancelled");
  await expect(tab.getByRole("heading", { level: 1 })).toHaveText("Nothing has changed");
  if (javaScript) await expectAccessible(tab);
  await tab.getByRole("link", { name: "Choose again" }).click();
  await expect(tab).toHaveURL(new RegExp(`${link}$`));
  await expect(tab.getByRole("heading", { level: 1 })).toHaveText("Keep your donation going");

  // Bank transfer: the second click. The transfer details, with the standing-order hint.
  await tab.getByRole("button", { name: "Pay by bank transfer" }).click();
  await expect(tab).toHaveURL(new RegExp(`/donate/transfer/${pledge}$`));
  await expect(tab.getByRole("heading", { level: 1 })).toHaveText("Your transfer details");
  await expect(tab.locator(".transfer-details .reference")).toHaveText(reference);
  await expect(tab.getByText("standing order with this reference")).toBeVisible();
  await expect(tab.locator(".epc-qr-code svg")).toBeVisible();
  if (javaScript) await expectAccessible(tab);

  // The link is spent; "My donations" shows the same pledge, active, by bank transfer.
  await tab.goto(link);
  await expect(tab.getByText("your donation has a new way to pay")).toBeVisible();
  await donor.close();
  await page.goto("/donations");
  await expect(article.locator(".pledge-status")).toHaveText("active");
  await expect(article.locator(".reference")).toHaveText(reference);
  await expect(article.getByRole("link", { name: "Choose a new way to pay" })).toHaveCount(0);
}

test.describe("renewal", () => {
  test.skip(!STRIPE_REQUESTS, "STRIPE_REQUESTS is not set: no Stripe stand-in on this stack");

  test("a card donor whose subscription ended renews by bank transfer in two clicks", async ({ page }) => {
    await journey(page, true);
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("the same renewal works with plain forms", async ({ page }) => {
      await journey(page, false);
    });
  });
});
