// Pre-generates signed Twilio SMS webhooks for bench/post_twilio.lua: wrk's
// Lua cannot compute HMAC-SHA1 at the rates measured, so every request is
// signed here, before the measurement, with Twilio's own library
// (twilio.getExpectedTwilioSignature, the package installed in
// tests/node/node_modules by `make test-deps`).
//
//   node bench/twilio_requests.mjs OUT_FILE COUNT [WEBHOOK_URL] [AUTH_TOKEN]
//
// WEBHOOK_URL is the URL Twilio would call, i.e. the server's public_base_url
// followed by /webhooks/sms/twilio (default https://hotline.example.vn/...),
// AUTH_TOKEN the account's auth token (default bench-token).
//
// OUT_FILE gets COUNT lines, one request each:
//   X-Twilio-Signature value, TAB, application/x-www-form-urlencoded body
// Each request is a new SMS report from a new sender:
//   MessageSid    "SM" + 32 hex, unique (8 random hex per run + a counter)
//   AccountSid    "AC" + 32 hex, one account per run
//   From          "+8491" + 7 digits, distinct for every line (a bijection of
//                 the line number), so that each message opens a new report
//                 and no number comes near the replies-per-hour limit
//   To            "+84888111111"
//   Body          60 to 300 characters of Vietnamese built from fragments:
//                 with diacritics, folded to ASCII, or SMS style (no accents,
//                 abbreviations, line breaks); varied per line
//   NumSegments   what the body costs (GSM-7: 160/153, UCS-2: 70/67)
//   NumMedia "0", SmsMessageSid = SmsSid = MessageSid, SmsStatus "received",
//   ApiVersion "2010-04-01", FromCountry/ToCountry "VN", as Twilio sends them.
//
// Prints machine-readable lines for bench/run.sh:
//   twilio_lines N, twilio_file_bytes N, twilio_body_chars MIN MAX,
//   twilio_body_bytes MIN MAX (URL-encoded), twilio_segments MIN MAX,
//   twilio_styles DIACRITICS FOLDED SMS, twilio_gen_seconds S

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync, fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
let twilio;
try {
  twilio = require(join(here, '../tests/node/node_modules/twilio'));
} catch (e) {
  console.error(`twilio_requests.mjs: cannot load Twilio's library from tests/node/node_modules ` +
    `(run: make test-deps, or npm ci in tests/node): ${e.message}`);
  process.exit(2);
}

const [out, countArg, url = 'https://hotline.example.vn/webhooks/sms/twilio', token = 'bench-token'] =
  process.argv.slice(2);
const count = Number(countArg);
if (!out || !Number.isInteger(count) || count < 1 || count > 9_000_000) {
  console.error('usage: node twilio_requests.mjs OUT_FILE COUNT(1..9000000) [WEBHOOK_URL] [AUTH_TOKEN]');
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

// Diacritics off (đ -> d); the input is NFC, the output ASCII.
const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');

// The way people type SMS: folded, lower case, the usual abbreviations.
const abbreviations = [
  [/ khong /g, ' ko '], [/ duoc /g, ' dc '], [/ voi /g, ' vs '], [/ em /g, ' e '], [/ anh /g, ' a '],
  [/ roi /g, ' r '], [/ biet /g, ' bit '], [/ gi /g, ' j '], [/(\d+) tuoi/g, '$1t'], [/ nguoi /g, ' ng '],
];
function sms(s) {
  s = ` ${fold(s).toLowerCase()} `;
  for (const [re, to] of abbreviations) s = s.replace(re, to);
  return s.trim();
}

const openers = [
  'Tôi muốn báo tin về một bé gái ở xóm tôi.',
  'Cô giáo lớp 4A xin báo:',
  'Con chào tổng đài, con 13 tuổi.',
  'Hàng xóm nhà tôi có chuyện cần báo gấp.',
  'Tôi là bà ngoại của cháu.',
  'Xin giúp đỡ!',
  'Tôi xin giấu tên.',
  'Báo tin:',
  '',
];

const situations = [
  'Bé trai 6 tuổi bị bố dượng đánh bằng roi, người đầy vết bầm.',
  'Hai chị em bị bỏ ở nhà một mình ba ngày nay, không có gì ăn.',
  'Có người đàn ông hay gọi bé gái 9 tuổi vào nhà rồi sờ soạng.',
  'Em gái 14 tuổi bị gia đình ép lấy chồng vào tháng sau.',
  'Chủ quán bắt một em khoảng 12 tuổi rửa bát đến nửa đêm, không trả lương.',
  'Có người lạ dụ mấy em học sinh lên xe đi làm ở thành phố, nói lo hết giấy tờ.',
  'Bạn cùng lớp con bị người trên mạng dọa tung ảnh riêng tư.',
  'Mẹ kế nhốt cháu trong nhà kho, không cho đi học.',
  'Bố say rượu đuổi con ra đường lúc nửa đêm, cháu ngồi khóc ngoài cổng.',
  'Cháu bé bị bỏng ở tay, gia đình không đưa đi viện.',
  'Nghe nói có người hứa đưa con gái nhà bên sang Trung Quốc làm việc, đã nhận tiền cọc.',
  'Một bé 3 tuổi hay bị trói chân ở nhà khi bố mẹ đi làm rẫy.',
];

const details = [
  'Tối qua lại nghe tiếng khóc.',
  'Đã kéo dài mấy tháng rồi.',
  'Hàng xóm ai cũng biết nhưng không ai dám can thiệp.',
  'Nhà ở cuối ngõ, cổng sắt màu xanh.',
  'Hôm nay cháu không đi học.',
  'Tôi sợ bị trả thù.',
  'Mẹ cháu cũng bị đánh.',
  'Người đó đi xe máy Wave đỏ.',
];

const places = [
  'Ở thôn 3 xã Chi Lăng, Lạng Sơn.',
  'Gần chợ Bến Thành, Quận 1.',
  'Ở phường Ninh Kiều, Cần Thơ.',
  'Bản Phiêng Ban, Mường La, Sơn La.',
  'Xóm Đồi, xã Nghi Phong, Nghệ An.',
  'Tổ 7 phường Hồng Bàng, Hải Phòng.',
  'Ấp 3 xã Tân Phú, Đồng Nai.',
  '',
];

const closings = [
  'Xin đến kiểm tra gấp.',
  'Mong giữ bí mật cho tôi.',
  'Cảm ơn tổng đài.',
  'Giúp cháu với!',
  'Nếu cần tôi gọi lại.',
  '',
];

// Typed without accents from the start, as most SMS are.
const raw_sms = [
  'e chao a chi, nha ben canh e co be gai 7t bi bo duong danh suot, toi qua be chay ra duong khoc',
  'bao tin: o thon 5 co 2 chau nho bi bo mac, bo me di lam tren tp ko ve',
  'co ng la hay dung truoc cong truong cho hs nu ve, hom nay 1 em lop 6 ko ve nha',
  'chu quan karaoke thue may be gai 14 15t lam phuc vu den khuya',
  'giup voi, be nha ben bi nhot trong nha kho 2 ngay r',
  'em bi nguoi yeu cu doa dang anh len mang, em moi 15t, em so lam',
];

// Each fragment list in the three spellings, computed once: [diacritics,
// folded, SMS style]; a body is joined from one spelling.
const spell = (list) => {
  const nfc = list.map((t) => t.normalize('NFC'));
  return [nfc, nfc.map(fold), nfc.map(sms)];
};
const OPENERS = spell(openers), SITUATIONS = spell(situations), DETAILS = spell(details);
const PLACES = spell(places), CLOSINGS = spell(closings), RAW_SMS = spell(raw_sms);

const pick = (list, k) => list[((k % list.length) + list.length) % list.length];

// GSM 03.38 covers every character the folded texts use; anything else
// (Vietnamese letters) makes the whole text UCS-2.
function segments(text) {
  const gsm = /^[A-Za-z0-9 \n\r.,:;!?'"()\-\/+%&*@#]*$/.test(text);
  const n = text.length;
  if (gsm) return n <= 160 ? 1 : Math.ceil(n / 153);
  return n <= 70 ? 1 : Math.ceil(n / 67);
}

const MIN_CHARS = 60;
const MAX_CHARS = 300;

// The body of line `i`: style by i % 4 (0, 1 diacritics; 2 folded; 3 SMS),
// fragments by mixed radix of i, a target length spread over 60..300, and a
// per-line tail (house number, time) so that bodies repeat rarely. Lengths
// are in UTF-16 units, which for NFC Vietnamese are characters.
function body(i) {
  const style = i % 4;
  const sp = style <= 1 ? 0 : style - 1;  // which spelling
  const target = MIN_CHARS + ((i * 37) % (MAX_CHARS - MIN_CHARS - 20));  // 60 .. 279
  const hh = (i * 7) % 24;
  const mm = String((i * 13) % 60).padStart(2, '0');
  const short = target < 110;  // short messages: no opener, no place
  const tail = sp === 0 ? `Nhà số ${(i % 211) + 1}, lúc ${hh}h${mm}.` : `nha so ${(i % 211) + 1}, luc ${hh}h${mm}.`;
  const parts = [];
  if (style === 3 && i % 3 === 0) {
    parts.push(pick(RAW_SMS[sp], i >> 2));
  } else {
    if (!short) parts.push(pick(OPENERS[sp], i >> 2));
    parts.push(pick(SITUATIONS[sp], (i >> 2) * 5 + (i >> 7)));
  }
  const place = short ? '' : pick(PLACES[sp], i * 3 + (i >> 5));
  const close = pick(CLOSINGS[sp], (i >> 3) + i);
  let len = parts.reduce((n, p) => n + p.length + 1, 0) + place.length + 1 + tail.length + 1 + close.length;
  for (let d = 0; d < DETAILS[sp].length; d++) {
    const frag = pick(DETAILS[sp], i + d * 3);
    if (len + frag.length + 1 > target) break;
    parts.push(frag);
    len += frag.length + 1;
  }
  parts.push(place, tail, close);
  const sep = style === 3 && i % 2 === 1 ? '\n' : ' ';
  let text = parts.filter(Boolean).join(sep);
  if (text.length > MAX_CHARS) text = text.slice(0, MAX_CHARS).trimEnd();
  return text;
}

// ---------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------

const started = process.hrtime.bigint();
const runHex = randomBytes(4).toString('hex');               // 8 hex: differs per run
const accountSid = 'AC' + randomBytes(16).toString('hex');   // one account
const fd = openSync(out, 'w');
let chunk = [];
let chunkBytes = 0;
let cmin = Infinity, cmax = 0, bmin = Infinity, bmax = 0, smin = Infinity, smax = 0;
const styles = [0, 0, 0];

for (let i = 0; i < count; i++) {
  const text = body(i);
  const chars = text.length;
  if (chars < MIN_CHARS || chars > MAX_CHARS) {
    console.error(`twilio_requests.mjs: body ${i} has ${chars} characters, outside ${MIN_CHARS}..${MAX_CHARS}: ${text}`);
    process.exit(1);
  }
  const sid = 'SM' + runHex + i.toString(16).padStart(24, '0');
  const from = '+8491' + String((i * 7919 + 1234567) % 10_000_000).padStart(7, '0');  // bijective for i < 10^7
  const segs = segments(text);
  const params = {
    ToCountry: 'VN', SmsMessageSid: sid, NumMedia: '0', SmsSid: sid, SmsStatus: 'received',
    Body: text, FromCountry: 'VN', To: '+84888111111', NumSegments: String(segs),
    MessageSid: sid, AccountSid: accountSid, From: from, ApiVersion: '2010-04-01',
  };
  const signature = twilio.getExpectedTwilioSignature(token, url, params);
  const form = new URLSearchParams(params).toString();
  const line = `${signature}\t${form}\n`;
  chunk.push(line);
  chunkBytes += line.length;  // ASCII: characters are bytes
  if (chunkBytes >= 1 << 20) {
    writeSync(fd, chunk.join(''));
    chunk = [];
    chunkBytes = 0;
  }
  cmin = Math.min(cmin, chars); cmax = Math.max(cmax, chars);
  bmin = Math.min(bmin, form.length); bmax = Math.max(bmax, form.length);
  smin = Math.min(smin, segs); smax = Math.max(smax, segs);
  styles[i % 4 <= 1 ? 0 : (i % 4) - 1]++;
}
if (chunk.length) writeSync(fd, chunk.join(''));
const fileBytes = fstatSync(fd).size;
closeSync(fd);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

console.log(`twilio_lines ${count}`);
console.log(`twilio_file_bytes ${fileBytes}`);
console.log(`twilio_body_chars ${cmin} ${cmax}`);
console.log(`twilio_body_bytes ${bmin} ${bmax}`);
console.log(`twilio_segments ${smin} ${smax}`);
console.log(`twilio_styles ${styles.join(' ')}`);
console.log(`twilio_gen_seconds ${seconds.toFixed(2)}`);
