-- wrk script: POST realistic, all-different reports to /api/v1/reports.
--
--   wrk -t2 -c32 -d10s --latency -s bench/post_reports.lua http://127.0.0.1:PORT/api/v1/reports
--
-- A pool of 40 report texts is built once per thread from sentence fragments
-- (who reports, what happens, details, a closing), some with Vietnamese
-- diacritics and some folded to ASCII or written SMS-style, 300 to 800 bytes
-- each. Every request appends a sentence (house number, lane, time sent) and
-- has optional fields picked by its variant; the house number comes from the
-- request counter, so no two bodies are the same. No Idempotency-Key is sent:
-- every request is a fresh report.
--
-- done() prints machine-readable lines for bench/run.sh:
--   intake_created N         201 answers
--   intake_non201 N          any other status
--   intake_status CODE N     per status code
--   intake_first_error ...   status and start of the first non-201 body
--   intake_text_bytes MIN MAX  sizes of the "text" values sent

---------------------------------------------------------------------------
-- JSON
---------------------------------------------------------------------------

local function json_escape(s)
  -- Only ", \ and control characters need escaping; UTF-8 passes through.
  return (s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"'
    elseif c == '\\' then return '\\\\'
    elseif c == '\n' then return '\\n'
    elseif c == '\r' then return '\\r'
    elseif c == '\t' then return '\\t'
    else return string.format('\\u%04x', c:byte()) end
  end))
end

local function jstr(s) return '"' .. json_escape(s) .. '"' end

---------------------------------------------------------------------------
-- Diacritic folding (for the texts typed without accents)
---------------------------------------------------------------------------

local fold_map = {}
do
  local groups = {
    a = "àáảãạăằắẳẵặâầấẩẫậ", A = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
    e = "èéẻẽẹêềếểễệ",        E = "ÈÉẺẼẸÊỀẾỂỄỆ",
    i = "ìíỉĩị",              I = "ÌÍỈĨỊ",
    o = "òóỏõọôồốổỗộơờớởỡợ", O = "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
    u = "ùúủũụưừứửữự",        U = "ÙÚỦŨỤƯỪỨỬỮỰ",
    y = "ỳýỷỹỵ",              Y = "ỲÝỶỸỴ",
    d = "đ",                  D = "Đ",
  }
  for ascii, letters in pairs(groups) do
    for ch in letters:gmatch("[\192-\255][\128-\191]*") do fold_map[ch] = ascii end
  end
end

local function fold(s)
  return (s:gsub("[\192-\255][\128-\191]*", function(ch) return fold_map[ch] or ch end))
end

-- SMS style: folded, lower case, the usual abbreviations.
local function sms(s)
  s = fold(s):lower()
  s = s:gsub("(%d) tuoi", "%1t")
  local abbrev = {
    { " khong ", " ko " }, { " duoc ", " dc " }, { " voi ", " vs " }, { " em ", " e " },
    { " anh ", " a " }, { " roi ", " r " }, { " biet ", " bit " }, { " gi ", " j " },
  }
  for _, p in ipairs(abbrev) do s = s:gsub(p[1], p[2]) end
  return s
end

---------------------------------------------------------------------------
-- Sentence fragments
---------------------------------------------------------------------------

local openers = {
  "Tôi là hàng xóm sát vách nhà anh Hùng ở xóm Đồi.",
  "Em là giáo viên chủ nhiệm lớp 3B của trường tiểu học trong xã.",
  "Cháu là học sinh lớp 8, cháu muốn báo cho các cô chú về một bạn cùng lớp.",
  "Tôi bán hàng nước ở đầu ngõ, ngày nào cũng thấy cháu bé đi qua.",
  "Tôi là bà nội của cháu nhưng không ở cùng nhà với con trai và con dâu.",
  "Tôi là tổ trưởng tổ dân phố số 4, xin báo một việc bà con trong tổ phản ánh.",
  "Tôi làm ở trạm y tế xã, chiều hôm qua có một bé được người nhà đưa đến khám.",
  "Tôi xin phép không nêu tên vì sợ gia đình đó biết và trả thù.",
  "Tôi là chủ nhà trọ, gia đình thuê phòng số 6 mới chuyển đến được hai tháng.",
  "Tôi là bạn thân của mẹ cháu, chị ấy vừa gọi điện cho tôi và khóc rất nhiều.",
  "Con chào cô chú ạ, con là anh họ của bé, năm nay con 16 tuổi.",
  "Tôi là tài xế xe ôm hay đón khách ở bến xe huyện cũ.",
}

local situations = {
  -- physical violence
  "Tối nào cũng nghe tiếng bố dượng quát mắng và đánh con bé bằng roi mây, bé khóc xin tha rất lâu rồi mới im.",
  "Cháu đến lớp với nhiều vết bầm tím ở tay và lưng, hỏi thì cháu nói bị ngã nhưng cứ né tránh và run lên.",
  "Người mẹ thường xuyên dùng dây điện quất con trai, có lần cháu phải nghỉ học cả tuần vì không đi được.",
  -- sexual abuse
  "Bé gái kể với cô là có một người đàn ông trong xóm hay gọi bé vào nhà cho kẹo rồi sờ soạng người bé.",
  "Em nghi bạn ấy bị người chú họ xâm hại, bạn ấy nói không dám ở nhà một mình khi người đó đến chơi.",
  -- neglect, abandonment
  "Hai đứa trẻ bị bỏ ở nhà một mình nhiều ngày, bố mẹ đi làm ăn xa, các cháu phải sang xin cơm hàng xóm.",
  "Cháu bé gầy gò, quần áo bẩn, không được đi học, tối ngủ ngoài hiên vì bố khóa cửa đi uống rượu.",
  -- child labour, exploitation
  "Một cháu khoảng mười hai tuổi phải bưng bê ở quán nhậu đến hai giờ sáng, chủ quán không trả tiền và hay chửi mắng.",
  "Có mấy em nhỏ bị đưa từ trên bản xuống làm ở xưởng may, làm từ sáng đến tối, không được gọi điện về nhà.",
  -- trafficking
  "Nghe nói có người hứa đưa con gái nhà bên sang Trung Quốc làm việc lương cao, gia đình đã nhận tiền đặt cọc.",
  "Một người lạ đến bản dụ mấy em học sinh lớp 9 bỏ học đi làm ở thành phố, nói sẽ lo hết giấy tờ và tiền xe.",
  -- emotional abuse
  "Người bố say rượu thường chửi bới, đuổi con ra khỏi nhà lúc nửa đêm, cháu phải ngồi co ro ngoài đường.",
  -- online abuse
  "Có người trên mạng xã hội dọa tung ảnh riêng tư của cháu nếu cháu không gửi thêm ảnh, cháu rất hoảng sợ.",
  -- child marriage
  "Gia đình đang chuẩn bị gả con gái mới mười lăm tuổi cho một người ở xã bên, cháu không muốn nhưng bị ép.",
}

local details = {
  "Chuyện này đã kéo dài khoảng ba tháng nay.",
  "Tối hôm qua khoảng chín giờ tôi lại nghe tiếng la hét và tiếng đồ đạc đổ vỡ.",
  "Mấy người hàng xóm đều biết nhưng không ai dám can thiệp vì sợ liên lụy.",
  "Tôi đã nói với trưởng thôn từ tuần trước nhưng chưa thấy ai đến hỏi.",
  'Cháu nói với cô giáo: "Con sợ về nhà lắm, cô cho con ở lại trường được không?"',
  "Mẹ cháu cũng bị đánh nên không bảo vệ được con, có lần phải bế con chạy sang nhà tôi.",
  "Hôm nay cháu không đến lớp và điện thoại của gia đình không liên lạc được.",
  "Cháu bé có vết thương ở trán, băng bó sơ sài, đi lại khập khiễng.",
  "Nhà đó ở cuối ngõ, cổng sắt màu xanh, cạnh cây hoa sữa.",
  "Tôi có quay được một đoạn video ngắn bằng điện thoại nếu cơ quan cần.",
  "Người đó khoảng bốn mươi tuổi, hay đi xe máy Wave màu đỏ, nói giọng miền Trung.",
  "Ông bà ngoại của cháu ở xa, chỉ có thể gọi điện thăm hỏi.",
}

local closings = {
  "Xin các cô chú đến kiểm tra ngay, tôi sợ tối nay cháu lại bị đánh.",
  "Mong cơ quan chức năng xử lý sớm và giữ bí mật thông tin người báo.",
  "Nếu cần thêm thông tin tôi có thể đến trụ sở công an xã để trình bày.",
  "Tôi không chắc chắn hoàn toàn nhưng thấy rất lo cho cháu nên báo.",
  "Cháu đang tạm ở nhà tôi nhưng bố cháu đang đi tìm, rất gấp.",
  "Xin giúp đỡ các cháu, cảm ơn tổng đài.",
}

-- Written the way people type SMS: no accents, abbreviations, line breaks.
local sms_texts = {
  "e chao a chi, nha ben canh e co be gai 7t bi bo duong danh suot,\ntoi qua e thay be chay ra duong khoc, mat sung het. e so qua ko dam goi cong an.",
  "bao tin: o thon 5 co 2 chau nho bi bo mac, bo me di lam tren tp ko ve,\ncac chau an uong thieu thon, chau lon moi 9t phai trong em 3t.",
  "co nguoi la hay dung truoc cong truong cho xe may cho hs nu ve, hom nay 1 em lop 6 ko ve nha, gia dinh dang di tim. nguoi do deo khau trang den.",
  "chu quan karaoke o duong lien xa thue may be gai tam 14 15t lam phuc vu den khuya, e thay ca may lan co khach say xin so dt cac be.",
}

---------------------------------------------------------------------------
-- The pool: 40 texts, 300 to 730 bytes (the per-request tail adds <= 70)
---------------------------------------------------------------------------

local POOL = 40
local pool = {}          -- escaped JSON string contents
local pool_ascii = {}    -- true when the text has no diacritics (tail folded too)
local pool_len = {}      -- raw byte length of each text

local function pick(list, k) return list[(k - 1) % #list + 1] end

for i = 1, POOL do
  local style = i % 5            -- 0,1,2: diacritics; 3: folded; 4: SMS
  local parts = {}
  if style == 4 then
    parts[#parts + 1] = pick(sms_texts, i)
  else
    parts[#parts + 1] = pick(openers, i)
    parts[#parts + 1] = pick(situations, i * 5 + 3)
  end
  local target = 300 + (i * 97) % 380   -- 300 .. 679 bytes before the closing
  local d = i * 3
  local tries = 0
  local len = #table.concat(parts, " ")
  while len < target and tries < #details do
    local frag = pick(details, d)
    if style == 4 then frag = sms(frag) end
    if len + 1 + #frag <= 640 then
      parts[#parts + 1] = frag
      len = len + 1 + #frag
    end
    d = d + 1
    tries = tries + 1
  end
  parts[#parts + 1] = pick(closings, i * 7 + 1)
  local sep = (style == 4 or i % 9 == 0) and "\n" or " "
  local text = table.concat(parts, sep)
  if style == 3 then text = fold(text) elseif style == 4 then text = sms(text) end
  if #text < 300 or #text > 730 then
    error(string.format("post_reports.lua: pool text %d is %d bytes, outside 300..730", i, #text))
  end
  pool[i] = json_escape(text)
  pool_len[i] = #text
  pool_ascii[i] = style >= 3
end

---------------------------------------------------------------------------
-- Optional fields
---------------------------------------------------------------------------

local locations = {
  "xã Chi Lăng, tỉnh Lạng Sơn",
  "thôn Nà Làng, xã Bắc Hà, tỉnh Lào Cai",
  "phường Hoàn Kiếm, Hà Nội",
  "ngõ 32 phố Khâm Thiên, quận Đống Đa cũ, Hà Nội",
  "huyện Mường Khương, Lào Cai",
  "xa Ea Tieu, huyen Cu Kuin, Dak Lak",
  "gần chợ Bến Thành, Quận 1, TP Hồ Chí Minh",
  "phường Thuận Hóa, thành phố Huế",
  "bản Phiêng Ban, xã Mường La, tỉnh Sơn La",
  "tổ 7, phường Hồng Bàng, Hải Phòng",
  "thị trấn Tam Đảo cũ, tỉnh Phú Thọ",
  "ấp 3, xã Tân Phú, tỉnh Đồng Nai",
  "khu công nghiệp Quế Võ, Bắc Ninh",
  "xom 2 xa Nghi Phong, huyen Nghi Loc, Nghe An",
  "đặc khu Phú Quốc, tỉnh An Giang",
  "phường Ninh Kiều, Cần Thơ",
  "xã Kon Plông, tỉnh Quảng Ngãi",
  "thôn 4, xã Cẩm Xuyên, Hà Tĩnh",
  "khom 5 phuong 9 tp Ca Mau",
  "quận Hải Châu cũ, Đà Nẵng",
}

local relations = {
  "bố dượng", "mẹ đẻ", "bố đẻ", "chủ quán", "hàng xóm", "chú họ", "người lạ trên mạng",
  "mẹ kế", "thầy giáo dạy thêm", "anh rể", "bà nội", "người môi giới",
}

local conditions = {
  "có vết bầm ở tay và lưng, đang sợ hãi",
  "gầy yếu, đói, quần áo bẩn",
  "đang khóc, không chịu nói chuyện",
  "bị sốt, chưa được đưa đi khám",
  "tạm ổn, đang ở nhà hàng xóm",
  "vết thương ở đầu đã băng tạm",
}

local names_child = { "Bé Na", "Lò Thị Mai", "cháu Tùng", "Nguyễn Minh Khang", "Hà Văn Sáng", "bé Bống", "Trần Thị Lan" }
local names_reporter = { "Nguyễn Văn An", "chị Hoa", "Lê Thị Thu", "Phạm Quốc Bảo", "Vàng A Dính", "Đỗ Thanh Hương" }
local addresses = { "số 12 ngõ 5, thôn Đông", "tổ 3, phường Hồng Bàng", "xóm Đồi, xã Chi Lăng", "nhà trọ số 6 đường Lê Lợi" }
local sexes = { "female", "male", "unknown", "female", "male" }
local prefixes = { "091", "098", "097", "035", "086", "077", "056", "083", "039", "070" }

local function phone(n)
  local p = pick(prefixes, n)
  local rest = string.format("%07d", (n * 7919 + 1234567) % 10000000)
  local f = n % 4
  if f == 0 then return p .. rest
  elseif f == 1 then return p .. rest:sub(1, 1) .. " " .. rest:sub(2, 4) .. " " .. rest:sub(5)
  elseif f == 2 then return "+84 " .. p:sub(2) .. " " .. rest:sub(1, 3) .. " " .. rest:sub(4)
  else return p .. rest:sub(1, 1) .. "." .. rest:sub(2, 4) .. "." .. rest:sub(5) end
end

local function escaped_list(list)
  local out = {}
  for k, v in ipairs(list) do out[k] = jstr(v) end
  return out
end
locations, relations, conditions = escaped_list(locations), escaped_list(relations), escaped_list(conditions)
names_child, names_reporter, addresses = escaped_list(names_child), escaped_list(names_reporter), escaped_list(addresses)

---------------------------------------------------------------------------
-- wrk hooks
---------------------------------------------------------------------------

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  threads[#threads + 1] = thread
end

counter = 0
created = 0
non201 = 0
codes = {}
first_error = ""
tmin, tmax = math.huge, 0

-- The requests are built ahead, in init(), so that the load generator takes
-- as little as it can of the machine it shares with the server: VARIANTS
-- bodies per thread, each cut where its unique number goes. request() only
-- joins the parts around the counter (the house number), which keeps every
-- body different, and writes the length.
local VARIANTS = 4096
local heads, tails, base_len = {}, {}, {}
local prefix  -- the request line and headers, up to Content-Length

-- The body of variant `n` of thread `t`, cut before and after the house number.
local function variant(n, t)
  local k = (n * 7 + t * 13) % POOL + 1
  local hh, mm = (n + t * 5) % 24, (n * 17) % 60
  local before, after
  if pool_ascii[k] then
    before = " Nha chau o so "
    after = string.format(", ngo %d. Gui luc %02d:%02d.", t * 100 + n % 97, hh, mm)
  else
    before = " Nhà cháu ở số "
    after = string.format(", ngõ %d. Gửi lúc %02d:%02d.", t * 100 + n % 97, hh, mm)
  end
  local text_bytes = pool_len[k] + #before + #after
  local b = { after .. '"' }
  local function add(name, value) b[#b + 1] = ',"' .. name .. '":' .. value end

  if n % 11 ~= 0 then add("location_text", pick(locations, n * 3 + t)) end
  local a = n % 6
  if a <= 2 then add("child_age", tostring((n * 5 + t) % 18))
  elseif a == 3 then add("child_age", '"' .. tostring((n + t) % 18) .. '"')
  elseif a == 4 then add("child_age", "null") end
  if n % 5 == 0 then add("child_age_estimated", "true") end
  if n % 3 ~= 2 then add("child_sex", '"' .. pick(sexes, n) .. '"') end
  if n % 4 == 1 then add("child_name", pick(names_child, n)) end
  if n % 3 == 0 then add("child_condition", pick(conditions, n + t)) end
  if n % 2 == 0 then add("perpetrator_relation", pick(relations, n * 7 + t)) end
  if n % 7 ~= 3 then add("reporter_phone", jstr(phone(n * 2 + t))) end
  if n % 5 == 2 then add("reporter_name", pick(names_reporter, n)) end
  if n % 8 == 4 then add("reporter_address", pick(addresses, n)) end
  if n % 2 == 1 then add("contact_ok", (n % 4 == 1) and "true" or "false") end
  if n % 6 == 5 then add("keep_identity_secret", "true") end
  b[#b + 1] = "}"
  return '{"text":"' .. pool[k] .. before, table.concat(b), text_bytes
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Idempotency-Key"] = nil
  -- wrk's own request text with an empty body, less its Content-Length and
  -- the blank line: request() adds both.
  local empty = wrk.format(nil, nil, nil, "")
  local cl = empty:find("Content-Length: 0\r\n", 1, true)
  prefix = empty:sub(1, cl - 1) .. empty:sub(cl + #"Content-Length: 0\r\n", -3)
  local t = tid or 1
  for v = 1, VARIANTS do
    local head, tail, text_bytes = variant(v, t)
    heads[v], tails[v], base_len[v] = head, tail, #head + #tail
    -- Without the house number; done() adds its shortest and longest.
    if text_bytes < tmin then tmin = text_bytes end
    if text_bytes > tmax then tmax = text_bytes end
  end
end

function request()
  counter = counter + 1
  local v = counter % VARIANTS + 1
  -- Different for every request of every thread (up to ten threads).
  local number = tostring(counter * 10 + (tid or 1) % 10)
  return prefix .. "Content-Length: " .. (base_len[v] + #number) .. "\r\n\r\n" .. heads[v] .. number .. tails[v]
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if status == 201 then
    created = created + 1
  else
    non201 = non201 + 1
    if first_error == "" then
      first_error = tostring(status) .. " " .. (body or ""):sub(1, 300):gsub("%s+", " ")
    end
  end
end

function done(summary, latency, requests)
  local c, bad, all, err = 0, 0, {}, ""
  local lo, hi = math.huge, 0
  for _, thread in ipairs(threads) do
    c = c + (thread:get("created") or 0)
    bad = bad + (thread:get("non201") or 0)
    for code, cnt in pairs(thread:get("codes") or {}) do all[code] = (all[code] or 0) + cnt end
    if err == "" then err = thread:get("first_error") or "" end
    -- The house numbers run from 2 digits to those of the last request.
    local last = (thread:get("counter") or 0) * 10 + 9
    lo = math.min(lo, (thread:get("tmin") or math.huge) + 2)
    hi = math.max(hi, (thread:get("tmax") or 0) + #tostring(last))
  end
  io.write(string.format("intake_created %d\n", c))
  io.write(string.format("intake_non201 %d\n", bad))
  for code, cnt in pairs(all) do io.write(string.format("intake_status %s %d\n", tostring(code), cnt)) end
  if err ~= "" then io.write("intake_first_error " .. err .. "\n") end
  if hi > 0 then io.write(string.format("intake_text_bytes %d %d\n", lo, hi)) end
end
