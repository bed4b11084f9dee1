// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
// Donating without an account, with and without JavaScript: the donate form, the transfer
// details with the EPC QR code (decoded here from a screenshot of the inline SVG, every field
// checked), the confirmation mail, a bank statement (camt.053) imported with
// `cdb-admin payments import` before the address is confirmed, the thank-you mail on
// confirmation, and the payment on "My donations". And the way to Stripe Checkout, against the
// local stand-in for Stripe's API (providers/examples/stripe_stand_in.rs), up to the redirect.
//
// Needs what scripts/test.sh sets up: MAILDIR (the SMTP sink's Maildir), DATABASE_URL (the e2e
// database, for cdb-admin), a built target/debug/cdb-admin, and STRIPE_REQUESTS (the file the
// stand-in writes the requests it got to, as JSON lines; the Stripe tests are skipped without).
import { test, expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { expectAccessible, expectNoMail, mailTo, uniqueAddress } from "./support";

// Twice the pixels, so the QR code's modules are whole pixels in the screenshot.
test.use({ deviceScaleFactor: 2 });
const CDB_ADMIN = resolve(__dirname, "../../target/debug/cdb-admin");

function linkIn(mail: string, pattern = /https?:\/\/[^\s]+\/c\/[A-Za-z0-9_-]+/): string {
  const match = mail.match(pattern);
  if (!match) throw new Error(`no link in:\n${mail}`);
  return match[0];
}

/** The EPC QR code on the page, decoded from a screenshot of the inline SVG. */
async function decodeQr(page: Page): Promise<string> {
  const svg = page.locator(".epc-qr-code svg");
  await expect(svg).toBeVisible();
  await expect(svg).toHaveAttribute("role", "img");
  await expect(svg).toHaveAttribute("aria-label", /EPC QR code/);
  const png = PNG.sync.read(await svg.screenshot({ scale: "device" }));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!code) throw new Error("the QR code could not be decoded");
  return code.data;
}

/** A camt.053.001.08 statement with one incoming transfer that carries `reference`. */
function statement(reference: string, amount: string, from: string): string {
  const today = new Date().toISOString().slice(0, 10);
  const id = `E2E-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>${id}</MsgId><CreDtTm>${today}T06:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>${id}-01</Id>
      <CreDtTm>${today}T06:00:00Z</CreDtTm>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">${amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>${today}</Dt></BookgDt>
        <ValDt><Dt>${today}</Dt></ValDt>
        <AcctSvcrRef>${id}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Amt Ccy="EUR">${amount}</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties>
              <Dbtr><Pty><Nm>${from}</Nm></Pty></Dbtr>
              <DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct>
            </RltdPties>
            <RmtInf>
              <Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>${reference}</Ref></CdtrRefInf></Strd>
            </RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
`;
}

/** Imports a statement the way an administrator does. */
function importStatement(xml: string) {
  const file = join(mkdtempSync(join(tmpdir(), "cdb-e2e-")), "statement.xml");
  writeFileSync(file, xml);
  const output = execFileSync(CDB_ADMIN, ["payments", "import", file], { env: process.env, encoding: "utf8" });
  expect(output).toContain("imported");
}

/**
 * The whole journey of a visitor: donate monthly by bank transfer without an account, check the
 * transfer details and the QR code, have the transfer arrive on a statement, then confirm the
 * address and get thanked for it, choose a password at the idp and see the payment on
 * "My donations".
 */
async function journey(page: Page, javaScript: boolean) {
  const address = uniqueAddress(javaScript ? "donor" : "donor-nojs");
  const check = async () => {
    if (javaScript) await expectAccessible(page);
  };

  // The landing page's amount leads to the form, prefilled.
  await page.goto("/");
  if (javaScript) await expect(page.locator(".amount-picker")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("€25 a month").check();
  await page.getByRole("button", { name: "Continue with this amount" }).click();
  await expect(page).toHaveURL(/\/donate\?(?=.*\bamount=25\b)(?=.*\bperiod=monthly\b)/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Donate");
  await expect(page.getByRole("radio", { name: "€25", exact: true })).toBeChecked();
  await expect(page.getByRole("radio", { name: "monthly", exact: true })).toBeChecked();
  await expect(page.getByRole("radio", { name: /Bank transfer/ })).toBeChecked();
  await check();

  // A mistake first: the form comes back with the field marked and what was typed.
  await page.getByLabel("Your own amount").fill("0.50");
  await page.getByLabel("Your name", { exact: true }).fill("Ada <b>Byron</b>");
  await page.getByLabel("Email address").fill(address);
  await page.getByRole("button", { name: "Donate", exact: true }).click();
  await expect(page).toHaveURL(/\/donate$/);
  await expect(page.locator("#amount-error")).toHaveText("The smallest gift is €1.");
  await expect(page.getByLabel("Email address")).toHaveValue(address);
  await expect(page.getByLabel("Your name", { exact: true })).toHaveValue("Ada <b>Byron</b>");
  await check();

  if (javaScript) {
    await expect(page.locator(".gift-picker")).toHaveAttribute("data-hydrated", "true");
  }
  await page.getByLabel("Your own amount").fill("7.50");
  if (javaScript) {
    // The island sums up the choice at once; the radios let go of the preset.
    await expect(page.locator(".gift-summary")).toHaveText("€7.50 a month adds up to €90 a year.");
    await expect(page.getByRole("radio", { name: "€25", exact: true })).not.toBeChecked();
  }
  await page.getByRole("radio", { name: "monthly", exact: true }).check();
  await page.getByRole("button", { name: "Donate", exact: true }).click();

  // The transfer details.
  await expect(page).toHaveURL(/\/donate\/transfer\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your transfer details");
  await expect(page.getByRole("status").filter({ hasText: "We have sent a mail" })).toBeVisible();
  const reference = ((await page.locator(".transfer-details .reference").textContent()) ?? "").trim();
  expect(reference).toMatch(/^RF\d{2}( [0-9A-Z]{1,4})+$/);
  const iban = ((await page.locator(".transfer-details .iban").textContent()) ?? "").trim();
  expect(iban).toMatch(/^[A-Z]{2}\d{2}( [0-9A-Z]{1,4})+$/);
  const holder = ((await page.locator(".transfer-details dd").first().textContent()) ?? "").trim();
  const details = (await page.locator(".transfer-details").textContent()) ?? "";
  await expect(page.locator(".transfer-details")).toContainText("€7.50 (monthly)");
  await expect(page.getByText("standing order with this reference")).toBeVisible();
  const bic = details.includes("BIC")
    ? ((await page.locator(".transfer-details dt", { hasText: "BIC" }).locator("xpath=following-sibling::dd[1]").textContent()) ?? "").trim()
    : "";
  await check();

  // EPC069-12 version 002: service tag, version, UTF-8, SCT, BIC, name, IBAN, amount, purpose
  // (empty), the structured reference, and no text after it.
  const lines = (await decodeQr(page)).split("\n");
  expect(lines).toEqual([
    "BCD",
    "002",
    "1",
    "SCT",
    bic,
    holder,
    iban.replaceAll(" ", ""),
    "EUR7.50",
    "",
    reference.replaceAll(" ", ""),
  ]);

  // Another browser (no session of this gift) cannot see the details.
  const stranger = await page.context().browser()!.newContext();
  const other = await stranger.newPage();
  const refused = await other.goto(page.url());
  expect(refused?.status()).toBe(404);
  await stranger.close();

  // The mail confirms the address (and says how to transfer); the giver does not follow it yet.
  const confirmation = await mailTo(address, "/c/");
  expect(confirmation).not.toContain("Byron");
  expect(confirmation.includes(reference) || confirmation.includes(reference.replaceAll(" ", ""))).toBe(true);

  // The transfer arrives first, on a bank statement imported by an administrator. Nobody has
  // confirmed the address, so nobody is thanked yet: the payment waits with the pledge.
  importStatement(statement(reference.replaceAll(" ", ""), "7.50", "Ada Byron"));
  await expectNoMail(address, "We received your payment of");

  // Confirming the address joins the pledge, and its early payment, to the new supporter, who
  // is thanked for that payment then (pledge::join_and_thank).
  await page.goto(new URL(linkIn(confirmation)).pathname);
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByText(/you are supporter number \d+/)).toBeVisible();
  const thanks = await mailTo(address, "We received your payment of");
  expect(thanks).toContain("Thank you for your donation");
  expect(thanks).toContain("€7.50");

  // Logging in (a password chosen at the idp through a mailed link) shows the payment.
  await page.goto("/donations");
  await page.getByLabel("Login name or email address").fill(address);
  await page.getByRole("button", { name: "I forgot my password" }).click();
  const login = await mailTo(address, "/link?t=");
  await page.goto(linkIn(login, /https?:\/\/\S+\/link\?t=[A-Za-z0-9_-]+/));
  await page.getByLabel("New password", { exact: true }).fill("correct horse battery staple");
  await page.getByLabel("New password again").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Save the password and log in" }).click();
  await expect(page).toHaveURL(/\/donations$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("My donations");
  const pledge = page.locator("article.pledge");
  await expect(pledge).toHaveCount(1);
  await expect(pledge.locator("h3")).toHaveText("€7.50 · monthly");
  await expect(pledge.locator(".reference")).toHaveText(reference);
  await expect(pledge.locator(".pledge-status")).toHaveText("active");
  await expect(page.locator("table.payments tbody tr")).toHaveCount(1);
  await expect(page.locator("table.payments .amount")).toHaveText("€7.50");
  await expect(page.locator("table.payments .payment-status")).toHaveText("received");
  await check();

  // Changing the amount works without JavaScript too, and reminds of the standing order.
  await pledge.getByText("Change amount or how often").click();
  await pledge.getByLabel("Your own amount").fill("10");
  await pledge.getByRole("button", { name: "Save the change" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Your donation has been changed." })).toBeVisible();
  await expect(page.getByText("Please change the standing order at your bank as well")).toBeVisible();
  await expect(page.locator("article.pledge h3")).toHaveText("€10 · monthly");
}

test("a visitor donates monthly by bank transfer, is thanked and sees the payment", async ({ page }) => {
  await journey(page, true);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the same journey works with plain forms", async ({ page }) => {
    await journey(page, false);
  });
});

test("odd values in the address are dropped, not echoed", async ({ page }) => {
  await page.goto("/donate?amount=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&period=weekly&referrer=%3Cb%3E");
  await expect(page.getByRole("radio", { name: "€10", exact: true })).toBeChecked();
  await expect(page.getByRole("radio", { name: "monthly", exact: true })).toBeChecked();
  await expect(page.getByLabel("Your own amount")).toHaveValue("");
  await expect(page.locator("input[name=referrer]")).toHaveValue("");
});

const STRIPE_REQUESTS = process.env.STRIPE_REQUESTS ?? "";

/** A request the Stripe stand-in got (see providers/examples/stripe_stand_in.rs). */
interface StripeRequest {
  method: string;
  path: string;
  params: [string, string][];
  idempotency_key: string | null;
  authorized: boolean;
}

function stripeRequests(): StripeRequest[] {
  return readFileSync(STRIPE_REQUESTS, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as StripeRequest);
}

function param(request: StripeRequest, key: string): string | undefined {
  return request.params.find(([k]) => k === key)?.[1];
}

/** The Checkout Session requests after the first `seen`, once there are `seen + 1`; waits 5 s. */
async function newCheckoutRequest(seen: number): Promise<StripeRequest> {
  for (let i = 0; i < 100; i++) {
    const sessions = stripeRequests().filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions");
    if (sessions.length > seen) {
      expect(sessions).toHaveLength(seen + 1);
      return sessions[seen];
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no new Checkout Session request in ${STRIPE_REQUESTS}`);
}

function checkoutRequests(): number {
  return stripeRequests().filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions").length;
}

/**
 * Chooses Stripe on the donate form and submits it; returns where the server sent the browser
 * (the 303 to Checkout, which is another site: answered here instead of loaded) and the
 * Checkout Session request the stand-in got for it.
 */
async function donateByStripe(page: Page, fill: () => Promise<void>): Promise<[string, StripeRequest]> {
  const seen = checkoutRequests();
  const stripe = page.getByRole("radio", { name: "Card or other methods (Stripe)" });
  await expect(stripe).toBeVisible();
  await stripe.check();
  await fill();
  await page.route(/^https:\/\/checkout\.stripe\.com\//, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: "<title>Checkout</title>Checkout" }),
  );
  // A redirect is no response event of its own: it is the request Checkout was redirected from.
  // The page's Content-Security-Policy must allow the form to lead there (form-action covers
  // redirects); the browser says so on the console when it does not.
  const logs: string[] = [];
  page.on("console", (message) => logs.push(message.text()));
  const arrival = page.waitForRequest(/^https:\/\/checkout\.stripe\.com\//, { timeout: 10_000 });
  await page.getByRole("button", { name: "Donate", exact: true }).click();
  const checkout = await arrival.catch(() => {
    throw new Error(`the browser was not sent on to Checkout; its console said:\n${logs.join("\n")}`);
  });
  const posted = checkout.redirectedFrom();
  expect(posted?.method()).toBe("POST");
  expect(new URL(posted?.url() ?? "http://x/").pathname).toBe("/donate");
  const response = await posted?.response();
  expect(response?.status()).toBe(303);
  const location = response?.headers()["location"] ?? "";
  expect(location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_[A-Za-z0-9_]+$/);
  expect(checkout.url()).toBe(location);
  await expect(page).toHaveURL(location);
  return [location, await newCheckoutRequest(seen)];
}

/** What every Checkout Session for a pledge carries. */
function expectCheckoutFor(request: StripeRequest, minor: string): string {
  const pledge = param(request, "metadata[pledge]") ?? "";
  expect(pledge).toMatch(/^[0-9a-f-]{36}$/);
  expect(request.authorized).toBe(true);
  expect(request.idempotency_key).toBe(`checkout-${pledge}`);
  expect(param(request, "client_reference_id")).toBe(pledge);
  expect(param(request, "line_items[0][price_data][unit_amount]")).toBe(minor);
  expect(param(request, "line_items[0][price_data][currency]")).toBe("eur");
  expect(param(request, "success_url")).toMatch(new RegExp(`/donate/thanks\\?pledge=${pledge}$`));
  expect(param(request, "cancel_url")).toMatch(new RegExp(`/donate/cancelled\\?pledge=${pledge}$`));
  return pledge;
}

test.describe("Stripe", () => {
  test.skip(!STRIPE_REQUESTS, "STRIPE_REQUESTS is not set: no Stripe stand-in on this stack");

  test("a visitor's one-off gift leads to Checkout in payment mode", async ({ page }) => {
    const address = uniqueAddress("stripe");
    await page.goto("/donate?amount=25&period=once");
    await expect(page.locator(".gift-picker")).toHaveAttribute("data-hydrated", "true");
    await expect(page.getByRole("radio", { name: "once", exact: true })).toBeChecked();
    const [, request] = await donateByStripe(page, async () => {
      await page.getByLabel("Your name", { exact: true }).fill("Ada");
      await page.getByLabel("Email address").fill(address);
    });
    const pledge = expectCheckoutFor(request, "2500");
    expect(param(request, "mode")).toBe("payment");
    expect(param(request, "payment_intent_data[metadata][pledge]")).toBe(pledge);
    expect(request.params.filter(([k]) => k.startsWith("subscription_data"))).toEqual([]);
    expect(param(request, "line_items[0][price_data][recurring][interval]")).toBeUndefined();
    expect(param(request, "customer_email")).toBe(address);
  });

  test("a logged-in supporter's monthly gift leads to Checkout in subscription mode", async ({ page }) => {
    // The demo supporter (cdb-admin demo-data), logged in at the idp.
    await page.goto("/donations");
    await page.getByLabel("Login name or email address").fill("ada");
    await page.getByLabel(/^Password$/).fill("ada-lovelace-1815");
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await expect(page).toHaveURL(/\/donations$/);
    await page.goto("/donate?amount=10&period=monthly");
    await expect(page.getByLabel("Email address")).toHaveCount(0);
    const [, request] = await donateByStripe(page, async () => {
      await page.getByLabel("Your own amount").fill("12.50");
    });
    const pledge = expectCheckoutFor(request, "1250");
    expect(param(request, "mode")).toBe("subscription");
    expect(param(request, "line_items[0][price_data][recurring][interval]")).toBe("month");
    expect(param(request, "subscription_data[metadata][pledge]")).toBe(pledge);
    expect(request.params.filter(([k]) => k.startsWith("payment_intent_data"))).toEqual([]);
    expect(param(request, "customer_email")).toBe("ada@example.org");
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("the form posts and the browser follows the redirect to Checkout", async ({ page }) => {
      const address = uniqueAddress("stripe-nojs");
      await page.goto("/donate");
      const [, request] = await donateByStripe(page, async () => {
        await page.getByRole("radio", { name: "monthly", exact: true }).check();
        await page.getByLabel("Your name", { exact: true }).fill("Ada");
        await page.getByLabel("Email address").fill(address);
      });
      const pledge = expectCheckoutFor(request, "1000");
      expect(param(request, "mode")).toBe("subscription");
      expect(param(request, "subscription_data[metadata][pledge]")).toBe(pledge);
      expect(param(request, "customer_email")).toBe(address);
    });
  });
});
