// SMS gateways end to end: the real `hotline serve` on port 0, webhooks
// signed the way each gateway signs them (Twilio's own npm library for
// Twilio), and a fake "SMS Gateway for Android" device that receives the
// replies the outbox dispatcher sends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';

import { startServer as startHotline } from './server.mjs';

const publicBase = 'https://hotline.example.vn';  // as if behind a TLS proxy
const twilioToken = 'twilio-auth-token-for-tests';
const androidKey = 'android-signing-key';
const genericSecret = 'generic-shared-secret';

// ---- a fake Android gateway ------------------------------------------------------

function fakeGateway() {
  const received = [];
  const script = [];  // statuses to answer, in order; 202 when empty
  const waiters = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const status = script.length ? script.shift() : 202;
      received.push({ method: req.method, url: req.url, headers: req.headers, body, status });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status < 300 ? '{"id":"x","state":"Pending"}' : '{"message":"try later"}');
      for (const w of waiters.splice(0)) w();
    });
  });
  return {
    server, received, script,
    // Resolves once `n` requests have arrived (bounded: fails after 10 s).
    waitFor(n) {
      return new Promise((resolvePromise, reject) => {
        const deadline = setTimeout(() => reject(new Error(`gateway got ${received.length} of ${n} requests`)), 10000);
        const check = () => {
          if (received.length >= n) { clearTimeout(deadline); resolvePromise(); } else waiters.push(check);
        };
        check();
      });
    },
  };
}

// ---- the server ------------------------------------------------------------------

async function startServer(extraToml) {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-sms-'));
  const srv = await startHotline(dir, { publicBase, toml: extraToml });
  return {
    ...srv,
    async stop() {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- Twilio ----------------------------------------------------------------------

// Posts a Twilio-style webhook; the signature is computed by Twilio's library
// over the public URL the server is configured with.
async function postTwilio(srv, params, { token = twilioToken, signature } = {}) {
  const url = `${publicBase}/webhooks/sms/twilio`;
  const sig = signature ?? twilio.getExpectedTwilioSignature(token, url, params);
  const res = await fetch(`${srv.base}/webhooks/sms/twilio`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

function twilioParams(sid, from, body) {
  return { MessageSid: sid, AccountSid: 'AC0123456789abcdef0123456789abcdef', From: from, To: '+84888111111',
    Body: body, NumSegments: '1', NumMedia: '0', SmsStatus: 'received', ApiVersion: '2010-04-01' };
}

// The text of <Message> in a TwiML answer, or null for <Response/>.
function twimlMessage(xml) {
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>'), xml);
  if (xml.includes('<Response/>')) return null;
  const m = xml.match(/<Response><Message>([\s\S]*)<\/Message><\/Response>/);
  assert.ok(m, xml);
  return m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

let srv;
let gateway;

before(async () => {
  gateway = fakeGateway();
  await new Promise((r) => gateway.server.listen(0, '127.0.0.1', r));
  const gwPort = gateway.server.address().port;
  srv = await startServer(`[sms.twilio]
auth_tokens = ["${twilioToken}"]
[sms.android]
signing_key = "${androidKey}"
send_url = "http://127.0.0.1:${gwPort}/messages"
username = "sms"
password = "gateway-password"
[sms.generic]
secret = "${genericSecret}"
`);
});

after(async () => {
  if (srv) await srv.stop();
  if (gateway) gateway.server.close();
});

test('Twilio: a signed message becomes a report and the TwiML reply carries its code', async () => {
  const r = await postTwilio(srv, twilioParams('SM00000000000000000000000000000001', '+84912000001',
    'Chau be nha ben bi bo duong danh, o xa Huu Lung tinh Lang Son'));
  assert.equal(r.status, 200);
  assert.match(r.type, /xml/);
  const reply = twimlMessage(r.text);
  assert.match(reply, /[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}/);
  assert.equal(srv.sql("SELECT count(*) FROM reports WHERE channel = 'sms'"), '1');
  assert.equal(srv.sql("SELECT reporter_phone FROM reports WHERE channel = 'sms'"), '+84912000001');
});

test('Twilio: a retried MessageSid creates nothing and gets the same answer', async () => {
  const params = twilioParams('SM00000000000000000000000000000002', '+84912000002', 'be gai bi bo roi o cho');
  const first = await postTwilio(srv, params);
  const again = await postTwilio(srv, params);
  assert.equal(first.status, 200);
  assert.equal(again.status, 200);
  assert.equal(again.text, first.text);
  assert.equal(srv.sql("SELECT count(*) FROM sms_messages WHERE provider_message_id = 'SM00000000000000000000000000000002'"), '1');
  assert.equal(srv.sql("SELECT count(*) FROM reports WHERE reporter_phone = '+84912000002'"), '1');
});

test('Twilio: a wrong or missing signature is refused with 403 and nothing is stored', async () => {
  const before = srv.sql('SELECT count(*) FROM sms_messages');
  const params = twilioParams('SM00000000000000000000000000000003', '+84912000003', 'tin nhan gia mao');
  const wrongToken = await postTwilio(srv, params, { token: 'not-the-token' });
  assert.equal(wrongToken.status, 403);
  const missing = await postTwilio(srv, params, { signature: '' });
  assert.equal(missing.status, 403);
  // Signed, then altered on the way.
  const sig = twilio.getExpectedTwilioSignature(twilioToken, `${publicBase}/webhooks/sms/twilio`, params);
  const altered = await postTwilio(srv, { ...params, Body: 'noi dung bi sua' }, { signature: sig });
  assert.equal(altered.status, 403);
  assert.equal(srv.sql('SELECT count(*) FROM sms_messages'), before);
});

test('Twilio: a report without a place, then the commune, ends as one report with its location', async () => {
  const from = '+84912000004';
  const first = twimlMessage((await postTwilio(srv, twilioParams('SM00000000000000000000000000000004', from,
    'Co dua tre bi danh dap hang dem, nghe tieng khoc'))).text);
  assert.match(first, /xa|phuong/i, 'the reply asks where');
  const second = twimlMessage((await postTwilio(srv, twilioParams('SM00000000000000000000000000000005', from,
    'Xa Huu Lung, Lang Son'))).text);
  assert.ok(second, 'the place is acknowledged');
  assert.equal(srv.sql(`SELECT count(*) FROM reports WHERE reporter_phone = '${from}'`), '1');
  assert.match(srv.sql(`SELECT location_text FROM reports WHERE reporter_phone = '${from}'`), /Huu Lung/);
});

test('Twilio: STOP stops replies, later messages are still stored', async () => {
  const from = '+84912000006';
  const stop = twimlMessage((await postTwilio(srv, twilioParams('SM00000000000000000000000000000006', from, 'STOP'))).text);
  assert.ok(stop, 'one last confirmation');
  const later = await postTwilio(srv, twilioParams('SM00000000000000000000000000000007', from, 'Be trai bi nhot trong nha kho'));
  assert.equal(later.status, 200);
  assert.equal(twimlMessage(later.text), null);
  assert.equal(srv.sql(`SELECT count(*) FROM reports WHERE reporter_phone = '${from}'`), '1');
});

test('Twilio: empty and non-UTF-8 bodies get a clear 400', async () => {
  const empty = await postTwilio(srv, twilioParams('SM00000000000000000000000000000008', '+84912000008', '   '));
  assert.equal(empty.status, 400);
  assert.equal(JSON.parse(empty.text).error.code, 'empty_message');
  // %FF is not UTF-8; sign the exact bytes' decoded form the way Twilio would not be able to: send raw.
  const raw = 'MessageSid=SM00000000000000000000000000000009&From=%2B84912000009&Body=%FF%FE';
  const res = await fetch(`${srv.base}/webhooks/sms/twilio`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'x' },
    body: raw,
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, 'invalid_utf8');
});

// ---- SMS Gateway for Android ------------------------------------------------------

function androidEnvelope(id, sender, message) {
  return JSON.stringify({
    id, webhookId: 'LreFUt-Z3sSq0JufY9uWB', event: 'sms:received', deviceId: 'ffffffffceb0b1db0000018e937c815b',
    payload: { messageId: `m-${id}`, message, sender, recipient: '+84888111111', simNumber: 1,
      receivedAt: new Date().toISOString() },
  });
}

async function postAndroid(body, { timestamp = Math.floor(Date.now() / 1000), key = androidKey } = {}) {
  const ts = String(timestamp);
  const signature = createHmac('sha256', key).update(body + ts).digest('hex');
  const res = await fetch(`${srv.base}/webhooks/sms/android`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Signature': signature, 'X-Timestamp': ts },
    body,
  });
  return { status: res.status, json: await res.json() };
}

test('Android gateway: a signed message is stored once and its reply goes out through the gateway', async () => {
  const already = gateway.received.length;
  const body = androidEnvelope('Ey6ECgOkVVFjz3CL48B8C', '0912 000 010', 'Be gai 10 tuoi bi hang xom xam hai, xa Chi Lang');
  const first = await postAndroid(body);
  assert.equal(first.status, 200);
  const again = await postAndroid(body);  // the gateway retries with the same id
  assert.equal(again.status, 200);
  assert.equal(srv.sql("SELECT count(*) FROM reports WHERE reporter_phone = '+84912000010'"), '1');

  await gateway.waitFor(already + 1);
  const sent = gateway.received[already];
  assert.equal(sent.method, 'POST');
  assert.equal(sent.url, '/messages');
  assert.equal(sent.headers.authorization, `Basic ${Buffer.from('sms:gateway-password').toString('base64')}`);
  const msg = JSON.parse(sent.body);
  assert.deepEqual(msg.phoneNumbers, ['+84912000010']);
  assert.match(msg.textMessage.text, /[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}/);
  assert.ok(msg.id, 'the send carries an id the gateway deduplicates on');
});

test('Android gateway: stale timestamps and wrong keys are refused, other events ignored', async () => {
  const body = androidEnvelope('stale-1', '+84912000011', 'tin cu');
  assert.equal((await postAndroid(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status, 403);
  assert.equal((await postAndroid(body, { key: 'wrong' })).status, 403);
  assert.equal(srv.sql("SELECT count(*) FROM sms_messages WHERE provider_message_id = 'stale-1'"), '0');
  const other = JSON.stringify({ id: 'evt-2', webhookId: 'w', event: 'sms:sent', deviceId: 'd', payload: {} });
  const r = await postAndroid(other);
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ignored');
});

test('Android gateway: the dispatcher retries a failed send and delivers it exactly once', async () => {
  const already = gateway.received.length;
  gateway.script.push(500);  // the first attempt fails, the next one is accepted
  const r = await postAndroid(androidEnvelope('retry-1', '+84912000012', 'Tre bi bo doi nhieu ngay o thon Dong Tam'));
  assert.equal(r.status, 200);
  await gateway.waitFor(already + 2);
  const attempts = gateway.received.slice(already);
  assert.equal(attempts[0].status, 500);
  assert.equal(attempts[1].status, 202);
  assert.equal(JSON.parse(attempts[0].body).id, JSON.parse(attempts[1].body).id);
  // Settled as sent with two attempts; nothing more goes out for it.
  const outboxId = srv.sql("SELECT outbox_id FROM sms_messages WHERE provider_message_id = 'retry-1'");
  for (let i = 0; i < 100 && srv.sql(`SELECT state FROM outbox WHERE id = ${outboxId}`) !== 'sent'; ++i)
    await new Promise((res) => setTimeout(res, 20));
  assert.equal(srv.sql(`SELECT state || ':' || attempts FROM outbox WHERE id = ${outboxId}`), 'sent:2');
  assert.equal(gateway.received.length, already + 2);
});

// ---- generic gateways ---------------------------------------------------------------

test('generic gateway: HMAC over timestamp and body, reply in the answer', async () => {
  const body = JSON.stringify({ id: 'gen-1', from: '+84912000013', to: '+84888111111', text: 'Em be bi dua di, nghi bi bat coc' });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = 'sha256=' + createHmac('sha256', genericSecret).update(`${ts}.${body}`).digest('hex');
  const post = (signature) => fetch(`${srv.base}/webhooks/sms/generic`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Hotline-Timestamp': ts, 'X-Hotline-Signature': signature },
    body,
  });
  const ok = await post(sig);
  assert.equal(ok.status, 200);
  const json = await ok.json();
  assert.equal(json.status, 'received');
  assert.match(json.reply, /[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}/);
  assert.ok(json.reply_segments >= 1);
  assert.equal((await post('sha256=00')).status, 403);
});

// ---- silent mode --------------------------------------------------------------------

test('silent mode: messages are stored and nothing is answered or sent', async () => {
  const quiet = await startServer(`[sms]
silent = true
[sms.twilio]
auth_tokens = ["${twilioToken}"]
`);
  try {
    const r = await postTwilio(quiet, twilioParams('SM00000000000000000000000000000100', '+84912000100', 'be bi danh'));
    assert.equal(r.status, 200);
    assert.equal(twimlMessage(r.text), null);
    assert.equal(quiet.sql('SELECT count(*) FROM reports'), '1');
    assert.equal(quiet.sql('SELECT count(*) FROM outbox'), '0');
  } finally {
    await quiet.stop();
  }
});
