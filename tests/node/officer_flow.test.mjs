// The officer's side end to end: a citizen's report is assigned to the
// on-duty officer, whose SMS goes out through Twilio's Messages REST API (a
// fake Twilio run here records it); the officer answers "OK <code>" through
// the Twilio webhook, signed with Twilio's own npm library, and the
// assignment is acknowledged in time. Without an answer, the server is
// started again past the deadline (`--clock-start`, no waiting) and step 2's
// contacts are texted; an SMS Twilio reports undelivered calls step 2 at
// once. An "OK <code>" from a stranger changes nothing; the link in the SMS
// acknowledges through a confirmation page, once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';

import { binary, startServer as startHotline } from './server.mjs';

const publicBase = 'https://hotline.example.vn';  // as if behind a TLS proxy
const accountSid = 'AC00000000000000000000000000000e2e';
const authToken = 'twilio-auth-token-for-officer-tests';
const hotlineNumber = '+84888111111';

// Wednesday 2 December 2026, 09:00 in Hanoi: a working day, office hours.
const t0 = '2026-12-02T09:00:00+07:00';
const t0Plus16 = '2026-12-02T09:16:00+07:00';

// Lương Văn Tri (05983, Lạng Sơn). The child-protection officer works office
// hours only: the report reaches her because the server's clock says 09:00.
const phones = {
  cp: '+84302990301',
  police: '+84302990302',
  chair: '+84302990303',
  coord: '+84302990304',
  provincePolice: '+84302990305',
  supervisor: '+84302990306',
};
const contactsCsv = `id,name,role,unit_code,phone,channels,webhook_url,active
of-05983-cp,Lò Thị Trực,commune_child_protection,05983,${phones.cp},sms,,1
of-05983-police,Công an phường Lương Văn Tri,commune_police,05983,${phones.police},sms,,1
of-05983-chair,Chủ tịch UBND phường,commune_chair,05983,${phones.chair},sms,,1
of-20-coord,Điều phối tỉnh Lạng Sơn,province_coordinator,20,${phones.coord},sms,,1
of-20-police,Công an tỉnh Lạng Sơn,province_police,20,${phones.provincePolice},sms,,1
of-vn-sup,Giám sát Tổng đài,hotline_supervisor,VN,${phones.supervisor},sms,,1
`;
const rostersCsv = `contact,kind,days,from,to,start,end,note
of-05983-cp,weekly,mon-fri,,,08:00,12:00,
of-05983-police,weekly,daily,,,06:00,18:00,
of-05983-chair,weekly,mon-fri,,,07:30,17:00,
of-20-coord,weekly,daily,,,00:00,00:00,
of-20-police,weekly,daily,,,00:00,00:00,
of-vn-sup,weekly,daily,,,00:00,00:00,
`;

// The words the report is made of: none may reach an officer's SMS.
const report = {
  text: 'Bố đang đánh bé Hoa, bé chảy máu nhiều, xin giúp ngay',
  location_code: '05983',
  child_name: 'Nguyễn Thị Hoa',
  reporter_name: 'Trần Văn Báo',
  reporter_phone: '0912 765 432',
};
// "OK <code>" as a notification spells it (grouped or not).
const okPattern = /\bOK ([2-9A-HJKMNP-Z]{4}-?[2-9A-HJKMNP-Z]{4})\b/;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `check` until it returns a truthy value; bounded (10 s) so a missing
// outcome fails with `what` instead of hanging.
async function eventually(check, what) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// ---- a fake Twilio Messages API ---------------------------------------------------

function fakeTwilio() {
  const messages = [];
  let next = 1;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      const sid = `SM${String(next++).padStart(32, '0')}`;
      messages.push({ method: req.method, url: req.url, headers: req.headers, form, sid });
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ sid, account_sid: accountSid, to: form.To, from: form.From, body: form.Body,
        status: 'queued', num_segments: '1', api_version: '2010-04-01' }));
    });
  });
  return {
    server, messages,
    // The messages to `number` about the report with tracking code `code`.
    about(number, code) { return messages.filter((m) => m.form.To === number && m.form.Body.includes(code)); },
  };
}

// ---- the server ---------------------------------------------------------------------

function newDirectory() {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-officer-'));
  const db = join(dir, 'hotline.db');
  writeFileSync(join(dir, 'contacts.csv'), contactsCsv);
  writeFileSync(join(dir, 'rosters.csv'), rostersCsv);
  execFileSync(binary, ['import', 'contacts', join(dir, 'contacts.csv'), '--db', db]);
  execFileSync(binary, ['import', 'rosters', join(dir, 'rosters.csv'), '--db', db]);
  return dir;
}

// Starts `hotline serve` on port 0 in `dir` (its database kept between
// starts), its clock starting at `clockStart`, sending SMS to the fake Twilio.
function startServer(dir, gatewayPort, clockStart) {
  return startHotline(dir, {
    publicBase,
    toml: `[sms.twilio]
auth_tokens = ["${authToken}"]
account_sid = "${accountSid}"
from = "${hotlineNumber}"
api_base_url = "http://127.0.0.1:${gatewayPort}"`,
    args: ['--clock-start', clockStart],
  });
}

async function submit(srv) {
  const res = await fetch(`${srv.base}/api/v1/reports`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(report),
  });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  return { code: body.tracking_code, stored: body.tracking_code.replace('-', '') };
}

// Posts a form to one of the Twilio webhooks, signed by Twilio's library
// over the public URL the server is configured with.
async function signedPost(srv, path, params) {
  const signature = twilio.getExpectedTwilioSignature(authToken, `${publicBase}${path}`, params);
  assert.ok(twilio.validateRequest(authToken, signature, `${publicBase}${path}`, params));
  const res = await fetch(`${srv.base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text() };
}

// An SMS from `from` to the hotline's number, as Twilio posts it.
let inbound = 0;
async function smsFromPhone(srv, from, text) {
  const params = { MessageSid: `SM${String(++inbound).padStart(32, 'f')}`, AccountSid: accountSid, From: from,
    To: hotlineNumber, Body: text, NumSegments: '1', NumMedia: '0', SmsStatus: 'received', ApiVersion: '2010-04-01' };
  return { ...(await signedPost(srv, '/webhooks/sms/twilio', params)), sid: params.MessageSid };
}

// The message to `number` that carries `code`, once it has arrived.
function smsWithCode(gateway, number, code, what) {
  return eventually(() => gateway.about(number, code)[0], what);
}

// "contact key|state|via|in time" for each assignment of the report at `step`.
function assignments(srv, stored, step) {
  return srv.sql(`SELECT k.key || '|' || a.state || '|' || coalesce(a.acknowledged_via, '-') || '|' ||
      coalesce(a.acknowledged_at <= a.ack_due_at, '-')
    FROM assignments AS a JOIN reports AS r ON r.id = a.report_id JOIN contacts AS k ON k.id = a.contact_id
    WHERE r.tracking_code = '${stored}' AND a.step = ${step} ORDER BY a.id`).split('\n').filter(Boolean);
}

let gateway;
let gatewayPort;

before(async () => {
  gateway = fakeTwilio();
  await new Promise((r) => gateway.server.listen(0, '127.0.0.1', r));
  gatewayPort = gateway.server.address().port;
});

after(() => { gateway?.server.close(); });

// The officer's assignments as the read API gives them to her token.
async function officerAssignments(srv, token, state) {
  const res = await fetch(`${srv.base}/api/v1/assignments?state=${state}`, { headers: { Authorization: `Bearer ${token}` } });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.assignments;
}

test('a report is texted to the on-duty officer, who acknowledges it in time with "OK <code>"', async () => {
  const dir = newDirectory();
  const token = execFileSync(binary, ['token', 'create', '--contact', 'of-05983-cp', '--db', join(dir, 'hotline.db')],
    { encoding: 'utf8' }).trim();
  const srv = await startServer(dir, gatewayPort, t0);
  try {
    const { code, stored } = await submit(srv);
    const sms = await smsWithCode(gateway, phones.cp, code, 'the SMS to the child-protection officer');
    // Twilio's Messages API, as Twilio documents it.
    assert.equal(sms.method, 'POST');
    assert.equal(sms.url, `/2010-04-01/Accounts/${accountSid}/Messages.json`);
    assert.equal(sms.headers.authorization, `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`);
    assert.match(sms.headers['content-type'], /^application\/x-www-form-urlencoded/);
    assert.equal(sms.form.From, hotlineNumber);
    assert.equal(sms.form.StatusCallback, `${publicBase}/webhooks/sms/twilio/status`);
    const ok = sms.form.Body.match(okPattern);
    assert.ok(ok, `no "OK <code>" in: ${sms.form.Body}`);
    assert.equal(ok[1].replace('-', ''), stored);
    // The deadline, in Hanoi time by the server's clock: 15 minutes after 09:00.
    assert.match(sms.form.Body, /09:15/);
    // Nothing of the reporter, the child or the report's words.
    for (const secret of ['Trần', 'Tran Van Bao', 'Hoa', '912765432', 'chảy máu', 'chay mau'])
      assert.ok(!sms.form.Body.includes(secret), `the SMS leaks "${secret}": ${sms.form.Body}`);
    // The emergency also went to the commune police; nobody else yet.
    await smsWithCode(gateway, phones.police, code, 'the SMS to the commune police');
    assert.equal(gateway.about(phones.cp, code).length, 1);
    assert.deepEqual(assignments(srv, stored, 1), ['of-05983-cp|open|-|-', 'of-05983-police|open|-|-']);
    const open = await officerAssignments(srv, token, 'open');
    assert.deepEqual(open.map((a) => [a.tracking_code, a.state, a.urgency, a.step, a.overdue]),
      [[code, 'open', 'emergency', 1, false]]);
    assert.match(open[0].ack_due_at, /^2026-12-02T02:15:/);

    // Twilio reports the SMS delivered (a status callback, signed like the webhook).
    const status = await signedPost(srv, '/webhooks/sms/twilio/status', { MessageSid: sms.sid, MessageStatus: 'delivered',
      AccountSid: accountSid, To: phones.cp, From: hotlineNumber, ApiVersion: '2010-04-01' });
    assert.ok(status.status >= 200 && status.status < 300, `${status.status} ${status.text}`);
    await eventually(() => srv.sql(`SELECT delivery FROM outbox WHERE provider_message_id = '${sms.sid}'`) === 'delivered',
      'the delivery to be recorded');

    // The officer answers as the SMS says.
    const reply = await smsFromPhone(srv, phones.cp, ok[0]);
    assert.equal(reply.status, 200, reply.text);
    await eventually(() => srv.sql(`SELECT state FROM reports WHERE tracking_code = '${stored}'`) === 'acknowledged',
      'the report to be acknowledged');
    assert.deepEqual(assignments(srv, stored, 1), ['of-05983-cp|acknowledged|sms|1', 'of-05983-police|superseded|-|-']);
    assert.deepEqual(await officerAssignments(srv, token, 'open'), []);
    assert.deepEqual((await officerAssignments(srv, token, 'acknowledged')).map((a) => a.tracking_code), [code]);
    assert.equal(srv.sql(`SELECT json_extract(e.data, '$.in_time') || '|' || json_extract(e.data, '$.channel')
      FROM events AS e JOIN reports AS r ON r.id = e.report_id
      WHERE r.tracking_code = '${stored}' AND e.kind = 'acknowledged'`), '1|sms');
    // The answer is not a report of its own.
    assert.equal(srv.sql('SELECT count(*) FROM reports'), '1');
    assert.equal(srv.sql(`SELECT count(*) FROM sms_messages WHERE provider_message_id = '${reply.sid}'`), '1');
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('"OK <code>" from a number that is no contact is stored and ignored', async () => {
  const dir = newDirectory();
  const srv = await startServer(dir, gatewayPort, t0);
  try {
    const { code, stored } = await submit(srv);
    await smsWithCode(gateway, phones.cp, code, 'the SMS to the child-protection officer');
    const reply = await smsFromPhone(srv, '+84912000777', `OK ${code}`);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(srv.sql(`SELECT count(*) FROM sms_messages WHERE provider_message_id = '${reply.sid}'`), '1');
    assert.deepEqual(assignments(srv, stored, 1), ['of-05983-cp|open|-|-', 'of-05983-police|open|-|-']);
    assert.equal(srv.sql(`SELECT state FROM reports WHERE tracking_code = '${stored}'`), 'routed');
    assert.equal(srv.sql("SELECT count(*) FROM events WHERE kind = 'acknowledged'"), '0');
    assert.equal(srv.sql('SELECT count(*) FROM reports'), '1', 'no new report from the stranger');
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without an answer, a start past the deadline assigns and texts step 2 once', async () => {
  const dir = newDirectory();
  let code;
  let stored;
  let srv = await startServer(dir, gatewayPort, t0);
  try {
    ({ code, stored } = await submit(srv));
    await smsWithCode(gateway, phones.cp, code, 'the SMS to the child-protection officer');
    await smsWithCode(gateway, phones.police, code, 'the SMS to the commune police');
  } finally {
    await srv.stop();
  }
  assert.equal(gateway.about(phones.chair, code).length, 0);
  assert.equal(gateway.about(phones.coord, code).length, 0);

  // Nobody answered; the server comes back 16 minutes after the report.
  srv = await startServer(dir, gatewayPort, t0Plus16);
  try {
    const chair = await smsWithCode(gateway, phones.chair, code, "the SMS to the commune chair (step 2)");
    const coord = await smsWithCode(gateway, phones.coord, code, 'the SMS to the province coordinator (step 2)');
    for (const sms of [chair, coord]) {
      assert.equal(sms.url, `/2010-04-01/Accounts/${accountSid}/Messages.json`);
      assert.match(sms.form.Body, okPattern);
      // Step 2's own deadline: 15 minutes from 09:16.
      assert.match(sms.form.Body, /09:31/);
    }
    assert.deepEqual(assignments(srv, stored, 2), ['of-05983-chair|open|-|-', 'of-20-coord|open|-|-']);
    assert.equal(srv.sql(`SELECT count(*) FROM events AS e JOIN reports AS r ON r.id = e.report_id
      WHERE r.tracking_code = '${stored}' AND e.kind = 'escalated'`), '1');
    // Step 2's contacts can acknowledge: the chair does, late for step 1 but in time for his own.
    const reply = await smsFromPhone(srv, phones.chair, `OK ${code}`);
    assert.equal(reply.status, 200, reply.text);
    await eventually(() => srv.sql(`SELECT state FROM reports WHERE tracking_code = '${stored}'`) === 'acknowledged',
      'the report to be acknowledged by the chair');
    assert.deepEqual(assignments(srv, stored, 2), ['of-05983-chair|acknowledged|sms|1', 'of-20-coord|superseded|-|-']);
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  // Step 2 was texted once each, and step 3 never.
  assert.equal(gateway.about(phones.chair, code).length, 1);
  assert.equal(gateway.about(phones.coord, code).length, 1);
  assert.equal(gateway.about(phones.provincePolice, code).length, 0);
  assert.equal(gateway.about(phones.supervisor, code).length, 0);
});

test('an SMS Twilio reports undelivered calls the next step at once, without waiting for the deadline', async () => {
  const dir = newDirectory();
  const srv = await startServer(dir, gatewayPort, t0);
  try {
    const { code, stored } = await submit(srv);
    const cp = await smsWithCode(gateway, phones.cp, code, 'the SMS to the child-protection officer');
    await smsWithCode(gateway, phones.police, code, 'the SMS to the commune police');
    // The officer's phone cannot be reached (Twilio error 30003).
    const r = await signedPost(srv, '/webhooks/sms/twilio/status', { MessageSid: cp.sid, MessageStatus: 'undelivered',
      ErrorCode: '30003', AccountSid: accountSid, To: phones.cp, From: hotlineNumber, ApiVersion: '2010-04-01' });
    assert.ok(r.status >= 200 && r.status < 300, `${r.status} ${r.text}`);
    await smsWithCode(gateway, phones.chair, code, 'the SMS to the commune chair (step 2)');
    await smsWithCode(gateway, phones.coord, code, 'the SMS to the province coordinator (step 2)');
    assert.deepEqual(assignments(srv, stored, 2), ['of-05983-chair|open|-|-', 'of-20-coord|open|-|-']);
    // Made by the server's clock a few seconds after 09:00, far from the 09:15 deadline.
    const t0Ms = Date.parse(t0);
    for (const made of srv.sql(`SELECT a.created_at FROM assignments AS a JOIN reports AS r ON r.id = a.report_id
        WHERE r.tracking_code = '${stored}' AND a.step = 2`).split('\n'))
      assert.ok(Number(made) - t0Ms < 60000, `step 2 made at ${new Date(Number(made)).toISOString()}`);
    assert.equal(srv.sql(`SELECT delivery FROM outbox WHERE provider_message_id = '${cp.sid}'`), 'undelivered');
    assert.equal(srv.sql(`SELECT count(*) FROM events AS e JOIN reports AS r ON r.id = e.report_id
      WHERE r.tracking_code = '${stored}' AND e.kind = 'notification_failed'`), '1');
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the link in the SMS shows a confirmation page, and its button acknowledges once', async () => {
  const dir = newDirectory();
  const srv = await startServer(dir, gatewayPort, t0);
  try {
    const { code, stored } = await submit(srv);
    const sms = await smsWithCode(gateway, phones.police, code, 'the SMS to the commune police');
    const link = sms.form.Body.match(/https:\/\/hotline\.example\.vn(\/a\/[A-Za-z0-9_-]+)/);
    assert.ok(link, `no acknowledgement link in: ${sms.form.Body}`);

    // Opening it (or a phone prefetching it) changes nothing.
    const page = await fetch(`${srv.base}${link[1]}`);
    const html = await page.text();
    assert.equal(page.status, 200, html);
    assert.ok(html.includes(code), 'the page names the report by its code');
    assert.match(html, /09:15/);
    const action = html.match(/<form method="post" action="([^"]+)"/);
    assert.ok(action, html);
    assert.deepEqual(assignments(srv, stored, 1), ['of-05983-cp|open|-|-', 'of-05983-police|open|-|-']);

    const press = () => fetch(`${srv.base}${action[1].replace(/&amp;/g, '&')}`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'lang=vi',
    });
    const done = await press();
    assert.equal(done.status, 200, await done.text());
    assert.deepEqual(assignments(srv, stored, 1), ['of-05983-cp|superseded|-|-', 'of-05983-police|acknowledged|link|1']);
    assert.equal(srv.sql(`SELECT state FROM reports WHERE tracking_code = '${stored}'`), 'acknowledged');
    // Single use.
    const again = await press();
    assert.equal(again.status, 409, await again.text());
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
