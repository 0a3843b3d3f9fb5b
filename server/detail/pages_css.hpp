#pragma once
// The stylesheet served at /static/site.css (server::site_css()).
//
// Mobile first (a 320 px wide screen is the baseline), system fonts only,
// tap targets of at least 44 px, high contrast, visible focus. The quick-exit
// link is first in the document and shown as a red button at the top right
// of a bar that stays on screen while scrolling.

#include <string_view>

namespace hotline::server::detail {

inline constexpr std::string_view pages_css = R"css(/* site.css: citizen pages of the child-abuse report hotline */
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  font-size: 1.0625rem;
  line-height: 1.5;
  color: #111;
  background: #fff;
  overflow-wrap: break-word;
}
a { color: #0b3d91; text-decoration: underline; text-underline-offset: 0.15em; }
a:visited { color: #4c2c92; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 1rem 0 0.75rem; }
h2 { font-size: 1.25rem; line-height: 1.3; margin: 1.25rem 0 0.5rem; }
p { margin: 0 0 0.75rem; }
.lead { font-size: 1.125rem; }
.muted { color: #444; font-size: 0.95rem; }
.vh {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}

/* Focus: a dark outline with a yellow ring, visible on any background. */
a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus {
  outline: 3px solid #111;
  outline-offset: 2px;
  box-shadow: 0 0 0 2px #ffd100;
}

/* Top bar: site name on the left, quick exit on the right, kept on screen. */
.topbar {
  position: -webkit-sticky;
  position: sticky;
  top: 0;
  z-index: 10;
  display: flex;
  align-items: center;
  gap: 0.5rem;
  padding: 0.375rem 0.75rem;
  background: #fff;
  border-bottom: 2px solid #d0d0d0;
}
.site-name { flex: 1 1 auto; margin: 0; font-weight: 700; line-height: 1.25; min-width: 0; }
.site-name a { color: #111; text-decoration: none; display: inline-block; padding: 0.5rem 0; }
.quick-exit {
  order: 2;
  flex: 0 0 auto;
  display: inline-flex;
  align-items: center;
  justify-content: center;
  min-height: 44px;
  min-width: 44px;
  padding: 0.5rem 0.875rem;
  background: #b00020;
  color: #fff;
  font-weight: 700;
  text-decoration: none;
  white-space: nowrap;
  border: 2px solid #7a0016;
  border-radius: 0.375rem;
}
.quick-exit:visited { color: #fff; }
.quick-exit:hover { background: #8c0019; }

/* Header: language switch and the emergency numbers. */
.site-header { padding: 0.25rem 0.75rem 0; max-width: 42rem; margin: 0 auto; }
.lang-switch { margin: 0; text-align: right; }
.lang-switch a { display: inline-block; min-height: 44px; padding: 0.6rem 0.25rem; }
.emergency {
  border: 2px solid #0b3d91;
  border-radius: 0.5rem;
  padding: 0.5rem 0.75rem;
  background: #eef3fc;
}
.emergency-title { font-weight: 700; margin: 0 0 0.25rem; }
.numbers { list-style: none; margin: 0; padding: 0; }
.numbers li { display: flex; align-items: center; gap: 0.625rem; padding: 0.1875rem 0; }
.tel {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  flex: 0 0 auto;
  min-width: 3.75rem;
  min-height: 44px;
  padding: 0 0.5rem;
  font-size: 1.25rem;
  font-weight: 700;
  color: #fff;
  background: #0b3d91;
  border-radius: 0.375rem;
  text-decoration: none;
}
.tel:visited { color: #fff; }

main { display: block; max-width: 42rem; margin: 0 auto; padding: 0 0.75rem 1.5rem; }
.site-footer {
  max-width: 42rem; margin: 0 auto; padding: 1rem 0.75rem 2rem;
  border-top: 1px solid #d0d0d0; color: #333; font-size: 0.95rem;
}

/* Forms. */
form { margin: 0; }
.field { margin: 0 0 1.25rem; }
.field.has-error { border-left: 4px solid #a00000; padding-left: 0.625rem; }
label { display: block; font-weight: 700; margin: 0 0 0.25rem; }
.req { font-weight: 400; color: #a00000; }
.opt { font-weight: 400; color: #444; }
.hint { color: #333; margin: 0 0 0.375rem; font-size: 0.975rem; }
input[type="text"], input[type="tel"], input[type="number"], select, textarea {
  display: block;
  width: 100%;
  max-width: 100%;
  min-height: 44px;
  padding: 0.5rem 0.625rem;
  font: inherit;
  font-size: 1rem;
  color: #111;
  background: #fff;
  border: 2px solid #333;
  border-radius: 0.25rem;
}
input[type="number"] { max-width: 8rem; }
textarea { resize: vertical; min-height: 6rem; line-height: 1.45; }
[aria-invalid="true"] { border-color: #a00000; border-width: 3px; }
.field-error { color: #a00000; font-weight: 700; margin: 0 0 0.375rem; }
.field-error .marker { text-transform: uppercase; letter-spacing: 0.02em; }
.check { display: flex; align-items: center; gap: 0.75rem; min-height: 44px; }
.check input { flex: 0 0 auto; width: 1.5rem; height: 1.5rem; margin: 0; }
.check label { margin: 0; padding: 0.5rem 0; font-weight: 400; }
.check-field { margin-bottom: 0.75rem; }

/* The place field's suggestions (added by place.js): a list under the field,
   each option a full-width tap target. */
.place-field { position: relative; }
.place-options {
  position: absolute;
  left: 0;
  right: 0;
  z-index: 5;
  margin: 0.125rem 0 0;
  padding: 0;
  list-style: none;
  max-height: 18rem;
  overflow-y: auto;
  background: #fff;
  border: 2px solid #333;
  border-radius: 0.25rem;
  box-shadow: 0 0.25rem 0.75rem rgba(0, 0, 0, 0.2);
}
.place-options[hidden] { display: none; }
.place-option {
  min-height: 44px;
  padding: 0.625rem 0.75rem;
  border-bottom: 1px solid #d0d0d0;
  cursor: pointer;
}
.place-option:last-child { border-bottom: 0; }
.place-option[aria-selected="true"], .place-option:hover { background: #0b3d91; color: #fff; }

details.group { margin: 0 0 1.25rem; border: 2px solid #bbb; border-radius: 0.5rem; padding: 0 0.75rem; }
details.group[open] { padding-bottom: 0.5rem; }
summary {
  cursor: pointer;
  min-height: 44px;
  padding: 0.625rem 0;
  font-weight: 700;
  color: #0b3d91;
}
fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }

button, .button-link {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  min-height: 48px;
  padding: 0.625rem 1.25rem;
  font: inherit;
  font-weight: 700;
  border-radius: 0.375rem;
  cursor: pointer;
  text-align: center;
}
button.primary, .button-link {
  color: #fff;
  background: #00703c;
  border: 2px solid #00532d;
  text-decoration: none;
}
.button-link:visited { color: #fff; }
button.primary { width: 100%; font-size: 1.125rem; }
button.primary:hover, .button-link:hover { background: #005a30; }
.actions { margin: 1.5rem 0 1rem; }
.plain-link { display: inline-block; min-height: 44px; padding: 0.625rem 0; }
.links { display: flex; flex-wrap: wrap; align-items: center; gap: 0.75rem 1.25rem; }

/* The box of errors on top of a form. */
.alert {
  border: 3px solid #a00000;
  border-radius: 0.375rem;
  background: #fff5f5;
  color: #111;
  padding: 0.75rem 1rem;
  margin: 0 0 1.25rem;
}
.alert-heading { font-weight: 700; color: #a00000; font-size: 1.125rem; }
.alert-message { font-weight: 700; }
.alert-list { margin: 0; padding-left: 1.25rem; }
.alert-list li { margin: 0.375rem 0; }
.alert-list a { color: #a00000; font-weight: 700; }

/* Receipt and status. */
.codes {
  border: 3px solid #111;
  border-radius: 0.5rem;
  padding: 0.25rem 1rem 0.75rem;
  margin: 1rem 0;
  background: #fffbe6;
}
.codes dl { margin: 0.5rem 0; }
.codes dt { font-weight: 700; margin-top: 0.5rem; }
.codes dd { margin: 0 0 0.5rem; }
.code {
  font-family: ui-monospace, "SFMono-Regular", "Roboto Mono", "DejaVu Sans Mono", "Courier New", monospace;
  font-weight: 700;
  letter-spacing: 0.08em;
  overflow-wrap: anywhere;
}
.codes .code { font-size: 2rem; line-height: 1.2; }
.important { font-weight: 700; }
.danger {
  border-left: 6px solid #b00020;
  background: #fff5f5;
  padding: 0.625rem 0.75rem;
  font-weight: 700;
}
.danger .tel { margin: 0.125rem 0; font-size: 1.125rem; }
.other-lang { border-top: 1px solid #d0d0d0; margin-top: 2rem; padding-top: 0.5rem; }
.state-box { border: 3px solid #0b3d91; border-radius: 0.5rem; padding: 0.75rem 1rem; margin: 1rem 0; }
.state-label { margin: 0; color: #333; font-size: 0.95rem; }
.state { margin: 0; font-size: 1.25rem; font-weight: 700; }
.facts { margin: 0 0 1rem; }
.facts dt { font-weight: 700; }
.facts dd { margin: 0 0 0.625rem; }

@media (min-width: 40em) {
  body { font-size: 1.125rem; }
  h1 { font-size: 2rem; }
  .topbar { padding: 0.5rem 1.25rem; }
  button.primary { width: auto; min-width: 14rem; }
  .numbers { display: flex; flex-wrap: wrap; gap: 0.25rem 1.5rem; }
}

@media print {
  .topbar, .site-header, .site-footer, .actions { display: none; }
  .codes { border-color: #000; background: #fff; }
}
)css";

}  // namespace hotline::server::detail
