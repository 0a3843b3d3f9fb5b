/* place.js: type-ahead for the place field of the report form.
 *
 * Progressive enhancement: without this script the field is plain text and
 * the report is located from what was written. With it, the part of the text
 * under the cursor (between commas) is looked up in GET /api/v1/units as the
 * person types; picking a suggestion (arrow keys and Enter, or a tap) puts
 * the commune's full name and province into the text and its code into the
 * hidden location_code field. Editing the text afterwards clears the code,
 * so a code is only ever sent together with the words it stands for.
 *
 * ARIA 1.2 combobox with a listbox popup; the count of suggestions is spoken
 * through a polite live region. ES5 and XMLHttpRequest only, no framework,
 * so that it runs on old, cheap phones. Served from /static/ (the
 * Content-Security-Policy allows no inline script).
 */
(function () {
  'use strict';

  var input = document.getElementById('f-location_text');
  var code = document.getElementById('f-location_code');
  if (!input || !code || !window.XMLHttpRequest || !input.getAttribute('data-units-url')) return;

  var DEBOUNCE_MS = 250;
  var MIN_CHARS = 2;
  var MAX_BYTES = 100; // the API refuses longer queries
  var LIMIT = 8;

  var url = input.getAttribute('data-units-url');
  var msgCount = input.getAttribute('data-msg-count') || '{n}';
  var msgNone = input.getAttribute('data-msg-none') || '';

  var list = document.createElement('ul');
  list.id = 'place-options';
  list.className = 'place-options';
  list.setAttribute('role', 'listbox');
  var label = document.querySelector('label[for="f-location_text"]');
  if (label) {
    if (!label.id) label.id = 'label-location_text';
    list.setAttribute('aria-labelledby', label.id);
  }
  list.hidden = true;
  var live = document.createElement('p');
  live.className = 'vh';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-live', 'polite');
  input.parentNode.insertBefore(list, input.nextSibling);
  input.parentNode.insertBefore(live, list.nextSibling);

  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', list.id);
  input.setAttribute('autocomplete', 'off');

  var units = [];     // the suggestions shown
  var active = -1;    // index of the highlighted one
  var timer = null;
  var pending = null; // the request in flight
  var seq = 0;        // answers to older requests are dropped
  // The text as it was when a suggestion was picked (a page shown again
  // after an error arrives with its code already filled in).
  var picked = code.value ? input.value : null;

  function trim(s) {
    return s.replace(/^\s+|\s+$/g, '');
  }

  function byteLength(s) {
    return encodeURIComponent(s).replace(/%[0-9A-F]{2}/gi, 'x').length;
  }

  // The comma-separated part of the text the cursor is in.
  function segmentAtCursor() {
    var v = input.value;
    var caret = typeof input.selectionStart === 'number' ? input.selectionStart : v.length;
    var start = v.lastIndexOf(',', caret - 1) + 1;
    var end = v.indexOf(',', caret);
    if (end < 0) end = v.length;
    return { start: start, end: end, text: trim(v.slice(start, end)) };
  }

  function announce(text) {
    live.textContent = text;
  }

  function setActive(i) {
    var options = list.children;
    if (active >= 0 && options[active]) options[active].setAttribute('aria-selected', 'false');
    active = i;
    if (active < 0) {
      input.removeAttribute('aria-activedescendant');
      return;
    }
    var li = options[active];
    li.setAttribute('aria-selected', 'true');
    input.setAttribute('aria-activedescendant', li.id);
    if (li.offsetTop < list.scrollTop) list.scrollTop = li.offsetTop;
    else if (li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight)
      list.scrollTop = li.offsetTop + li.offsetHeight - list.clientHeight;
  }

  function close() {
    setActive(-1);
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
  }

  function cancel() {
    seq++;
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending) pending.abort();
    pending = null;
  }

  function show(found) {
    units = found;
    active = -1;
    input.removeAttribute('aria-activedescendant');
    while (list.firstChild) list.removeChild(list.firstChild);
    for (var i = 0; i < units.length; i++) {
      var li = document.createElement('li');
      li.id = 'place-option-' + i;
      li.className = 'place-option';
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.setAttribute('data-index', String(i));
      li.appendChild(document.createTextNode(units[i].full_name));
      if (units[i].province_name) {
        var province = document.createElement('span');
        province.className = 'place-province';
        province.textContent = units[i].province_name;
        li.appendChild(document.createTextNode(', '));
        li.appendChild(province);
      }
      list.appendChild(li);
    }
    if (units.length) {
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      announce(msgCount.replace('{n}', String(units.length)));
    } else {
      close();
      announce(msgNone);
    }
  }

  function lookUp(text) {
    cancel();
    var mine = seq;
    var req = new XMLHttpRequest();
    pending = req;
    req.open('GET', url + '?q=' + encodeURIComponent(text) + '&limit=' + LIMIT, true);
    req.setRequestHeader('Accept', 'application/json');
    req.onreadystatechange = function () {
      if (req.readyState !== 4 || mine !== seq) return;
      pending = null;
      var data = null;
      if (req.status === 200) {
        try {
          data = JSON.parse(req.responseText);
        } catch (e) {
          data = null;
        }
      }
      // Without an answer the field simply stays free text.
      if (!data || !data.units || document.activeElement !== input) {
        close();
        return;
      }
      show(data.units);
    };
    req.send();
  }

  function pick(i) {
    var u = units[i];
    if (!u) return;
    var text = u.province_name ? u.full_name + ', ' + u.province_name : u.full_name;
    // The part being typed is replaced; what was written around it (a
    // village, a street) stays.
    var v = input.value;
    var segment = segmentAtCursor();
    var before = v.slice(0, segment.start);
    var after = v.slice(segment.end);
    if (trim(before)) text = before.replace(/\s+$/, '') + ' ' + text;
    input.value = text + after;
    code.value = u.code;
    picked = input.value;
    cancel();
    close();
    announce('');
    var caret = text.length;
    if (input.setSelectionRange) input.setSelectionRange(caret, caret);
  }

  input.addEventListener('input', function () {
    if (picked !== null && input.value !== picked) {
      code.value = '';
      picked = null;
    }
    cancel();
    var text = segmentAtCursor().text;
    if (text.length < MIN_CHARS || byteLength(text) > MAX_BYTES) {
      close();
      units = [];
      return;
    }
    // The list shown so far stays until the new answer replaces it.
    timer = setTimeout(function () {
      timer = null;
      lookUp(text);
    }, DEBOUNCE_MS);
  });

  input.addEventListener('keydown', function (e) {
    var key = e.key || '';
    var n = units.length;
    if (key === 'ArrowDown' || key === 'Down') {
      if (!n) return;
      e.preventDefault();
      if (list.hidden) {
        list.hidden = false;
        input.setAttribute('aria-expanded', 'true');
      }
      setActive(active + 1 < n ? active + 1 : 0);
    } else if (key === 'ArrowUp' || key === 'Up') {
      if (list.hidden || !n) return;
      e.preventDefault();
      setActive(active > 0 ? active - 1 : n - 1);
    } else if (key === 'Enter') {
      // A highlighted suggestion is picked; otherwise Enter does what it
      // does in any text field.
      if (!list.hidden && active >= 0) {
        e.preventDefault();
        pick(active);
      }
    } else if (key === 'Escape' || key === 'Esc') {
      if (!list.hidden) {
        e.preventDefault();
        cancel();
        close();
      }
    } else if (key === 'Tab') {
      cancel();
      close();
    }
  });

  input.addEventListener('blur', function () {
    cancel();
    close();
  });

  // Keep the focus in the field while an option is pressed, so that the
  // blur above does not close the list before the click lands.
  list.addEventListener('mousedown', function (e) {
    e.preventDefault();
  });
  list.addEventListener('click', function (e) {
    var node = e.target;
    while (node && node !== list && !(node.getAttribute && node.getAttribute('role') === 'option'))
      node = node.parentNode;
    if (!node || node === list) return;
    pick(Number(node.getAttribute('data-index')));
    input.focus();
  });
})();
