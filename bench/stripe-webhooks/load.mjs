// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Load generator for POST /webhooks/stripe (run by scripts/bench-webhooks.sh). Builds EVENTS
// events from the Stripe-documented fixtures (providers/tests/fixtures/stripe): invoice.paid for
// three months of each pledge in PLEDGES (a file of pledge ids, one a line), and a
// charge.refunded for every tenth invoice. Signs every delivery exactly as Stripe signs
// (HMAC-SHA256 of "t.body" with the endpoint secret), then sends each event COPIES times, the
// copies queued next to each other so they are in flight at once, with at most CONCURRENCY
// requests in flight. Prints one JSON line: deliveries, seconds, deliveries/s, statuses,
// latency percentiles. Node's standard library only.
//
//   node load.mjs URL SECRET PLEDGES [COPIES=10] [CONCURRENCY=64]

import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [url, secret, pledgesFile, copiesArg, concurrencyArg] = process.argv.slice(2);
if (!url || !secret || !pledgesFile) {
  console.error("usage: node load.mjs URL SECRET PLEDGES [COPIES] [CONCURRENCY]");
  process.exit(2);
}
const copies = Number(copiesArg ?? 10);
const concurrency = Number(concurrencyArg ?? 64);
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../../providers/tests/fixtures/stripe");
const fixture = (name) => JSON.parse(readFileSync(join(fixtures, name), "utf8"));
const pledges = readFileSync(pledgesFile, "utf8").split("\n").filter(Boolean);

const month = 30 * 24 * 3600;
const start = Math.floor(Date.now() / 1000) - 120 * 24 * 3600;
const events = [];
pledges.forEach((pledge, p) => {
  for (let m = 1; m <= 3; m++) {
    const invoice = `in_bench_${p}_${m}`;
    const e = fixture("invoice_paid.json");
    e.id = `evt_${invoice}`;
    e.created = start + m * month;
    const o = e.data.object;
    o.id = invoice;
    o.customer = `cus_bench_${p}`;
    o.customer_email = `giver${p}@bench.invalid`;
    o.status_transitions.paid_at = e.created;
    o.parent.subscription_details.subscription = `sub_bench_${p}`;
    o.parent.subscription_details.metadata.pledge = pledge;
    o.payments = {
      object: "list",
      data: [{
        id: `inpay_${invoice}`, object: "invoice_payment", amount_paid: 1000, amount_requested: 1000,
        created: e.created, currency: "eur", invoice, is_default: true, livemode: false,
        payment: { type: "payment_intent", payment_intent: `pi_${invoice}`, charge: null, payment_record: null },
        status: "paid", status_transitions: { canceled_at: null, paid_at: e.created },
      }],
      has_more: false, url: `/v1/invoice_payments?invoice=${invoice}`,
    };
    events.push(e);
    if ((p * 3 + m) % 10 === 0) {
      const r = fixture("charge_refunded.json");
      r.id = `evt_re_${invoice}`;
      r.data.object.id = `ch_${invoice}`;
      r.data.object.payment_intent = `pi_${invoice}`;
      r.data.object.amount = 1000;
      r.data.object.amount_captured = 1000;
      r.data.object.amount_refunded = 400;
      r.data.object.refunded = false;
      r.data.previous_attributes = { amount_refunded: 0, refunded: false };
      events.push(r);
    }
  }
});

// Signed up front (the signature is valid for 300 s; a run takes far less).
const t = Math.floor(Date.now() / 1000);
const queue = [];
for (const e of events) {
  const body = JSON.stringify(e);
  const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  const delivery = { body: Buffer.from(body), signature: `t=${t},v1=${v1}` };
  for (let c = 0; c < copies; c++) queue.push(delivery);
}

const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const statuses = {};
const latencies = [];

function send(d) {
  return new Promise((resolve) => {
    const began = process.hrtime.bigint();
    const req = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": d.body.length, "stripe-signature": d.signature },
    }, (res) => {
      res.resume();
      res.on("end", () => {
        latencies.push(Number(process.hrtime.bigint() - began) / 1e6);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        resolve();
      });
    });
    req.on("error", () => { statuses.error = (statuses.error ?? 0) + 1; resolve(); });
    req.end(d.body);
  });
}

let next = 0;
async function worker() {
  while (next < queue.length) await send(queue[next++]);
}
const began = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = Number(process.hrtime.bigint() - began) / 1e9;
agent.destroy();
latencies.sort((a, b) => a - b);
const pct = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] * 10) / 10;
console.log(JSON.stringify({
  events: events.length, copies, concurrency, deliveries: queue.length, seconds: Math.round(seconds * 100) / 100,
  per_second: Math.round(queue.length / seconds), statuses, p50_ms: pct(0.5), p99_ms: pct(0.99),
}));
