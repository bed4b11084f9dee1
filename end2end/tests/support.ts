// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
// What the browser tests share: the mails the SMTP sink that scripts/test.sh starts wrote into
// its Maildir (MAILDIR), unique addresses, and the axe-core check. Not a test file itself.
import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const MAILDIR = process.env.MAILDIR ?? "";

/** Every mail to `address` so far, quoted-printable decoded, oldest file first by name. */
function mailsTo(address: string): string[] {
  const folder = join(MAILDIR, "new");
  return readdirSync(folder, { withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => readFileSync(join(folder, f.name), "utf8"))
    .filter((raw) => raw.includes(`\nTo: ${address}\n`) || raw.includes(`\nTo: ${address}\r\n`))
    .map(decodeQuotedPrintable);
}

/** The newest mail to `address` holding `containing`, quoted-printable decoded; waits up to 20 s. */
export async function mailTo(address: string, containing = ""): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const found = mailsTo(address).filter((mail) => mail.includes(containing));
    if (found.length > 0) return found[found.length - 1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${address} holding ${JSON.stringify(containing)} in ${join(MAILDIR, "new")}`);
}

/** No mail to `address` holding `containing` arrives within `ms`. */
export async function expectNoMail(address: string, containing: string, ms = 1500) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  const found = mailsTo(address).filter((mail) => mail.includes(containing));
  expect(found, `a mail to ${address} holding ${JSON.stringify(containing)}`).toEqual([]);
}

/** Quoted-printable (RFC 2045) back to UTF-8 text: lettre encodes long lines and non-ASCII. */
export function decodeQuotedPrintable(raw: string): string {
  const text = raw.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === "=" && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

export function uniqueAddress(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.org`;
}

export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`)).toEqual([]);
}

/** Every mail to `address` holding `containing`; none while the Maildir is still empty. */
function mailsHolding(address: string, containing: string): string[] {
  if (!existsSync(join(MAILDIR, "new"))) return [];
  return mailsTo(address).filter((mail) => mail.includes(containing));
}

/** How many mails to `address` holding `containing` have arrived so far. */
export function countMailsTo(address: string, containing = ""): number {
  return mailsHolding(address, containing).length;
}

/** The first mail to `address` holding `containing` after the first `seen` such mails; waits up to 20 s. */
export async function nextMailTo(address: string, containing: string, seen: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const found = mailsHolding(address, containing);
    if (found.length > seen) return found[seen];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no new mail to ${address} holding ${JSON.stringify(containing)} in ${join(MAILDIR, "new")}`);
}
